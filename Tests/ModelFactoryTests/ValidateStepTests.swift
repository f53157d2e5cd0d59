import Foundation
import GitKit
import ModelFactory
import Store
import TestSupport
import Testing

/// The session's `validate` step: before train on the training data, before evaluate on the
/// evaluation data; a failed rule fails the session there, and its result is in the store.
@Suite(.onTestThreads) struct ValidateStepTests {
    func yaml(train: String, evaluate: String = "data/test.csv") -> String {
        thresholdYAML.replacingOccurrences(of: "train: { data: data/train.csv, seed: 1 }", with: "train: { data: \(train), seed: 1 }")
            .replacingOccurrences(of: "evaluate: { data: data/test.csv }", with: "evaluate: { data: \(evaluate) }")
            + "\nexpect: { rows: \">= 3\", columns: { x: { type: double, min: 0 }, y: { values: ['0', '1'] } } }"
    }

    @Test func badTrainingDataFailsTheSessionBeforeTrain() async throws {
        let folder = TemporaryDirectory("validate")
        let repository = try pluginRepository(
            yaml(train: "data/bad.csv"), extra: ["data/bad.csv": "x,y\n1,0\n-1,0\n3,1\n-2.5,2\n"], at: folder)
        let factory = try Factory()
        let report = try await factory.build(repository)
        #expect(report.session.status == .failed)
        #expect(
            report.session.failure
                == "validate: 2 rules failed on data/bad.csv: x min 0: rows 2, 4 (-1, -2.5); y one of 0, 1: row 4 (2)")
        #expect(report.steps.map(\.name) == ["build", "validate"])
        let recorded = try factory.store.dataChecks(session: report.session.id)
        #expect(recorded.map(\.path) == ["data/bad.csv"] && recorded.map(\.passed) == [false] && recorded.map(\.rows) == [4])
        let decoded = try JSONDecoder().decode(DataCheckReport.self, from: Data(recorded[0].result.utf8))
        #expect(decoded == report.dataChecks[0])
        #expect(report.session.blockedByData)
    }

    @Test func goodDataIsCheckedBeforeTrainAndEvaluate() async throws {
        let folder = TemporaryDirectory("validate")
        let repository = try pluginRepository(yaml(train: "data/train.csv"), at: folder)
        let factory = try Factory()
        let report = try await factory.build(repository)
        #expect(report.session.status == .passed, "\(report.session.failure ?? "")")
        #expect(report.steps.map(\.name) == ["build", "validate", "start", "describe", "train", "validate", "evaluate", "predict", "artifacts", "gates"])
        #expect(report.dataChecks.map(\.dataset) == ["train", "evaluate"] && report.dataChecks.allSatisfy(\.passed))
        #expect(try factory.store.dataChecks(session: report.session.id).map(\.path) == ["data/train.csv", "data/test.csv"])
    }

    @Test func badEvaluationDataFailsBeforeEvaluate() async throws {
        let folder = TemporaryDirectory("validate")
        let repository = try pluginRepository(
            yaml(train: "data/train.csv", evaluate: "data/small.csv"), extra: ["data/small.csv": "x,y\n1,0\n"], at: folder)
        let report = try await Factory().build(repository)
        #expect(report.session.failure == "validate: 1 rule failed on data/small.csv: rows >= 3: 1")
        #expect(report.steps.map(\.name).suffix(2) == ["train", "validate"])
    }
}
