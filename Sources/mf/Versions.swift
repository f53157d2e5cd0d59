import ArgumentParser
import Foundation
import GitKit
import ModelFactory

struct Versions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "versions",
        abstract: "List every release (version tag), oldest first.",
        discussion: """
            A release is a tag [prefix]MAJOR[.MINOR[.PATCH]][-PRERELEASE], or MODEL@VERSION in a \
            repository of several models. For each: whether it is on the production line and \
            whether it is a hotfix (a patch of the release before it on that line). Tags that \
            are not versions are left out; broken version tags are warned about on stderr (see \
            `mf check`).

            --json prints an array of {tag, version, model, commit, productionLine, hotfix, \
            prerelease, annotated}; model is null in a repository of one model.
            """
    )

    @OptionGroup var options: RepositoryOptions

    func run() throws {
        try reportingErrors {
            let flow = try options.readFlow(checkingRules: false)
            if options.json {
                FileHandle.standardOutput.write(Data(Release.jsonBytes(flow.releases)))
            } else {
                print(Versions.render(flow.releases))
            }
            for violation in flow.violations { printWarning(violation.message) }
        }
    }

    static func render(_ releases: [Release]) -> String {
        guard !releases.isEmpty else { return "No releases." }
        var table = [["TAG", "VERSION", "COMMIT", "LINE", "KIND"]]
        for release in releases {
            table.append([
                release.tag, release.version.description, release.commit.short,
                release.productionLine ? "production" : "off-line",
                release.hotfix ? "hotfix" : release.version.isPrerelease ? "pre-release" : "release",
            ])
        }
        return formatTable(table)
    }
}

/// Pads columns to their widest cell.
func formatTable(_ rows: [[String]]) -> String {
    guard let first = rows.first else { return "" }
    let widths = first.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
    return rows.map { row in
        row.enumerated().map { index, cell in
            index == row.count - 1 ? cell : cell + String(repeating: " ", count: max(0, widths[index] - cell.count))
        }.joined(separator: "  ")
    }.joined(separator: "\n")
}
