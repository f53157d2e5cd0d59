import Foundation
import TestSupport
import Testing

/// `--store` and `$MF_STORE`: the same commands on a PostgreSQL store, and a store URL mf cannot
/// use refused in one sentence.
@Suite(.onTestThreads) struct StoreOptionTests {
    /// A build recorded in a fresh PostgreSQL database through --store is listed by
    /// `mf sessions --store` and through $MF_STORE, and nothing is written to the home's SQLite.
    @Test func buildAndSessionsUseAPostgresStore() throws {
        let url = try TestPostgres.freshDatabase("mfstore")
        let fixture = try releasedModel()
        let home = TemporaryDirectory("home-pg")
        let built = try mf(["build", "--repo", fixture.path, "--home", home.path, "--store", url])
        #expect(built.status == 0, "\(built.stdout) \(built.stderr)")
        let listed = try #require(try json(try mf(["sessions", "--json", "--home", home.path, "--store", url])) as? [[String: Any]])
        #expect(listed.count == 1 && listed.first?["status"] as? String == "passed")
        let fromEnvironment = try #require(
            try json(try mf(["sessions", "--json", "--home", home.path], environment: ["MF_STORE": url])) as? [[String: Any]])
        #expect(fromEnvironment.map { $0["id"] as? String } == listed.map { $0["id"] as? String })
        #expect(!FileManager.default.fileExists(atPath: home.appending("factory.sqlite")))
        // The home's own SQLite store knows nothing of it; sqlite:PATH names another file.
        let local = try #require(try json(try mf(["sessions", "--json", "--home", home.path])) as? [[String: Any]])
        #expect(local.isEmpty)
        let elsewhere = home.appending("other/factory.sqlite")
        let other = try #require(try json(try mf(["sessions", "--json", "--store", "sqlite:\(elsewhere)"])) as? [[String: Any]])
        #expect(other.isEmpty && FileManager.default.fileExists(atPath: elsewhere))
    }

    /// A store URL of another kind fails in one sentence with exit 2, and a password never shows.
    @Test func anUnknownStoreIsRefusedInOneSentence() throws {
        expectOneLineError(try mf(["sessions", "--store", "ftp://x"]), containing: "ftp://x")
        let result = try mf(["jobs", "--store", "mysql://mf:hunter2@db/factory"])
        expectOneLineError(result, containing: "neither a postgres:// URL nor sqlite:PATH")
        #expect(!result.stderr.contains("hunter2"))
        expectOneLineError(try mf(["sessions"], environment: ["MF_STORE": "redis://x"]), containing: "$MF_STORE")
    }
}
