import Foundation
import SQLiteStore
import Store
import TestSupport
import Testing

/// The fixture generator `swift build` made beside `mf` and the tests (or `$DASHBOARD_FIXTURE`).
let dashboardFixtureBinary: String = {
    if let path = ProcessInfo.processInfo.environment["DASHBOARD_FIXTURE"] { return path }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    var folders: [URL] = []
    if let executable = Bundle.main.executableURL { folders.append(executable.deletingLastPathComponent()) }
    folders += [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent(), root.appendingPathComponent(".build/debug")]
    return folders.map { $0.appendingPathComponent("dashboard-fixture").path }.first { FileManager.default.isExecutableFile(atPath: $0) }
        ?? root.appendingPathComponent(".build/debug/dashboard-fixture").path
}()

/// What headless Chromium saw of one page.
struct BrowsedPage {
    var dom: String
    /// Console messages (CSP violations included), as Chromium logs them.
    var console: [String]
    /// Every request the page made (the page itself first), with its status (0: no answer).
    var requests: [(url: String, status: Int)]
}

/// Debian's `chromium`, headless: one run per page loads it, dumps its DOM, logs its console and
/// its network traffic, and writes a screenshot.
struct Chromium {
    let path: String
    let folder: String

    static func find() -> String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") + ["/usr/bin"]
        return paths.map { "\($0)/chromium" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    func browse(_ url: String, screenshot: String, origin: String) async throws -> BrowsedPage {
        let run = "\(folder)/run-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: run) }
        let netLog = "\(run)/net.json"
        var arguments = [
            "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--user-data-dir=\(run)/profile", "--enable-logging=stderr", "--v=0",
            "--log-net-log=\(netLog)", "--screenshot=\(screenshot)", "--window-size=1280,1600", "--dump-dom",
        ]
        if getuid() == 0 { arguments.append("--no-sandbox") }
        let result = try await runProcess(path, arguments + [url], environment: ProcessInfo.processInfo.environment)
        guard result.status == 0 else { throw HTTPClientError(description: "chromium \(url) exited \(result.status): \(result.stderr)") }
        let console = result.stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
        return BrowsedPage(dom: result.stdout, console: console, requests: try Self.requests(netLog: netLog, origin: origin))
    }

    /// The requests of the page in a net log: the main frame's and those an origin started (the
    /// browser's own background requests have none), each with the status of its answer.
    static func requests(netLog path: String, origin: String) throws -> [(url: String, status: Int)] {
        let log = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        let constants = try #require(log["constants"] as? [String: Any])
        let types = try #require(constants["logEventTypes"] as? [String: Int])
        let start = try #require(types["URL_REQUEST_START_JOB"])
        let headers = try #require(types["HTTP_TRANSACTION_READ_RESPONSE_HEADERS"])
        var order: [Int] = []
        var urls: [Int: String] = [:]
        var statuses: [Int: Int] = [:]
        for event in log["events"] as? [[String: Any]] ?? [] {
            guard let type = event["type"] as? Int, let source = (event["source"] as? [String: Any])?["id"] as? Int,
                let parameters = event["params"] as? [String: Any]
            else { continue }
            if type == start, let url = parameters["url"] as? String {
                let initiator = parameters["initiator"] as? String ?? ""
                guard parameters["request_type"] as? String == "main frame" || initiator.hasPrefix("http") || initiator == origin else { continue }
                if urls[source] == nil { order.append(source) }
                urls[source] = url
            } else if type == headers, let first = (parameters["headers"] as? [String])?.first {
                statuses[source] = Int(first.split(separator: " ").dropFirst().first ?? "") ?? 0
            }
        }
        return order.map { (urls[$0]!, statuses[$0] ?? 0) }
    }
}

/// The dashboard in a real browser: a rich home (several models and releases, live metrics,
/// drift past its threshold, a rollout, jobs, and markup in a model name, a log and messages),
/// crawled from `/ui` by the links its pages' JSON holds, each kind of page loaded in headless
/// Chromium.
@Suite(.serialized, .onTestThreads) struct DashboardBrowserTests {
    static let hostile = "<script>alert(1)"

