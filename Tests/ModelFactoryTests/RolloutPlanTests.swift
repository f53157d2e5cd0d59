import ModelFactory
import TestSupport
import Testing

@Suite(.onTestThreads) struct RolloutPlanTests {
    static let block = """
        churn:
          weights: { "1.0.0": 100 }
          rollout:
            steps: [5, 25, 50, 100]
            step: { requests: 500 }
            gates:
              error_rate: "<= 0.01"
              p99_ms: "<= 50"
              shadow_agreement: ">= 0.95"
              live.auc: ">= served - 0.02"
              psi: "<= 0.2"
        """

    @Test func parsesTheRolloutBlockBesideThePolicy() throws {
        let declaration = try TrafficDeclaration.parse(Self.block)
        #expect(declaration.models["churn"]?.weights == ["1.0.0": 100])
        let plan = try #require(declaration.rollouts["churn"])
        #expect(plan.steps == [5, 25, 50, 100])
        #expect(plan.step == .requests(500))
        #expect(plan.gates.map(\.name) == ["error_rate", "live.auc", "p99_ms", "psi", "shadow_agreement"])
        let live = try #require(plan.gate(.live("auc")))
        #expect(live.relative && live.bound == -0.02 && live.comparison == .atLeast)
        #expect(live.condition == ">= served - 0.02")
        #expect(live.limit(served: 0.8) == 0.8 - 0.02 && live.limit(served: nil) == nil)
        #expect(plan.gate(.errorRate)?.passes(0.051, limit: 0.01) == false)
        #expect(plan.summary.hasPrefix("steps 5,25,50,100; step 500 requests; error_rate <= 0.01"))
        let timed = try TrafficDeclaration.parse("churn: { rollout: { steps: [100], step: { seconds: 300 } } }")
        #expect(timed.rollouts["churn"]?.step == .seconds(300) && timed.rollouts["churn"]?.gates.isEmpty == true)
    }

    /// A rollback holds until the block changes: its digest follows what it says, not how it is spelt.
    @Test func theDigestFollowsThePlanNotItsSpelling() throws {
        let one = try #require(TrafficDeclaration.parse(Self.block).rollouts["churn"])
        let respelt = try #require(
            TrafficDeclaration.parse(
                """
                churn:
                  rollout:
                    gates: { psi: "<=0.2", live.auc: ">= served-0.02", shadow_agreement: ">= 0.95", p99_ms: "<= 50.0", error_rate: "<= 0.01" }
                    step: { requests: 500 }
                    steps: [5, 25, 50, 100]
                """
            ).rollouts["churn"])
        #expect(one.digest == respelt.digest)
        let changed = try #require(TrafficDeclaration.parse("churn: { rollout: { steps: [10, 100], step: { requests: 500 } } }").rollouts["churn"])
        #expect(changed.digest != one.digest)
    }

    @Test(arguments: [
        ("gates: { latency: \"<= 5\" }", "churn.rollout.gates.latency"),
        ("gates: { error_rate: \"about 1\" }", "churn.rollout.gates.error_rate"),
        ("gates: { p99_ms: \"<= served * 2\" }", "churn.rollout.gates.p99_ms"),
        ("gates: { live.: \">= 1\" }", "churn.rollout.gates.live."),
        ("pace: fast", "churn.rollout.pace"),
    ])
    func namesTheKeyOfABadSetting(setting: String, key: String) {
        let error = #expect(throws: ManifestError.self) {
            try TrafficDeclaration.parse("churn: { rollout: { steps: [50, 100], step: { requests: 10 }, \(setting) } }")
        }
        #expect(error?.problems.map(\.path) == [key], "\(String(describing: error))")
    }

    @Test(arguments: [
        ("steps: [50, 25, 100], step: { requests: 10 }", "churn.rollout.steps", "increase"),
        ("steps: [5, 50], step: { requests: 10 }", "churn.rollout.steps", "100"),
        ("steps: [0, 100], step: { requests: 10 }", "churn.rollout.steps", "from 1 to 100"),
        ("steps: [100], step: { requests: 0 }", "churn.rollout.step.requests", "above 0"),
        ("steps: [100], step: { minutes: 3 }", "churn.rollout.step.minutes", "requests or seconds"),
        ("steps: [100]", "churn.rollout.step", "missing"),
    ])
    func checksTheStepsAndTheirLength(block: String, key: String, message: String) {
        let error = #expect(throws: ManifestError.self) { try TrafficDeclaration.parse("churn: { rollout: { \(block) } }") }
        #expect(error?.problems.map(\.path) == [key], "\(String(describing: error))")
        #expect(error?.problems.first?.message.contains(message) == true, "\(String(describing: error))")
    }
}
