import Foundation
import TestSupport
import Testing

@testable import ModelKit

/// Expected values are scikit-learn's documented examples.
@Suite(.onTestThreads) struct ScoreTests {
    func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) < 1e-9 }

    @Test func classification() {
        #expect(Score.accuracy(truth: [0, 2, 1, 3], predicted: [0, 1, 2, 3]) == 0.5)
        let truth = [0, 1, 1, 0, 1, 1]
        let predicted = [0, 1, 0, 0, 1, 1]
        #expect(Score.precision(truth: truth, predicted: predicted) == 1)
        #expect(Score.recall(truth: truth, predicted: predicted) == 0.75)
        #expect(close(Score.f1(truth: truth, predicted: predicted), 6.0 / 7.0))
        #expect(Score.precision(truth: [1, 1], predicted: [0, 0]) == 0)
        #expect(Score.f1(truth: [1, 1], predicted: [0, 0]) == 0)
    }

    @Test func rocAUC() {
        #expect(Score.rocAUC(truth: [0, 0, 1, 1], scores: [0.1, 0.4, 0.35, 0.8]) == 0.75)
        #expect(Score.rocAUC(truth: [0, 1], scores: [0.5, 0.5]) == 0.5)  // a tie counts half
        #expect(Score.rocAUC(truth: [1, 1], scores: [0.1, 0.9]).isNaN)  // one class only
        #expect(Score.rocAUC(truth: [0, 0, 1, 1, 1], scores: [0.2, 0.6, 0.6, 0.9, 0.1]) == 3.5 / 6)  // 3 wins, 1 tie of 6 pairs
    }

    @Test func logLoss() {
        // log_loss(["spam", "ham", "ham", "spam"], [[.1, .9], [.9, .1], [.8, .2], [.35, .65]])
        #expect(close(Score.logLoss(truth: [1, 0, 0, 1], probabilities: [0.9, 0.1, 0.2, 0.65]), 0.21616187468057912))
        #expect(Score.logLoss(truth: [1], probabilities: [0]).isFinite)  // clipped, not infinite
    }

    @Test func regression() {
        let truth = [3, -0.5, 2, 7]
        let predicted = [2.5, 0.0, 2, 8]
        #expect(close(Score.rmse(truth: truth, predicted: predicted), 0.375.squareRoot()))
        #expect(Score.mae(truth: truth, predicted: predicted) == 0.5)
        #expect(close(Score.r2(truth: truth, predicted: predicted), 0.9486081370449679))
        #expect(Score.r2(truth: [1, 1], predicted: [1, 1]) == 1)
        #expect(Score.r2(truth: [1, 1], predicted: [1, 2]) == 0)
        #expect(Score.rmse(truth: [], predicted: []).isNaN)
    }
}

@Suite(.onTestThreads) struct TableTests {
    @Test func readsQuotedCSV() throws {
        let table = try Table(csv: "name,note,score\r\nann,\"likes \"\"a,b\"\"\",1.5\nbob,\"two\nlines\",2\n")
        #expect(table.columns == ["name", "note", "score"])
        #expect(table.rows == [["ann", "likes \"a,b\"", "1.5"], ["bob", "two\nlines", "2"]])
        #expect(try table.numbers("score") == [1.5, 2])
        #expect(throws: ModelError.self) { try table.numbers("name") }
        #expect(throws: ModelError.self) { try table.column("missing") }
    }

    @Test func refusesRaggedRows() {
        let error = #expect(throws: ModelError.self) { try Table(csv: "a,b\n1,2\n3\n") }
        #expect(error?.description == "CSV row 3 has 1 field; the header has 2")
        #expect(throws: ModelError.self) { try Table(csv: "") }
    }

    @Test func seededGeneratorIsSplitMix64() {
        var generator = SeededGenerator(seed: 0)
        #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
        #expect(generator.next() == 0x6E78_9E6A_A1B9_65F4)
    }

