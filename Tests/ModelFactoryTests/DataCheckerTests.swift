import Foundation
import ModelFactory
import ModelKit
import TestSupport
import Testing

/// `DataChecker`: every `expect:` rule on a streamed file, with offending rows and values.
@Suite(.onTestThreads) struct DataCheckerTests {
    func check(
        _ yaml: String, _ text: String, name: String = "data.csv", dataset: Manifest.Expectations.Dataset = .train,
        baseline: DataBaseline = .none(reason: "there is no previous release")
    ) throws -> DataCheckReport {
        let manifest = try Manifest.parse(manifestText + "\n" + yaml)
        let folder = TemporaryDirectory("check")
        try folder.write(name, text)
        return try DataChecker(rules: manifest.expect.rules(for: dataset), baseline: baseline).check(
            path: folder.appending(name), named: name, dataset: dataset)
    }

    let manifestText = """
        name: churn
        runtime: python
        train: { data: data.csv }
        evaluate: { data: data.csv }
        schema:
          inputs: [{ name: tenure, type: double }, { name: contract, type: string }]
          outputs: [{ name: p, type: double }]
        """

    func rule(_ report: DataCheckReport, _ rule: String, _ column: String? = nil) -> DataRuleResult? {
        report.rules.first { $0.rule == rule && $0.column == column }
    }

    @Test func rangesTypesAndValues() throws {
        let yaml = """
            expect:
              columns:
                tenure: { type: int, min: 0, max: 120 }
                contract: { values: [monthly, yearly] }
            """
        let data = "tenure,contract\n1,monthly\n-1,yearly\n5,weekly\n200,monthly\nx,monthly\n-3,\n"
        let report = try check(yaml, data)
        #expect(!report.passed && report.rows == 6)
        #expect(rule(report, "min", "tenure")?.examples.map(\.row) == [2, 6])
        #expect(rule(report, "min", "tenure")?.description == "tenure min 0: rows 2, 6 (-1, -3)")
        #expect(rule(report, "max", "tenure")?.description == "tenure max 120: row 4 (200)")
        #expect(rule(report, "type", "tenure")?.description == "tenure type int: row 5 (x)")
        #expect(rule(report, "values", "contract")?.description == "contract one of monthly, yearly: row 3 (weekly)")
        #expect(rule(report, "present", "tenure")?.status == .passed)
        #expect(report.summary.hasPrefix("4 rules failed on data.csv: tenure type int: row 5 (x); tenure min 0: rows 2, 6 (-1, -3);"))
        let good = try check(yaml, "tenure,contract\n1,monthly\n")
        #expect(good.passed && good.summary == "data.csv: 1 row, 6 rules passed")
    }

    /// Ten offending rows are named, all are counted.
    @Test func manyOffendersAreCountedAndTenShown() throws {
        let data = "tenure\n" + (1...25).map { "-\($0)" }.joined(separator: "\n") + "\n"
        let report = try check("expect: { columns: { tenure: { min: 0 } } }", data)
        let min = try #require(rule(report, "min", "tenure"))
        #expect(min.offendingRows == 25 && min.examples.count == 10 && min.examples.last?.row == 10)
        #expect(min.description.hasPrefix("tenure min 0: 25 rows, the first 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, … (-1, -2,"))
    }

    @Test func rowsAndMissing() throws {
        let yaml = "expect: { rows: \">= 5\", columns: { tenure: { missing: \"<= 0.2\" } } }"
        let report = try check(yaml, "tenure\n1\n\n2\n\"\"\n3\n")
        // A blank line is no row; a quoted empty cell is a missing value.
        #expect(rule(report, "rows")?.description == "rows >= 5: 4")
        #expect(rule(report, "missing", "tenure")?.measured == 0.25)
        #expect(rule(report, "missing", "tenure")?.description == "tenure missing <= 0.2: 0.25 (row 3)")
        #expect(try check(yaml, "tenure\n1\n2\n3\n4\n\n5\n").passed)
    }

    /// Keys go to a temporary table in batches: a duplicate is found across batches, with the
    /// row it repeats.
    @Test func uniqueKeys() throws {
        var data = "id,day,x\n"
        for index in 1...10_000 { data += "\(index),1,0\n" }
        data += "9000,1,0\n42,2,0\n"
        let single = try check("expect: { unique: [id] }", data)
        #expect(rule(single, "unique", "id")?.description == "id unique: rows 10001, 10002 (9000 as row 9000, 42 as row 42)")
        let pair = try check("expect: { unique: [id, day] }", data)
        #expect(rule(pair, "unique", "id, day")?.description == "id, day unique: row 10001 (9000, 1 as row 9000)")
        let absent = try check("expect: { unique: [customer] }", data)
        #expect(rule(absent, "unique", "customer")?.status == .failed)
    }