    @Test(.timeLimit(.minutes(3)))
    func everyPageLoadsCleanlyInChromium() async throws {
        let chromium = try #require(Chromium.find(), "chromium is not installed: run scripts/setup (it installs Debian's chromium)")
        let folder = TemporaryDirectory("ui-browser")
        let home = folder.appending("home")
        let made = try await runProcess(
            dashboardFixtureBinary, ["--home", home, "--models", "4", "--releases", "12", "--sessions", "30", "--metric-rows", "600", "--hostile"])
        try #require(made.status == 0, "dashboard-fixture failed: \(made.stderr)")
        // Screenshots stay after the test, in one folder each run replaces.
        let screenshots = FileManager.default.temporaryDirectory.appendingPathComponent("mf-dashboard-screenshots").path
        try? FileManager.default.removeItem(atPath: screenshots)
        try FileManager.default.createDirectory(atPath: screenshots, withIntermediateDirectories: true)

        let server = try DashboardProcess(["--home", home])
        defer { server.stop() }
        let origin = "http://127.0.0.1:\(server.port)"
        let (pages, unrouted) = try crawl(port: server.port)
        let kinds = Set(pages.map(\.kind))
        #expect(unrouted.isEmpty, "no route serves these linked paths: \(unrouted.prefix(5))")
        let every: Set = ["models", "model", "version", "compare", "session", "jobs", "history", "environment"]
        #expect(kinds.isSuperset(of: every), "the crawl reached \(kinds.sorted()), not \(every.subtracting(kinds).sorted())")
        #expect(pages.contains { $0.hostile }, "no page shows the hostile model, log or message")

        let browser = Chromium(path: chromium, folder: folder.path)
        var charts = 0
        for (number, page) in pages.enumerated() {
            let screenshot = "\(screenshots)/\(String(format: "%02d", number))-\(page.kind).png"
            let seen = try await browser.browse(origin + page.path, screenshot: screenshot, origin: origin)
            let main = try #require(seen.requests.first, "\(page.path): chromium made no request")
            #expect(main.url == origin + page.path && main.status == 200, "\(page.path): \(main)")
            for request in seen.requests {
                #expect(request.url.hasPrefix(origin + "/"), "\(page.path) requested another origin: \(request.url)")
                if !request.url.hasSuffix("/favicon.ico") { #expect(request.status == 200, "\(page.path): \(request)") }
            }
            #expect(seen.console.isEmpty, "\(page.path): console messages \(seen.console)")
            #expect(seen.dom.contains("</main>"), "\(page.path): no page in the DOM: \(seen.dom.prefix(500))")
            #expect(!seen.dom.lowercased().contains("<script"), "\(page.path): a script element in the DOM")
            if page.hostile {
                #expect(seen.dom.contains("&lt;script&gt;alert(1)"), "\(page.path): the hostile text is not shown escaped")
            }
            let svgs = Self.charts(seen.dom)
            charts += svgs.count
            for (index, svg) in svgs.enumerated() {
                #expect(svg.contains("<circle class=\"point\""), "\(page.path): chart \(index + 1) has no points")
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: screenshot)[.size] as? Int) ?? 0
            #expect(size > 1000, "\(page.path): no screenshot at \(screenshot)")
        }
        #expect(server.stop() == 0, "mf ui did not stop cleanly: \(server.log)")
        print(
            "dashboard browser test: \(pages.count) pages of kinds \(kinds.sorted()), \(charts) charts; screenshots in \(screenshots)"
                + (unrouted.isEmpty ? "" : "; no route serves \(unrouted.count) linked paths: \(unrouted.prefix(5))"))
    }

    /// The fixture writes what it says, through the store: the counts asked for, two
    /// repositories with a churn, jobs in every state, a running and a rolled-back rollout, a
    /// drift alert, and bundles whose schema changes.
    @Test func fixtureWritesARichHome() async throws {
        let folder = TemporaryDirectory("ui-fixture")
        let home = folder.appending("home")
        let made = try await runProcess(
            dashboardFixtureBinary, ["--home", home, "--models", "4", "--releases", "12", "--sessions", "30", "--metric-rows", "600", "--hostile"])
        try #require(made.status == 0, "dashboard-fixture failed: \(made.stderr)")
        let store = try SQLiteStore(path: home + "/factory.sqlite")
        let models = try store.models()
        #expect(models.count == 4 && models.filter { $0.name == "churn" }.count == 2 && Set(models.map(\.repository)).count == 3)
        #expect(models.contains { $0.name == Self.hostile })
        let sessions = try store.sessions(limit: 1000)
        #expect(sessions.count == 30)
        #expect(Set(sessions.map(\.session.status)) == [.passed, .failed, .running])
        let metrics = try store.metrics(sessions: sessions.map(\.session.id))
        #expect(metrics.count >= 600 && Set(metrics.map(\.split)) == ["train", "evaluate", "live"])
        let bundles = try store.bundles()
        #expect(bundles.count == 12)
        let schemas = Set(
            try bundles.map {
                try String(contentsOfFile: $0.bundle.path + "/model.yaml", encoding: .utf8).split(separator: "\n").filter { $0.contains("- { name:") }
            })
        #expect(schemas.count > 1, "every bundle has the same schema")
        #expect(Set(try store.jobs().map(\.state)) == [.queued, .running, .done, .failed])
        let churn = try #require(models.first { $0.name == "churn" })
        let rollouts = try store.latestRollouts(repository: churn.repository, environment: "production")
        #expect(rollouts.first?.state == .running)
        let events = try store.events(repository: churn.repository, environment: "production", model: nil, before: nil, limit: 1000)
        #expect(Set(events.map(\.kind)).isSuperset(of: [.environment, .rolloutStarted, .rolloutStep, .driftAlert]))
        #expect(!(try store.driftSamples(model: "churn", version: nil, since: nil, limit: 1000)).isEmpty)
        #expect(made.stdout.contains("4 models, 12 releases, 30 sessions"))
    }

