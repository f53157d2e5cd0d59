import Foundation
import GitKit
import ModelFactory
import TestSupport
import Testing

@Suite(.onTestThreads) struct RuleTests {
    @Test func releaseOffTheProductionLine() throws {
        let fixture = try GitFixture()
        try fixture.commit("one")
        try fixture.git(["checkout", "-q", "-b", "development"])
        let off = try fixture.commit("unreleased work")
        try fixture.git(["tag", "v1.0.0"])
        let flow = try readFlow(fixture.path)
        #expect(rules(flow) == [.releaseNotOnProductionLine])
        let violation = flow.violations[0]
        #expect(violation.refs == ["refs/tags/v1.0.0", "refs/heads/master"])
        #expect(violation.commits.first?.hex == off)
        #expect(violation.message.contains("v1.0.0") && violation.message.contains("master"))
        #expect(flow.releases[0].productionLine == false)
        #expect(flow.latestRelease == nil)
    }

    @Test func versionsMustGrowAlongTheProductionLine() throws {
        let fixture = try GitFixture()
        try fixture.commit("one")
        try fixture.git(["tag", "v2.0.0"])
        try fixture.commit("two")
        try fixture.git(["tag", "v1.5.0"])
        try fixture.commit("three")
        try fixture.git(["tag", "v2.1.0"])
        let flow = try readFlow(fixture.path)
        #expect(rules(flow) == [.versionOrder])
        #expect(flow.violations[0].refs == ["refs/tags/v2.0.0", "refs/tags/v1.5.0"])
    }

    @Test func aReleaseBranchTagJoinsAtItsMerge() throws {
        // v1.1.0 is tagged on a release branch before v1.0.1 lands by a hotfix, but joins the
        // production line after it: that is in order.
        let fixture = try GitFixture()
        try fixture.commit("one")
        try fixture.git(["tag", "v1.0.0"])
        try fixture.git(["checkout", "-q", "-b", "release/1.1.0"])
        try fixture.commit("release", file: "r.txt")
        try fixture.git(["tag", "v1.1.0"])
        try fixture.git(["checkout", "-q", "master"])
        try fixture.commit("hotfix", file: "h.txt")
        try fixture.git(["tag", "v1.0.1"])
        try fixture.git(["merge", "-q", "--no-ff", "-m", "release 1.1.0", "release/1.1.0"])
        let flow = try readFlow(fixture.path)
        #expect(flow.violations == [])
        #expect(flow.releases.map(\.hotfix) == [false, true, false])
    }

    @Test func twoTagsForOneVersion() throws {
        let fixture = try GitFixture()
        let one = try fixture.commit("one")
        try fixture.git(["tag", "v1.0"])
        let two = try fixture.commit("two")
        try fixture.git(["tag", "1.0.0"])
        let flow = try readFlow(fixture.path)
        #expect(rules(flow) == [.duplicateVersion])
        #expect(Set(flow.violations[0].refs) == ["refs/tags/v1.0", "refs/tags/1.0.0"])
        #expect(Set(flow.violations[0].commits.map(\.hex)) == [one, two])
    }

    @Test func hotfixMustForkFromARelease() throws {
        let fixture = try GitFixture()
        try fixture.commit("one")
        try fixture.git(["tag", "v1.0.0"])
        try fixture.git(["branch", "hotfix/good"])
        let untagged = try fixture.commit("two")
        try fixture.git(["checkout", "-q", "-b", "hotfix/bad"])
        try fixture.commit("fix on an unreleased commit", file: "fix.txt")
        try fixture.git(["checkout", "-q", "hotfix/good"])
        try fixture.commit("a proper fix", file: "fix2.txt")
        try fixture.git(["checkout", "-q", "master"])
        let flow = try readFlow(fixture.path)
        #expect(rules(flow) == [.hotfixBase])
        #expect(flow.violations[0].refs == ["refs/heads/hotfix/bad", "refs/heads/master"])
        #expect(flow.violations[0].commits.last?.hex == untagged)
    }

    @Test func hotfixMustNotCarryDevelopmentWork() throws {
        let fixture = try GitFixture()
        try fixture.commit("one")
        try fixture.git(["tag", "v1.0.0"])
        try fixture.git(["checkout", "-q", "-b", "development"])
        try fixture.commit("unreleased feature", file: "f.txt")
        try fixture.git(["checkout", "-q", "-b", "hotfix/wrong"])
        try fixture.commit("fix", file: "fix.txt")
        let flow = try readFlow(fixture.path)
        #expect(rules(flow) == [.hotfixBase])
        #expect(flow.violations[0].message.contains("development commit"))
    }