    @Test func absentColumnsAndMalformedRows() throws {
        let yaml = """
            expect:
              columns:
                tenure: { min: 0 }
                promo: { type: bool, required: false }
            """
        let report = try check(yaml, "contract,x\nmonthly,1\nyearly\n")
        #expect(rule(report, "present", "tenure")?.description == "tenure present: no column tenure; the columns are contract, x")
        #expect(rule(report, "min", "tenure")?.status == .skipped)
        #expect(rule(report, "present", "promo") == nil && rule(report, "type", "promo")?.status == .skipped)
        #expect(rule(report, "format")?.description == "well-formed rows: row 2 (it has 1 field; the header has 2)")
    }

    @Test func jsonLinesTypes() throws {
        let yaml = "expect: { columns: { tenure: { type: int, min: 0 }, promo: { type: bool } } }"
        let data = "{\"tenure\": 3, \"promo\": true}\n{\"tenure\": \"4\", \"promo\": 1}\n{\"tenure\": -2.0}\n"
        let report = try check(yaml, data, name: "data.jsonl")
        #expect(rule(report, "type", "tenure")?.description == "tenure type int: row 2 (4)")
        #expect(rule(report, "min", "tenure")?.description == "tenure min 0: row 3 (-2)")
        #expect(rule(report, "type", "promo")?.description == "promo type bool: row 2 (1)")
    }

    /// PSI against a training profile; skipped, saying why, without one.
    @Test func psiAgainstAProfile() throws {
        let manifest = try Manifest.parse(manifestText)
        let training = "tenure,contract\n" + (0..<100).map { "\($0),monthly" }.joined(separator: "\n")
        let profile = try TrainingProfile(csv: training, schema: manifest.schema, data: "data.csv")
        let yaml = "expect: { columns: { tenure: { psi: \"<= 0.2\" }, contract: { psi: 0.2 }, other: { psi: 0.2, required: false } } }"
        let baseline = DataBaseline.profile(profile, source: "release 1.0.0")
        let same = try check(yaml, training, baseline: baseline)
        #expect(rule(same, "psi", "tenure")?.status == .passed && rule(same, "psi", "tenure")!.measured! < 0.01)
        let shifted = "tenure,contract\n" + (0..<100).map { "\(80 + $0 % 20),yearly" }.joined(separator: "\n")
        let drifted = try check(yaml, shifted, baseline: baseline)
        let psi = try #require(rule(drifted, "psi", "tenure"))
        #expect(psi.status == .failed && psi.measured! > 1)
        #expect(psi.description.hasSuffix("against the training data of release 1.0.0"))
        #expect(rule(drifted, "psi", "contract")?.status == .failed)
        let none = try check(yaml, shifted)
        #expect(rule(none, "psi", "tenure")?.status == .skipped && rule(none, "psi", "tenure")?.note == "there is no previous release")
        #expect(none.passed)
    }

    /// A dataset's section replaces the shared rows and unique rules and the columns it names.
    @Test func perDatasetRules() throws {
        let manifest = try Manifest.parse(
            manifestText + """

                expect:
                  rows: ">= 500"
                  columns: { tenure: { min: 0 }, contract: { values: [a] } }
                  evaluate: { rows: ">= 10", columns: { tenure: { max: 5 } } }
                """)
        let evaluate = manifest.expect.rules(for: .evaluate)
        #expect(evaluate.rows?.value == 10 && evaluate.columns.map(\.name) == ["tenure", "contract"])
        #expect(evaluate.columns[0].min == nil && evaluate.columns[0].max == 5)
        #expect(manifest.expect.rules(for: .train).rows?.value == 500 && manifest.expect.rules(for: .score) == manifest.expect.shared)
    }

    @Test func badExpectationsNameTheField() {
        let bad = #expect(throws: ManifestError.self) {
            try Manifest.parse(
                manifestText + """

                    expect:
                      rows: "lots"
                      unique: []
                      columns:
                        tenure: { type: integer, min: x, missing: 2, psi: "about 0.2", required: maybe }
                        contract: { type: string, min: 1, colour: red }
                      socre: {}
                    """)
        }
        let problems = bad?.problems.map(\.description) ?? []
        #expect(problems.contains("expect.columns.tenure.min: expected a number, got 'x'"))
        #expect(problems.contains("expect.rows: expected a condition such as \">= 500\" (>=, >, <=, <, == and a number), got 'lots'"))
        #expect(problems.contains("expect.unique: expected at least one column"))
        #expect(problems.contains("expect.columns.tenure.type: expected one of double, int, string, bool, got 'integer'"))
        #expect(problems.contains("expect.columns.tenure.missing: expected a share between 0 and 1, got 2"))
        #expect(problems.contains { $0.hasPrefix("expect.columns.tenure.psi: expected a condition") })
        #expect(problems.contains("expect.columns.tenure.required: expected true or false, got 'maybe'"))
        #expect(problems.contains("expect.columns.contract.min: only int and double columns take bounds"))
        #expect(problems.contains { $0.hasPrefix("expect.columns.contract: unknown key 'colour'") })
        #expect(problems.contains("expect: unknown key 'socre'; did you mean 'score'?"))
    }
}
