internal import Foundation

/// `requirements.lock`: every distribution a Python build installed, pinned to its exact version
/// and the SHA-256 of the archive pip installed it from, so the container installs the same bytes
/// (pip's hash-checking mode). Made from the report `pip install --report` writes during the build.
enum RequirementsLock {
    /// Where the build asks pip to write its report (inside the build's `.venv`, which bundles skip).
    static let reportPath = ".venv/mf-pip-report.json"

    struct Report: Decodable {
        struct Item: Decodable {
            struct Metadata: Decodable {
                var name: String
                var version: String
            }

            struct DownloadInfo: Decodable {
                struct ArchiveInfo: Decodable { var hashes: [String: String]? }
                var url: String?
                var archiveInfo: ArchiveInfo?
                enum CodingKeys: String, CodingKey {
                    case url
                    case archiveInfo = "archive_info"
                }
            }

            var metadata: Metadata
            var downloadInfo: DownloadInfo?
            enum CodingKeys: String, CodingKey {
                case metadata
                case downloadInfo = "download_info"
            }
        }

        var install: [Item]
    }

    /// The lock for a pip report: `name==version \` and `--hash=sha256:…` per distribution, by
    /// name. When one came without an archive hash (a folder or VCS install), no line carries a
    /// hash (pip refuses a file where only some do) and the header names those distributions.
    static func text(fromReport data: Data) throws -> String {
        let report = try JSONDecoder().decode(Report.self, from: data)
        let items = report.install.sorted { normalized($0.metadata.name) < normalized($1.metadata.name) }
        let unhashed = items.filter { $0.downloadInfo?.archiveInfo?.hashes?["sha256"] == nil }.map(\.metadata.name)
        var text = "# Installed by the build, pinned with pip's hashes: pip install --require-hashes -r requirements.lock\n"
        if !unhashed.isEmpty {
            text = "# Pinned without hashes: \(unhashed.joined(separator: ", ")) came from no archive pip could hash.\n"
        }
        for item in items {
            let pin = "\(normalized(item.metadata.name))==\(item.metadata.version)"
            if unhashed.isEmpty, let hash = item.downloadInfo?.archiveInfo?.hashes?["sha256"] {
                text += "\(pin) \\\n    --hash=sha256:\(hash)\n"
            } else {
                text += pin + "\n"
            }
        }
        return text
    }

    /// A distribution name as PEP 503 normalises it (`Scikit_Learn` is `scikit-learn`).
    static func normalized(_ name: String) -> String {
        var out = ""
        for character in name.lowercased() {
            if character == "-" || character == "_" || character == "." {
                if !out.hasSuffix("-") { out.append("-") }
            } else {
                out.append(character)
            }
        }
        return out
    }
}
