internal import Foundation
internal import HTTPTypes
public import Hummingbird
internal import Logging
internal import NIOCore
internal import NIOHTTP1

/// An error a client sees: an HTTP status and one sentence, as `{"error": "…"}` (the Open
/// Inference Protocol's shape), with every bad field in `problems` when the input was checked.
public struct ServeError: HTTPResponseError, CustomStringConvertible {
    /// One bad field of a request, and what is wrong with it.
    public struct Problem: Sendable, Encodable, Equatable {
        /// `instances[0].tenure`, or the tensor name for the v2 API.
        public var field: String
        /// What is wrong (`is missing`, `must be at least 0`).
        public var problem: String
    }

    /// The HTTP status the client gets.
    public let status: HTTPResponse.Status
    /// The one sentence the client reads, as `error`.
    public let message: String
    /// Every bad field, when the input was checked against the schema.
    public var problems: [Problem] = []
    /// The version that answered, sent as `X-Model-Version`.
    public var version: String?
    /// More header fields of the answer (`WWW-Authenticate` of a 401).
    var headers: HTTPFields = [:]

    /// An error with its status, its sentence and the bad fields.
    public init(_ status: HTTPResponse.Status, _ message: String, problems: [Problem] = []) {
        self.status = status
        self.message = message
        self.problems = problems
    }

    /// The sentence, as logs show it.
    public var description: String { message }

    private struct Body: Encodable {
        let error: String
        let problems: [Problem]?
    }

    /// The answer: `{"error": …, "problems": […]}` with the status, `X-Model-Version` and any extra header fields.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = headers
        if let version { headers[HTTPField.Name("X-Model-Version")!] = version }
        return jsonResponse(status, Body(error: message, problems: problems.isEmpty ? nil : problems), headers: headers)
    }

    static func notFound(model: String, version: String? = nil) -> ServeError {
        ServeError(.notFound, version.map { "model '\(model)' has no version '\($0)' loaded" } ?? "no model '\(model)' is loaded")
    }

    /// nginx's status for a request whose client closed the connection before it was read:
    /// the client's abort, not the server's failure (so it is no 5xx, and no error).
    static let clientClosedRequest = HTTPResponse.Status(code: 499, reasonPhrase: "Client Closed Request")

    /// What reading a request's body failed with, as the client's error: a connection closed in
    /// the middle is 499; a body that is not valid HTTP (a bad chunk size) 400. nil for a
    /// failure of the server's own.
    static func reading(_ error: any Error) -> ServeError? {
        switch error {
        case HTTPParserError.invalidEOFState, ChannelError.eof, ChannelError.ioOnClosedChannel, ChannelError.inputClosed,
            ChannelError.outputClosed, ChannelError.alreadyClosed:
            return ServeError(clientClosedRequest, "the client closed the connection before its request was complete")
        case let error as IOError where [ECONNRESET, EPIPE, ECONNABORTED].contains(error.errnoCode):
            return ServeError(clientClosedRequest, "the client closed the connection before its request was complete")
        case let error as HTTPParserError:
            return ServeError(.badRequest, invalidHTTP(error, maxHeaderBytes: nil))
        default:
            return nil
        }
    }

    /// The sentence a client reads for a request NIO's HTTP parser refused.
    static func invalidHTTP(_ error: HTTPParserError, maxHeaderBytes: Int?) -> String {
        switch error {
        case .unexpectedContentLength:
            return "the request is not valid HTTP/1.1: it has two Content-Length headers, or both Content-Length and Transfer-Encoding"
        case .invalidContentLength:
            // Also what llhttp says for a Content-Length after a Transfer-Encoding.
            return
                "the request is not valid HTTP/1.1: its Content-Length is not a number of bytes (digits only, not negative), or it has both Content-Length and Transfer-Encoding"
        case .invalidHeaderToken:
            return
                "the request is not valid HTTP/1.1: a header has a character HTTP does not allow in its name or value (such as NUL, a control character, or a space before the colon)"
        case .headerOverflow:
            return "the request's headers are larger than the server takes" + (maxHeaderBytes.map { " (\($0) bytes)" } ?? "")
        case .invalidCharactersUsed:
            return "the request is not valid HTTP/1.1: it has characters HTTP does not allow"
        case .lfExpected:
            return "the request is not valid HTTP/1.1: a line of its head does not end in CRLF"
        case .invalidMethod:
            return "the request is not valid HTTP/1.1: its method is not valid"
        case .invalidURL:
            return "the request is not valid HTTP/1.1: its target (the path) is not valid"
        case .invalidVersion:
            return "the request is not valid HTTP/1.1: its HTTP version is not valid"
        case .invalidChunkSize:
            return "the request is not valid HTTP/1.1: a chunk of its chunked body has no valid size"
        case .invalidEOFState:
            return "the client closed the connection before its request was complete"
        case .closedConnection:
            return "the request is not valid HTTP/1.1: it came after a request that said Connection: close"
        default:
            // llhttp's "invalid Transfer-Encoding" (also a Content-Length before a
            // Transfer-Encoding) reaches NIO's error as `unknown`, with a few rarer ones.
            return
                "the request is not valid HTTP/1.1: it has both Content-Length and Transfer-Encoding, a Transfer-Encoding other than chunked, or a malformed head"
        }
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
/// unknown route, 413 for a body over the limit) with their status, a request body cut off by
/// its client as 499 and one that is not valid HTTP as 400, anything else as a 500 that names
/// it, so nothing a client sends ends in an empty answer or a crash. Only a 5xx is logged as an
/// error: a client's abort is a line at info level.
struct JSONErrors<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let error: ServeError
        do {
            return try await next(request, context)
        } catch let thrown as ServeError {
            error = thrown
        } catch is NIOTooManyBytesError {
            error = ServeError(.contentTooLarge, "the request body is larger than the server's limit")
        } catch let thrown as HTTPError {
            error = ServeError(
                thrown.status,
                thrown.body ?? (thrown.status == .notFound ? "no such endpoint: \(request.method) \(request.uri.path)" : thrown.status.reasonPhrase))
        } catch let thrown as any HTTPResponseError {
            error = ServeError(thrown.status, thrown.status.reasonPhrase)
        } catch {
            if let clients = ServeError.reading(error) {
                return try answer(clients, request, context)
            }
            context.logger.error("request failed: \(String(reflecting: error))")
            return try ServeError(.internalServerError, "the server failed: \(error)").response(from: request, context: context)
        }
        return try answer(error, request, context)
    }

    private func answer(_ error: ServeError, _ request: Request, _ context: Context) throws -> Response {
        if error.status == ServeError.clientClosedRequest {
            context.logger.info("\(request.method) \(request.uri.path): \(error.message) (499)")
        }
        return try error.response(from: request, context: context)
    }
}
