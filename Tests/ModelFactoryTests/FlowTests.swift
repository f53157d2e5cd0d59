import Foundation
import GitKit
import ModelFactory
import TestSupport
import Testing

/// A repository in the git-flow style, made with plain `git`.
func gitFlowFixture() throws -> GitFixture {
    let fixture = try GitFixture("flow")
    try fixture.commit("initial")
    try fixture.git(["branch", "development"])
    try fixture.git(["checkout", "-q", "-b", "feature/a", "development"])
    try fixture.commit("feature a", file: "a.txt")
    try fixture.git(["checkout", "-q", "development"])
    try fixture.git(["merge", "-q", "--no-ff", "-m", "Merge feature/a", "feature/a"])
    // A release branch whose tip is tagged, then merged --no-ff (one common git-flow tool).
    try fixture.git(["checkout", "-q", "-b", "release/1.0.0", "development"])
    try fixture.commit("bump 1.0.0", file: "VERSION", content: "1.0.0\n")
    try fixture.git(["tag", "-a", "-m", "1.0.0", "v1.0.0"])
    try fixture.git(["checkout", "-q", "master"])
    try fixture.git(["merge", "-q", "--no-ff", "-m", "Merge release/1.0.0", "release/1.0.0"])
    try fixture.git(["checkout", "-q", "development"])
    try fixture.git(["merge", "-q", "--no-ff", "-m", "Merge release back", "release/1.0.0"])
    try fixture.git(["branch", "-D", "release/1.0.0"])
    // A hotfix from master, tagged on the merge commit (the other common tool).
    try fixture.git(["checkout", "-q", "-b", "hotfix/1.0.1", "master"])
    try fixture.commit("fix", file: "a.txt", content: "fixed\n")
    try fixture.git(["checkout", "-q", "master"])
    try fixture.git(["merge", "-q", "--no-ff", "-m", "Merge hotfix/1.0.1", "hotfix/1.0.1"])
    try fixture.git(["tag", "-a", "-m", "1.0.1", "v1.0.1"])
    try fixture.git(["checkout", "-q", "development"])
    try fixture.git(["merge", "-q", "--no-ff", "-m", "Merge hotfix back", "hotfix/1.0.1"])
    try fixture.git(["branch", "-D", "hotfix/1.0.1"])
    // Work in progress.
    try fixture.git(["checkout", "-q", "-b", "feature/b", "development"])
    try fixture.commit("feature b", file: "b.txt")
    try fixture.git(["checkout", "-q", "development"])
    try fixture.git(["tag", "nightly"])
    return fixture
}

func readFlow(_ path: String) throws -> Flow {
    try Flow.read(Repository.open(at: path))
}

func rules(_ flow: Flow) -> [Violation.Rule] { flow.violations.map(\.rule) }

@Suite(.onTestThreads) struct FlowTests {
    @Test func gitFlowRepositoryMadeWithGit() throws {
        let fixture = try gitFlowFixture()
        let flow = try readFlow(fixture.path)
        #expect(flow.violations == [], "\(flow.violations)")
        #expect(flow.configuration.source == .detected)
        #expect(flow.production == BranchHead(branch: "master", commit: ObjectID(hex: try fixture.id("master"))))
        #expect(flow.development?.branch == "development")
        #expect(flow.features.map(\.branch) == ["feature/b", "feature/a"].sorted())
        #expect(flow.releases.map(\.tag) == ["v1.0.0", "v1.0.1"])
        #expect(flow.releases.map(\.productionLine) == [true, true])
        #expect(flow.releases.map(\.hotfix) == [false, true])
        #expect(flow.releases.allSatisfy { $0.model == nil && $0.annotated })
        #expect(flow.latestRelease?.tag == "v1.0.1")
        #expect(flow.ignoredTags == ["nightly"])
    }