    /// A release merges development into the production line; a hotfix that forks from a
    /// development commit inside that merge is not forked from a release, whether the commit is
    /// the merged tip (its tree is the release's) or one before it.
    @Test(arguments: ["development", "development~1"])
    func hotfixFromADevelopmentCommitInsideAReleaseMerge(_ fork: String) throws {
        let fixture = try GitFixture()
        try fixture.commit("one")
        try fixture.git(["tag", "v1.0.0"])
        try fixture.git(["checkout", "-q", "-b", "development"])
        try fixture.commit("first feature", file: "a.txt")
        try fixture.commit("second feature", file: "b.txt")
        try fixture.git(["checkout", "-q", "master"])
        try fixture.git(["merge", "-q", "--no-ff", "-m", "release 1.1.0", "development"])
        try fixture.git(["tag", "v1.1.0"])
        let base = try fixture.id(fork)
        try fixture.git(["checkout", "-q", "-b", "hotfix/1.1.1", fork])
        try fixture.commit("fix", file: "fix.txt")
        // The same release made from a tagged release branch: a hotfix from the merge is fine.
        try fixture.git(["checkout", "-q", "-b", "release/1.2.0", "development"])
        try fixture.commit("bump 1.2.0", file: "VERSION", content: "1.2.0\n")
        try fixture.git(["tag", "v1.2.0"])
        try fixture.git(["checkout", "-q", "master"])
        try fixture.git(["merge", "-q", "--no-ff", "-m", "release 1.2.0", "release/1.2.0"])
        try fixture.git(["checkout", "-q", "-b", "hotfix/1.2.1", "master"])
        try fixture.commit("another fix", file: "fix2.txt")
        let flow = try readFlow(fixture.path)
        #expect(rules(flow) == [.hotfixBase], "\(flow.violations)")
        let violation = try #require(flow.violations.first)
        #expect(violation.refs == ["refs/heads/hotfix/1.1.1", "refs/heads/master"])
        #expect(violation.commits.last?.hex == base)
        #expect(violation.message.contains("not a release"), "\(violation.message)")
    }

    @Test func hotfixFromAReleaseMergeCommitIsFine() throws {
        // The merge of a tagged release branch has the release's tree, so forking there is fine.
        let fixture = try gitFlowFixture()
        try fixture.git(["checkout", "-q", "-b", "hotfix/1.0.2", "master"])
        try fixture.commit("another fix", file: "c.txt")
        let flow = try readFlow(fixture.path)
        #expect(flow.violations == [])
        #expect(flow.hotfixes.map(\.branch) == ["hotfix/1.0.2"])
    }

    @Test func featureMustForkFromTheDevelopmentLine() throws {
        let fixture = try gitFlowFixture()
        try fixture.git(["checkout", "-q", "-b", "feature/from-master", "master"])
        try fixture.commit("wrong base", file: "w.txt")
        let flow = try readFlow(fixture.path)
        #expect(rules(flow) == [.featureBase])
        #expect(flow.violations[0].refs == ["refs/heads/feature/from-master", "refs/heads/development"])
    }

    @Test func featureWithoutADevelopmentLine() throws {
        let fixture = try GitFixture()
        try fixture.commit("one")
        try fixture.git(["checkout", "-q", "-b", "feature/x"])
        try fixture.commit("x", file: "x.txt")
        let flow = try readFlow(fixture.path)
        #expect(rules(flow) == [.featureBase])
    }

    @Test func emptyRepositoryHasNoProductionLine() throws {
        let fixture = try GitFixture()
        let flow = try readFlow(fixture.path)
        #expect(rules(flow) == [.noProductionLine])
        #expect(flow.releases.isEmpty && flow.production == nil)
        #expect(flow.head == Head(branch: "refs/heads/master", commit: nil))
    }

    @Test func detachedHeadIsNormal() throws {
        let fixture = try gitFlowFixture()
        try fixture.git(["checkout", "-q", "--detach", "v1.0.0"])
        let flow = try readFlow(fixture.path)
        #expect(flow.violations == [])
        #expect(flow.head.branch == nil && flow.head.commit != nil)
    }

    @Test func badTagsAndReferencesAreReported() throws {
        let fixture = try GitFixture()
        let head = try fixture.commit("one", file: "a.txt")
        try fixture.git(["tag", "v1.0.0"])
        try fixture.git(["tag", "v2.0.0", "HEAD^{tree}"])
        try fixture.git(["tag", "v3.0.0", "HEAD:a.txt"])
        try fixture.git(["tag", "-a", "-m", "inner", "inner"])
        try fixture.git(["tag", "-a", "-m", "outer", "v1.1.0", "inner"])
        try fixture.git(["tag", "v1.2.x"])
        try fixture.writeGitFile("refs/heads/dangling", "0123456789012345678901234567890123456789\n")
        try fixture.writeGitFile("refs/tags/v9 with space", head + "\n")
        let flow = try readFlow(fixture.path)
        let byRef = Dictionary(grouping: flow.violations) { $0.refs[0] }.mapValues { $0.map(\.rule) }
        #expect(byRef["refs/tags/v2.0.0"] == [.brokenReference])
        #expect(byRef["refs/tags/v3.0.0"] == [.brokenReference])
        #expect(byRef["refs/tags/v1.1.0"] == [.nestedTag])
        #expect(byRef["refs/tags/v1.2.x"] == [.notAVersion])
        #expect(byRef["refs/heads/dangling"] == [.brokenReference])
        #expect(byRef["refs/tags/v9 with space"] == [.brokenReference])
        #expect(flow.violations.first { $0.refs[0] == "refs/tags/v2.0.0" }?.message == "tag 'v2.0.0' points at a tree, not a commit")
        // The nested tag still counts as a release of its commit.
        #expect(flow.releases.map(\.tag).contains("v1.1.0"))
    }
}
