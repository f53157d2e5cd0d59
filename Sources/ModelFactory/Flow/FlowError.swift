public import GitKit

/// Why the flow of a repository cannot be read.
public enum FlowError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The git layer failed.
    case git(GitError)
    /// The repository is a shallow clone: its history stops early, so ancestry is unknowable.
    case shallow(repository: String)
    /// `.mf/flow.yaml` is not valid: the file, the field and what was expected.
    case invalidConfiguration(file: String, commit: String, field: String, problem: String)

    /// The sentence a user reads: what failed and why, with the fix for a shallow clone.
    public var description: String {
        switch self {
        case .git(let error):
            return error.description
        case .shallow(let repository):
            return
                "cannot read the flow of \(repository): it is a shallow clone, so release ancestry cannot be decided; fetch the full history (git fetch --unshallow)"
        case .invalidConfiguration(let file, let commit, let field, let problem):
            let location = field.isEmpty ? "" : "\(field): "
            return "invalid \(file) at commit \(String(commit.prefix(7))): \(location)\(problem)"
        }
    }
}