    @Test func repositoryMadeThroughTheGitLayer() throws {
        let folder = TemporaryDirectory("demo")
        let repository = try DemoRepository.create(at: folder.appending("r"))
        let flow = try Flow.read(repository)
        #expect(flow.violations == [])
        #expect(flow.configuration.source == .file)
        #expect(flow.releases.map { "\($0.tag) \($0.hotfix)" } == ["v1.0.0 false", "v1.0.1 true"])
        #expect(flow.features.map(\.branch) == ["feature/new-metric"])
        #expect(flow.head.branch == "refs/heads/development")
    }

    @Test func remoteTrackingLinesOfAFreshClone() throws {
        let origin = try gitFlowFixture()
        let clone = TemporaryDirectory("clone")
        try origin.git(["clone", "-q", "-b", "master", origin.path, clone.appending("c")], in: clone.path)
        let flow = try readFlow(clone.appending("c"))
        #expect(flow.production?.branch == "master")
        #expect(flow.development?.branch == "origin/development")
        #expect(flow.releases.count == 2 && flow.releases.allSatisfy(\.productionLine))
    }

    @Test func monorepoTagsNameTheirModel() throws {
        let fixture = try GitFixture("mono")
        try fixture.commit("one")
        try fixture.git(["tag", "churn@v1.0.0"])
        try fixture.git(["tag", "fraud@v1.0.0"])
        try fixture.commit("two")
        try fixture.git(["tag", "churn@v1.0.1"])
        try fixture.git(["tag", "fraud@v2.0.0"])
        let flow = try readFlow(fixture.path)
        #expect(flow.violations == [])
        #expect(flow.releases.map(\.tag) == ["churn@v1.0.0", "churn@v1.0.1", "fraud@v1.0.0", "fraud@v2.0.0"])
        #expect(flow.releases.map(\.hotfix) == [false, true, false, false])
        #expect(flow.latestRelease == nil)
        #expect(flow.latestReleases.map(\.tag) == ["churn@v1.0.1", "fraud@v2.0.0"])
    }

    /// What a session at a commit records as its version: per model the tags at that commit,
    /// the first by name where one model has two.
    @Test func versionsTaggedAtEachCommit() throws {
        let fixture = try GitFixture("tagged")
        let one = try fixture.commit("one")
        try fixture.git(["tag", "churn@v1.0.0"])
        try fixture.git(["tag", "fraud@v1.0.0"])
        let two = try fixture.commit("two")
        try fixture.git(["tag", "v2.1.0"])
        try fixture.git(["tag", "v2.0.9"])
        try fixture.commit("three")
        let tagged = try readFlow(fixture.path).taggedVersions()
        #expect(tagged.count == 2)
        #expect(tagged[try #require(ObjectID(hex: one))] == ["churn": "1.0.0", "fraud": "1.0.0"])
        #expect(tagged[try #require(ObjectID(hex: two))] == [nil: "2.0.9"])
    }

    @Test func twoPartVersionsAndHotfixes() throws {
        let fixture = try GitFixture()
        try fixture.commit("one")
        try fixture.git(["tag", "v2"])
        try fixture.commit("two")
        try fixture.git(["tag", "v2.1"])
        try fixture.commit("three")
        try fixture.git(["tag", "v3"])
        try fixture.commit("four")
        try fixture.git(["tag", "v3.1-rc.1"])
        let flow = try readFlow(fixture.path)
        #expect(flow.releases.map(\.tag) == ["v2", "v2.1", "v3", "v3.1-rc.1"])
        #expect(flow.releases.map(\.hotfix) == [false, true, false, false])
        #expect(flow.latestRelease?.tag == "v3")
    }

    @Test func shallowCloneIsAnError() throws {
        let origin = try gitFlowFixture()
        let clone = TemporaryDirectory("shallow")
        try origin.git(["clone", "-q", "--depth", "1", "file://" + origin.path, clone.appending("c")], in: clone.path)
        let error = #expect(throws: FlowError.self) { try readFlow(clone.appending("c")) }
        #expect(error?.description.contains("shallow clone") == true)
    }
}

