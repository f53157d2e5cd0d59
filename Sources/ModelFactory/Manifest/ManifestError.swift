/// Why a `model.yaml` cannot be used: every problem with its field path and what was expected.
public struct ManifestError: Error, CustomStringConvertible, Sendable, Equatable {
    /// One thing wrong, at one place (`schema.inputs[2].type`).
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var message: String

        public var description: String { path.isEmpty ? message : "\(path): \(message)" }
    }

    /// Which file, as the user would find it (`model.yaml at 1a2b3c4`, `models/churn/model.yaml`).
    public var file: String
    public var problems: [Problem]

    public var description: String {
        let count = problems.count == 1 ? "" : " (\(problems.count) problems)"
        return "invalid \(file)\(count): " + problems.map(\.description).joined(separator: "; ")
    }
}