    /// A page found by the crawl: its path, its kind (the JSON's `page`) and whether it shows the
    /// hostile text.
    struct FoundPage {
        var path: String
        var kind: String
        var hostile: Bool
    }

    /// Follows every link under `/ui` found in the pages' JSON from `/ui`, at most three links of
    /// each shape (`/ui/sessions/*`, `/ui/repositories/*/models/*`, …) besides those naming the
    /// hostile model; every link must answer 200, or an empty 404 when no route serves it (a page
    /// this build lacks: listed). Returns one page of each kind, and one of each kind that shows
    /// the hostile text, and the links no route serves.
    func crawl(port: Int) throws -> (pages: [FoundPage], unrouted: [String]) {
        var unrouted: [String] = []
        var queue = ["/ui"]
        var queued: Set<String> = ["/ui"]
        var shapes: [String: Int] = [:]
        var chosen: [FoundPage] = []
        while !queue.isEmpty {
            let path = queue.removeFirst()
            let answer = try http("GET", port: port, path + (path.contains("?") ? "&" : "?") + "format=json")
            // A path no route serves answers an empty 404 (the dashboard's own errors have a
            // body): a kind of page this build does not have. Any other answer but 200 is a
            // broken link.
            if answer.status == 404 && answer.body.isEmpty {
                unrouted.append(path)
                continue
            }
            #expect(answer.status == 200, "\(path) answered \(answer.status): \(answer.text.prefix(300))")
            guard answer.status == 200, let page = try? answer.json() as? [String: Any], let kind = page["page"] as? String else { continue }
            let hostile = answer.text.contains(Self.hostile.replacingOccurrences(of: "<", with: "\\u003c")) || answer.text.contains(Self.hostile)
            if !chosen.contains(where: { $0.kind == kind && $0.hostile == hostile }) && (hostile || !chosen.contains { $0.kind == kind }) {
                chosen.append(FoundPage(path: path, kind: kind, hostile: hostile))
            }
            for link in Self.links(in: page) where !queued.contains(link) {
                let shape = Self.shape(link)
                let named = link.contains("%3Cscript")
                guard named || shapes[shape, default: 0] < 3 else { continue }
                if !named { shapes[shape, default: 0] += 1 }
                queued.insert(link)
                queue.append(link)
            }
        }
        return (chosen, unrouted)
    }

    /// Every string in `value` that is a dashboard path (not the stylesheet).
    static func links(in value: Any) -> [String] {
        switch value {
        case let text as String: text.hasPrefix("/ui") && !text.hasPrefix("/ui/style.css") && !text.hasPrefix("/ui/login") ? [text] : []
        case let object as [String: Any]: object.keys.sorted().flatMap { links(in: object[$0]!) }
        case let array as [Any]: array.flatMap { links(in: $0) }
        default: []
        }
    }

    /// A link with every name replaced by `*`: the segment after a collection (`sessions`,
    /// `models`, …) and the query.
    static func shape(_ link: String) -> String {
        let path = link.split(separator: "?", maxSplits: 1).first.map(String.init) ?? link
        let segments = path.split(separator: "/").map(String.init)
        return segments.enumerated().map { $0.offset >= 2 && $0.offset % 2 == 0 ? "*" : $0.element }.joined(separator: "/")
    }

    /// The `<svg class="chart" …>…</svg>` elements of a DOM.
    static func charts(_ dom: String) -> [Substring] {
        var found: [Substring] = []
        var rest = dom[...]
        while let start = rest.range(of: "<svg class=\"chart\"") {
            let end = rest[start.upperBound...].range(of: "</svg>")?.upperBound ?? rest.endIndex
            found.append(rest[start.lowerBound..<end])
            rest = rest[end...]
        }
        return found
    }
}
