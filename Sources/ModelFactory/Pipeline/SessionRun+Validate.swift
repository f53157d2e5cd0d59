internal import Foundation
public import Store

extension SessionRun {
    /// The `validate` step: checks the data file `data` (relative to the model's folder) against
    /// the manifest's `expect:` rules for `dataset`, records the whole result in the store, and
    /// fails the session naming the failed rules. No step when there are no rules.
    mutating func validate(_ manifest: Manifest, _ dataset: Manifest.Expectations.Dataset, data: String, in folder: URL) async throws {
        let rules = manifest.expect.rules(for: dataset)
        guard !rules.isEmpty else { return }
        let baseline =
            rules.columns.contains { $0.psi != nil }
            ? try pipeline.dataBaseline(manifest: manifest, modelID: session.modelId, before: session.version)
            : .none(reason: "there is no psi rule")
        try await step("validate") { run in
            let report = try DataChecker(rules: rules, baseline: baseline).check(
                path: data.hasPrefix("/") ? data : folder.appendingPathComponent(data).path, named: data, dataset: dataset)
            run.dataChecks.append(report)
            try run.store.record(
                dataCheck: DataCheckRecord(
                    sessionId: run.session.id, position: run.dataChecks.count - 1, dataset: dataset.rawValue, path: data, rows: report.rows,
                    passed: report.passed, result: try JSONText.encode(report)))
            guard report.passed else { throw StepFailure(step: "validate", message: report.summary) }
        }
    }
}

extension Pipeline {
    /// What `psi` rules compare a model's data with: the training profile (`profile.json`) of
    /// the release before `version`, the one the no-regression gate compares with (any release
    /// when `version` is nil); none, saying why, when there is no such release or it has no
    /// profile. Scoring compares with the scored bundle's own profile instead.
    public func dataBaseline(manifest: Manifest, modelID: Int64, before version: String?) throws -> DataBaseline {
        guard let previous = try Gatekeeper(manifest: manifest, store: store).previousRelease(modelID: modelID, before: version),
            let released = previous.version
        else { return .none(reason: "there is no previous release to compare with") }
        guard let record = try store.bundle(modelID: modelID, version: released) else {
            return .none(reason: "release \(released) has no bundle, so no training profile")
        }
        do {
            let folder = try BundleCache(store: store, home: home).folder(for: record, model: manifest.name).folder
            guard let profile = try TrainingProfile.load(bundle: folder) else {
                return .none(reason: "the bundle of release \(released) has no training profile")
            }
            return .profile(profile, source: "release \(released)")
        } catch let error as StoreError {
            throw error
        } catch {
            return .none(reason: "the training profile of release \(released) cannot be read: \(error)")
        }
    }
}

extension Session {
    /// Whether the session failed in its `validate` step: its data broke an `expect:` rule,
    /// and the release it was for is blocked by data.
    public var blockedByData: Bool { status == .failed && failure?.hasPrefix("validate: ") == true }
}