    @Test func splitsRepeatably() throws {
        let table = Table(columns: ["i"], rows: (0..<10).map { [String($0)] })
        let first = table.split(testFraction: 0.3, seed: 42)
        let again = table.split(testFraction: 0.3, seed: 42)
        #expect(first.test == again.test && first.train == again.train)
        #expect(first.test.rows.count == 3 && first.train.rows.count == 7)
        #expect(Set((first.test.rows + first.train.rows).map { $0[0] }) == Set((0..<10).map(String.init)))
        #expect(table.split(testFraction: 0.3, seed: 7).test != first.test)
        // The Python runner's split of the same rows with the same seed (runtimes/python).
        #expect(first.test.rows == [["0"], ["9"], ["5"]])
        #expect(first.train.rows == [["8"], ["6"], ["4"], ["7"], ["2"], ["1"], ["3"]])
    }
}

/// A model that predicts the mean of what it was trained on.
struct MeanModel: Model {
    var mean = 0.0

    mutating func train(_ request: TrainingRequest) throws -> Metrics {
        let values = try Table(contentsOf: request.data).numbers("y")
        mean = values.reduce(0, +) / Double(values.count)
        try Data("\(mean)".utf8).write(to: request.artifacts.appendingPathComponent("mean.txt"))
        print("this goes to the log, not to the answers")
        return ["mae": Score.mae(truth: values, predicted: values.map { _ in mean })]
    }

    mutating func load(artifacts: URL) throws {
        mean = Double(try String(contentsOf: artifacts.appendingPathComponent("mean.txt"), encoding: .utf8)) ?? 0
    }

    func evaluate(data: URL) throws -> Metrics {
        let values = try Table(contentsOf: data).numbers("y")
        return ["rmse": Score.rmse(truth: values, predicted: values.map { _ in mean })]
    }

    func predict(_ instances: [[String: JSONValue]]) throws -> [[String: JSONValue]] {
        instances.map { _ in ["y": .number(mean)] }
    }
}

@Suite(.onTestThreads) struct ModelWorkerTests {
    @Test func answersEachMethod() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("y\n1\n3\n".utf8).write(to: folder.appendingPathComponent("data.csv"))
        var model = MeanModel()
        func call(_ line: String) -> JSONValue { ModelWorker.handle(line, model: &model).answer }
        let data = folder.appendingPathComponent("data.csv").path
        #expect(
            call(#"{"jsonrpc":"2.0","id":1,"method":"train","params":{"data":"\#(data)","artifacts":"\#(folder.path)","seed":1}}"#)["result"] == [
                "metrics": ["mae": 1]
            ])
        var fresh = MeanModel()
        _ = ModelWorker.handle(#"{"jsonrpc":"2.0","id":2,"method":"load","params":{"artifacts":"\#(folder.path)"}}"#, model: &fresh)
        #expect(fresh.mean == 2)
        #expect(call(#"{"jsonrpc":"2.0","id":3,"method":"predict","params":{"instances":[{},{}]}}"#)["result"] == ["predictions": [["y": 2], ["y": 2]]])
        #expect(call(#"{"jsonrpc":"2.0","id":4,"method":"evaluate","params":{"data":"\#(data)"}}"#)["result"] == ["metrics": ["rmse": 1]])
        #expect(call(#"{"jsonrpc":"2.0","id":5,"method":"health"}"#)["result"] == ["status": "ok"])
        #expect(call(#"{"jsonrpc":"2.0","id":6,"method":"nope"}"#)["error"]?["code"] == -32601)
        #expect(call(#"{"jsonrpc":"2.0","id":7,"method":"predict","params":{}}"#)["error"]?["code"] == -32000)
        #expect(call("not json")["error"]?["code"] == -32700)
        #expect(call(#"{"jsonrpc":"2.0","id":8,"method":"evaluate","params":{"data":"/nope.csv"}}"#)["id"] == 8)
        #expect(ModelWorker.handle(#"{"jsonrpc":"2.0","id":9,"method":"shutdown"}"#, model: &model).stop)
    }
}
