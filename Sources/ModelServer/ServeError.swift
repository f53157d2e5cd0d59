public import Hummingbird
internal import HTTPTypes
internal import Foundation
internal import NIOCore

/// An error a client sees: an HTTP status and one sentence, as `{"error": "…"}` (the Open
/// Inference Protocol's shape), with every bad field in `problems` when the input was checked.
public struct ServeError: HTTPResponseError, CustomStringConvertible {
    public struct Problem: Sendable, Encodable, Equatable {
        /// `instances[0].tenure`, or the tensor name for the v2 API.
        public var field: String
        public var problem: String
    }

    public let status: HTTPResponse.Status
    public let message: String
    public var problems: [Problem] = []
    /// The version that answered, sent as `X-Model-Version`.
    public var version: String?

    public init(_ status: HTTPResponse.Status, _ message: String, problems: [Problem] = []) {
        self.status = status
        self.message = message
        self.problems = problems
    }

    public var description: String { message }

    private struct Body: Encodable {
        let error: String
        let problems: [Problem]?
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [:]
        if let version { headers[HTTPField.Name("X-Model-Version")!] = version }
        return jsonResponse(status, Body(error: message, problems: problems.isEmpty ? nil : problems), headers: headers)
    }

    static func notFound(model: String, version: String? = nil) -> ServeError {
        ServeError(.notFound, version.map { "model '\(model)' has no version '\($0)' loaded" } ?? "no model '\(model)' is loaded")
    }
}

/// A JSON answer.
func jsonResponse(_ status: HTTPResponse.Status, _ value: some Encodable, headers: HTTPFields = [:]) -> Response {
    let data = (try? JSONEncoder().encode(value)) ?? Data("{}".utf8)
    return jsonResponse(status, data: data, headers: headers)
}

func jsonResponse(_ status: HTTPResponse.Status, data: Data, headers: HTTPFields = [:]) -> Response {
    var headers = headers
    headers[.contentType] = "application/json"
    return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
}

/// Every error a handler throws becomes JSON: ours as they are, Hummingbird's (404 for an
/// unknown route, 413 for a body over the limit) with their status, anything else as a 500
/// that names it, so nothing a client sends ends in an empty answer or a crash.
struct JSONErrors<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ServeError {
            return try error.response(from: request, context: context)
        } catch is NIOTooManyBytesError {
            return try ServeError(.contentTooLarge, "the request body is larger than the server's limit").response(from: request, context: context)
        } catch let error as HTTPError {
            let message = error.body ?? (error.status == .notFound ? "no such endpoint: \(request.method) \(request.uri.path)" : error.status.reasonPhrase)
            return try ServeError(error.status, message).response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            return try ServeError(error.status, error.status.reasonPhrase).response(from: request, context: context)
        } catch {
            context.logger.error("request failed: \(String(reflecting: error))")
            return try ServeError(.internalServerError, "the server failed: \(error)").response(from: request, context: context)
        }
    }
}
