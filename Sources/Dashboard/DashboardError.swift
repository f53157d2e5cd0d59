public import HTTPTypes

/// What went wrong answering a dashboard request, as one sentence for the person who asked,
/// with the HTTP status it answers with.
public struct DashboardError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The status the page answers with.
    public var status: HTTPResponse.Status
    /// One sentence naming what was asked for and why it cannot be shown.
    public var message: String

    /// An error answering with `status`.
    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    /// The sentence.
    public var description: String { message }

    static func notFound(_ what: String) -> DashboardError { DashboardError(.notFound, "there is no \(what) in this factory's store") }
}
