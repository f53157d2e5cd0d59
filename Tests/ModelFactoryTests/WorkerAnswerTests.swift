import ModelFactory
import ModelKit
import TestSupport
import Testing

@Suite(.onTestThreads) struct WorkerAnswerTests {
    @Test func metricsAreNumbersOrNull() throws {
        let metrics = try WorkerAnswer.metrics(["metrics": ["auc": 0.8, "f1": nil]], method: "evaluate")
        #expect(metrics == ["auc": 0.8, "f1": nil] && metrics.count == 2)
        #expect(try WorkerAnswer.metrics(["metrics": [:]], method: "train").isEmpty)
    }

    @Test(arguments: [
        (
            ["auc": 0.8] as JSONValue,
            #"the worker's answer to 'evaluate' has no "metrics" (it answered {"auc":0.8}); expected {"metrics": {"NAME": number or null, …}}"#
        ),
        (JSONValue.null, #"the worker's answer to 'evaluate' has no "metrics" (it answered null); expected"#),
        (["metrics": [0.8]] as JSONValue, #"the worker's answer to 'evaluate' has "metrics": [0.8], not an object; expected"#),
        (["metrics": ["auc": "high"]] as JSONValue, #"the worker's answer to 'evaluate' has the metric "auc": "high", which is not a number; expected"#),
        (["metrics": ["auc": true]] as JSONValue, #"has the metric "auc": true, which is not a number"#),
    ])
    func metricsInAnotherShapeAreNamed(answer: JSONValue, expected: String) {
        let error = #expect(throws: WorkerError.self) { try WorkerAnswer.metrics(answer, method: "evaluate") }
        #expect(error?.description.hasPrefix(expected) == true || error?.description.contains(expected) == true, "\(error?.description ?? "")")
    }

    @Test func predictionsAreOneObjectPerInstance() throws {
        let answer: JSONValue = ["predictions": [["y": 1], ["y": 0]]]
        #expect(try WorkerAnswer.predictions(answer, count: 2) == [["y": 1], ["y": 0]])
    }

    @Test(arguments: [
        (
            [["y": 1]] as JSONValue, 1,
            #"the worker's answer to 'predict' has no "predictions" (it answered [{"y":1}]); expected {"predictions": [one object per instance, in order]} for 1 instance"#
        ),
        (["predictions": ["y": 1]] as JSONValue, 1, #"the worker's answer to 'predict' has "predictions": {"y":1}, not a list; expected"#),
        (
            ["predictions": [["y": 1]]] as JSONValue, 2,
            #"the worker's answer to 'predict' has 1 prediction for 2 instances; expected {"predictions": [one object per instance, in order]} for 2 instances"#
        ),
        (["predictions": [["y": 1], 0.3]] as JSONValue, 2, #"the worker's answer to 'predict' has predictions[1]: 0.3, not an object; expected"#),
    ])
    func predictionsInAnotherShapeAreNamed(answer: JSONValue, count: Int, expected: String) {
        let error = #expect(throws: WorkerError.self) { try WorkerAnswer.predictions(answer, count: count) }
        #expect(error?.description.hasPrefix(expected) == true, "\(error?.description ?? "")")
    }

    /// A long answer is cut in the message, which stays one line.
    @Test func longAnswersAreCut() {
        let answer = JSONValue.array(Array(repeating: ["text": "a long line\nwith a newline"], count: 50))
        let error = #expect(throws: WorkerError.self) { try WorkerAnswer.predictions(answer, count: 50) }
        let text = error?.description ?? ""
        #expect(text.contains("…") && !text.contains("\n") && text.count < 400, "\(text)")
    }

    @Test func logTailsAreOneLine() {
        #expect(WorkerError.lastLines(of: "one\n\ntwo\n  three  \n", count: 2) == "two | three")
        #expect(WorkerError.lastLines(of: "") == "")
    }
}
