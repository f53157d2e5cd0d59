import GitKit
import ModelFactory
import TestSupport
import Testing

@Suite struct ProductionLineWatchTests {
    @Test func reportsAMoveOnlyWhenTheProductionHeadMoves() throws {
        let fixture = try GitFixture("watch")
        let first = try fixture.commit("initial")
        try fixture.git(["branch", "development"])
        let repository = try Repository.open(at: fixture.path)
        var watch = ProductionLineWatch()

        var look = try watch.look(at: repository)
        #expect(look.moved && look.head?.hex == first)
        look = try watch.look(at: repository)
        #expect(!look.moved && look.head?.hex == first)

        // Work on another line does not move production.
        try fixture.git(["checkout", "-q", "development"])
        try fixture.commit("on development", file: "d.txt")
        look = try watch.look(at: repository)
        #expect(!look.moved && look.head?.hex == first)

        try fixture.git(["checkout", "-q", "master"])
        let second = try fixture.commit("on master", file: "m.txt")
        look = try watch.look(at: repository)
        #expect(look.moved && look.head?.hex == second)
        #expect(try !watch.look(at: repository).moved)
    }

    @Test func followsTheConfigurationWhenItNamesAnotherProductionBranch() throws {
        let fixture = try GitFixture("watch-config")
        try fixture.commit("initial")
        try fixture.git(["branch", "development"])
        try fixture.git(["branch", "live"])
        let repository = try Repository.open(at: fixture.path)
        var watch = ProductionLineWatch()
        #expect(try Flow.productionLine(of: repository)?.reference == "refs/heads/master")
        _ = try watch.look(at: repository)

        // git-flow's own configuration names another production branch: when master moves, the
        // watch reads the configuration again and finds production still at the same commit.
        try fixture.git(["config", "gitflow.branch.master", "live"])
        try fixture.git(["checkout", "-q", "master"])
        try fixture.commit("moves master", file: "m.txt")
        #expect(try !watch.look(at: repository).moved)
        #expect(try Flow.productionLine(of: repository)?.reference == "refs/heads/live")
        try fixture.git(["checkout", "-q", "live"])
        let onLive = try fixture.commit("on live", file: "l.txt")
        let look = try watch.look(at: repository)
        #expect(look.moved && look.head?.hex == onLive)
    }

    @Test func aRepositoryWithoutProductionLineHasNoHead() throws {
        let fixture = try GitFixture("watch-none")
        try fixture.git(["checkout", "-q", "-b", "experiment"])
        try fixture.commit("initial")
        let repository = try Repository.open(at: fixture.path)
        var watch = ProductionLineWatch()
        let look = try watch.look(at: repository)
        #expect(look.moved && look.head == nil)
        #expect(try !watch.look(at: repository).moved)
    }
}
