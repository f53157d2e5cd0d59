/// Why a `model.yaml` cannot be used: every problem with its field path and what was expected.
public struct ManifestError: Error, CustomStringConvertible, Sendable, Equatable {
    /// One thing wrong, at one place (`schema.inputs[2].type`).
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        /// Where in the file, as a field path (`schema.inputs[2].type`); empty when the problem is with the file as a whole.
        public var path: String
        /// What is wrong there, and what was expected.
        public var message: String

        /// "path: message", or the message alone when the path is empty.
        public var description: String { path.isEmpty ? message : "\(path): \(message)" }
    }

    /// Which file, as the user would find it (`model.yaml at 1a2b3c4`, `models/churn/model.yaml`).
    public var file: String
    /// Everything wrong with the file, in the order found.
    public var problems: [Problem]

    /// "invalid FILE (N problems): problem; problem", without the count when there is one problem.
    public var description: String {
        let count = problems.count == 1 ? "" : " (\(problems.count) problems)"
        return "invalid \(file)\(count): " + problems.map(\.description).joined(separator: "; ")
    }
}