@Suite(.onTestThreads) struct ConfigurationTests {
    @Test func detectsMainAndDevelop() throws {
        let fixture = try GitFixture(initialBranch: "main")
        try fixture.commit("one")
        try fixture.git(["branch", "develop"])
        let flow = try readFlow(fixture.path)
        #expect(flow.configuration.source == .detected)
        #expect(flow.production?.branch == "main" && flow.development?.branch == "develop")
    }

    @Test func readsGitFlowConfigKeys() throws {
        let fixture = try GitFixture(initialBranch: "stable")
        try fixture.commit("one")
        try fixture.git(["branch", "next"])
        try fixture.git(["branch", "feat/x"])
        try fixture.git(["branch", "fix/y"])
        try fixture.git(["branch", "rel/z"])
        try fixture.git(["config", "gitflow.branch.master", "stable"])
        try fixture.git(["config", "gitflow.branch.develop", "next"])
        try fixture.git(["config", "gitflow.prefix.feature", "feat/"])
        try fixture.git(["config", "gitflow.prefix.hotfix", "fix/"])
        try fixture.git(["config", "gitflow.prefix.release", "rel/"])
        try fixture.git(["config", "gitflow.prefix.versiontag", "release-"])
        try fixture.git(["tag", "release-1.0"])
        try fixture.git(["tag", "v9.9.9"])
        let flow = try readFlow(fixture.path)
        #expect(flow.configuration.source == .gitConfig)
        #expect(flow.production?.branch == "stable" && flow.development?.branch == "next")
        #expect(flow.features.map(\.branch) == ["feat/x"])
        #expect(flow.hotfixes.map(\.branch) == ["fix/y"])
        #expect(flow.releaseBranches.map(\.branch) == ["rel/z"])
        #expect(flow.releases.map(\.tag) == ["release-1.0"])
        #expect(flow.ignoredTags == ["v9.9.9"])
    }

    @Test func flowFileWinsOverGitConfig() throws {
        let fixture = try GitFixture(initialBranch: "prod")
        try fixture.commit("flow", file: ".mf/flow.yaml", content: "production: prod\ndevelopment: dev\nprefixes:\n  feature: topic/\n")
        try fixture.git(["branch", "dev"])
        try fixture.git(["branch", "topic/one"])
        try fixture.git(["config", "gitflow.branch.master", "master"])
        let flow = try readFlow(fixture.path)
        #expect(flow.configuration.source == .file)
        #expect(flow.production?.branch == "prod" && flow.development?.branch == "dev")
        #expect(flow.features.map(\.branch) == ["topic/one"])
        #expect(flow.configuration.hotfixPrefix == "hotfix/")
    }

    @Test(arguments: [
        ("production: [a, b]\n", "production: expected a string"),
        ("colour: blue\n", "colour: unknown key; expected one of production, development, prefixes"),
        ("prefixes:\n  topic: t/\n", "prefixes.topic: unknown key; expected one of feature, hotfix, release, versiontag"),
        ("prefixes: feature/\n", "prefixes: expected a mapping"),
        ("prefixes:\n  feature: ''\n", "prefixes.feature: expected a non-empty prefix"),
        ("production: master\ndevelopment: master\n", "development: the development line must differ"),
        ("- just\n- a list\n", "expected a mapping of keys to values"),
        ("production: [unclosed\n", "not valid YAML"),
    ])
    func invalidFlowFileNamesTheField(text: String, expected: String) throws {
        let fixture = try GitFixture()
        try fixture.commit("flow", file: ".mf/flow.yaml", content: text)
        let error = #expect(throws: FlowError.self) { try readFlow(fixture.path) }
        #expect(error?.description.contains(".mf/flow.yaml") == true)
        #expect(error?.description.contains(expected) == true, "\(error?.description ?? "")")
    }
}
