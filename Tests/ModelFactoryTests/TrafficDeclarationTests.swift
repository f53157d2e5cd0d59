import ModelFactory
import TestSupport
import Testing

@Suite(.onTestThreads) struct TrafficDeclarationTests {
    @Test func parsesWeightsShadowAndStickyHeader() throws {
        let declaration = try TrafficDeclaration.parse(
            """
            churn:
              weights: { "1.0.0": 90, "1.1.0": 10 }
              sticky_header: X-Customer
              shadow: "1.2.0"
            fraud:
              shadow: "2.0.1"
            """)
        #expect(declaration.models["churn"] == .init(weights: ["1.0.0": 90, "1.1.0": 10], shadow: "1.2.0", stickyHeader: "X-Customer"))
        #expect(declaration.models["fraud"] == .init(weights: [:], shadow: "2.0.1", stickyHeader: nil))
        #expect(try TrafficDeclaration.parse("") == TrafficDeclaration())
    }

    /// Logs show a policy in YAML's terms, versions in version order (1.10.0 after 1.9.0).
    @Test func describesAPolicyAsYAMLReadsIt() {
        #expect(TrafficDeclaration.Model(weights: ["1.1.0": 10, "1.0.0": 90]).description == "weights {1.0.0: 90, 1.1.0: 10}, shadow none")
        #expect(
            TrafficDeclaration.Model(weights: ["1.10.0": 1, "1.9.0": 3], shadow: "2.0.0", stickyHeader: "X-Customer").description
                == "weights {1.9.0: 3, 1.10.0: 1}, sticky header X-Customer, shadow 2.0.0")
        #expect(TrafficDeclaration.Model().description == "weights none, shadow none")
    }

    @Test func namesEveryProblem() throws {
        let error = #expect(throws: ManifestError.self) {
            try TrafficDeclaration.parse(
                """
                churn:
                  weights: { "1.0.0": -1 }
                  colour: blue
                fraud: 3
                """)
        }
        #expect(Set(error?.problems.map(\.path) ?? []) == ["churn.weights", "churn.colour", "fraud"], "\(String(describing: error))")
        #expect(throws: ManifestError.self) { try TrafficDeclaration.parse("churn: { weights: { a: 0 } }") }
        #expect(throws: ManifestError.self) { try TrafficDeclaration.parse("[1, 2]") }
        // Weights big enough to overflow their sum are refused.
        #expect(throws: ManifestError.self) { try TrafficDeclaration.parse("churn: { weights: { a: 9223372036854775807, b: 1 } }") }
        #expect(try TrafficDeclaration.parse("churn: { weights: { a: 1000000 } }").models["churn"]?.weights == ["a": 1_000_000])
    }
}
