import Foundation
import TestSupport
import Testing

@testable import ModelServer

/// The admin API's edges a careless client reaches: the Authorization header, the policy's JSON,
/// and what is left of a policy when a version it names is unloaded.
@Suite(.onTestThreads) struct AdminTests {
    /// RFC 9110: the scheme is case-insensitive, and one or more spaces follow it.
    @Test func theBearerSchemeIsMatchedInAnyCase() {
        for header in ["Bearer s3cret", "bearer s3cret", "BEARER s3cret", "Bearer   s3cret", "  bEaReR s3cret"] {
            #expect(bearerCredentials(header) == "s3cret", "\(header)")
        }
        for header in [nil, "", "Bearer", "Bearer ", "Basic czNjcmV0", "Bearers3cret", "s3cret"] as [String?] {
            #expect(bearerCredentials(header) == nil, "\(header ?? "nil")")
        }
        let refused = ServeError.unauthorized("no")
        #expect(refused.status == .unauthorized && refused.challenge == "Bearer")
    }

    @Test func aPolicyReadsAsTheAdminAPIWritesIt() throws {
        let policy = try ModelServer.policy(from: Data(#"{"weights": {"1.0.0": 90, "1.1.0": 10}, "shadow": "1.2.0", "stickyHeader": "X-Customer"}"#.utf8))
        #expect(policy == TrafficPolicy(weights: ["1.0.0": 90, "1.1.0": 10], shadow: "1.2.0", stickyHeader: "X-Customer"))
        #expect(try ModelServer.policy(from: Data(#"{"weights": {}, "shadow": null}"#.utf8)) == TrafficPolicy())
    }

    /// Each problem is named with the value sent, not as "not valid JSON".
    @Test(arguments: [
        (
            #"{"weights": {"1.0.0": 87.5, "1.1.0": 12.5}}"#,
            "the weight of 1.0.0 is 87.5; a weight is a whole number from 0 to 1000000; the weight of 1.1.0 is 12.5"
        ),
        (#"{"weights": {"1.1.0": -1}}"#, "the weight of 1.1.0 is -1; a weight is a whole number"),
        (#"{"weights": {"1.1.0": 1e300}}"#, "the weight of 1.1.0 is 1e+300"),
        (#"{"weights": {"1.1.0": "10"}}"#, #"the weight of 1.1.0 is "10""#),
        (#"{"weights": [90, 10]}"#, "'weights' is [90,10]; expected an object of version: weight"),
        (#"{"shadow": 3}"#, "'shadow' is 3; expected a version"),
        (#"{"stickyHeader": "X Customer"}"#, #"'stickyHeader' is "X Customer"; expected a header name"#),
        (#"{"sticky_header": "X-Customer"}"#, "'sticky_header' is not a setting of the policy"),
        ("[1]", "expected a JSON object"),
        ("", "the request body is empty"),
        ("{", "not valid JSON"),
    ])
    func badPoliciesAreNamed(body: String, expected: String) {
        do {
            _ = try ModelServer.policy(from: Data(body.utf8))
            Issue.record("\(body) was taken")
        } catch {
            #expect(error.status == .badRequest && error.message.contains(expected), "\(body): \(error.message)")
            if body.hasPrefix("{\"weights\"") { #expect(!error.message.contains("JSON"), "\(error.message)") }
        }
    }

    /// Unloading a version that carries weight leaves a policy and a current version that agree.
    @Test func unloadingAWeightedVersionLeavesAConsistentPolicy() {
        let split = TrafficPolicy(weights: ["1.0.0": 90, "1.1.0": 10], stickyHeader: "X-Customer")
        // The current version goes: the one left with weight takes all the traffic, as current.
        var after = ModelRegistry.afterUnloading("1.0.0", loaded: ["1.1.0"], current: "1.0.0", policy: split)
        #expect(after.current == "1.1.0" && after.policy.weights.isEmpty && after.policy.stickyHeader == "X-Customer", "\(after)")
        // The candidate goes: the split is over, the current version stays.
        after = ModelRegistry.afterUnloading("1.1.0", loaded: ["1.0.0"], current: "1.0.0", policy: split)
        #expect(after.current == "1.0.0" && after.policy.weights.isEmpty, "\(after)")
        // Three versions: two keep their split; the current one is the heavier of them, not the newest loaded.
        let three = TrafficPolicy(weights: ["1.0.0": 50, "1.1.0": 30, "1.2.0": 20])
        after = ModelRegistry.afterUnloading("1.0.0", loaded: ["1.1.0", "1.2.0", "2.0.0"], current: "1.0.0", policy: three)
        #expect(after.current == "1.1.0" && after.policy.weights == ["1.1.0": 30, "1.2.0": 20], "\(after)")
        // Only zero weights left: no split; the newest loaded version is current.
        after = ModelRegistry.afterUnloading(
            "1.0.0", loaded: ["1.1.0", "1.2.0"], current: "1.0.0", policy: TrafficPolicy(weights: ["1.0.0": 100, "1.1.0": 0]))
        #expect(after.current == "1.2.0" && after.policy.weights.isEmpty, "\(after)")
        // A shadow that goes is no longer named; without weights the current version stays.
        after = ModelRegistry.afterUnloading("1.1.0", loaded: ["1.0.0"], current: "1.0.0", policy: TrafficPolicy(shadow: "1.1.0"))
        #expect(after.current == "1.0.0" && after.policy.shadow == nil)
        after = ModelRegistry.afterUnloading("1.1.0", loaded: ["1.0.0", "1.0.5"], current: "1.1.0", policy: TrafficPolicy())
        #expect(after.current == "1.0.5")
    }
}
