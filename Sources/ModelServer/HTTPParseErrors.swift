internal import HTTPTypes
internal import Hummingbird
internal import HummingbirdCore
internal import ModelKit
internal import NIOCore
internal import NIOHTTP1
internal import NIOHTTPTypes
internal import NIOHTTPTypesHTTP1

/// Gives the 400 that Hummingbird writes for a request NIO's HTTP parser refuses (conflicting
/// Content-Length and Transfer-Encoding, a negative Content-Length, a NUL in a header, headers
/// over the limit) a body that says why, `{"error": "…"}` as every other error, instead of an
/// empty one. It sits between the HTTP codec and Hummingbird's request loop: it remembers the
/// parser's error as it passes inwards, and fills in the bodiless 400 that answers it.
final class HTTPParseErrors: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The answer's JSON for a sentence.
    let body: @Sendable (String) -> [UInt8]
    /// The decoder's limit on a request's headers, named when they are over it.
    let maxHeaderBytes: Int
    /// Why the parser refused the request, until the 400 has been written.
    private var refused: String?

    init(maxHeaderBytes: Int, body: @escaping @Sendable (String) -> [UInt8]) {
        self.maxHeaderBytes = maxHeaderBytes
        self.body = body
    }

    /// The server's `{"error": "…"}`.
    static func serveBody(_ message: String) -> [UInt8] {
        Array(JSONValue.object(["error": .string(message)]).jsonData())
    }

    /// The pipeline handlers for `HTTP1Channel.Configuration`: the decoder's limits, and this
    /// handler, made anew for each connection.
    static func server(body: @escaping @Sendable (String) -> [UInt8] = serveBody) -> HTTPServerBuilder {
        let decoder = HTTP1Channel.Configuration.DecoderConfiguration()
        let limit = decoder.maxHeaderListSize
        return .http1(
            configuration: .init(
                additionalChannelHandlers: [HTTPParseErrors(maxHeaderBytes: limit, body: body)], httpDecoderConfiguration: decoder))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case let error as HTTPParserError:
            refused = ServeError.invalidHTTP(error, maxHeaderBytes: maxHeaderBytes)
            context.fireErrorCaught(error)
        case let error as HTTP1TypeConversionError:
            // A head llhttp took but HTTP types refuse. Hummingbird answers only parser errors
            // (any other closes the connection without a word), so it is passed on as one.
            refused =
                "the request is not valid HTTP/1.1: "
                + (error == .invalidMethod ? "its method is not valid" : "its target (the path) is missing or not valid")
            context.fireErrorCaught(HTTPParserError.invalidURL)
        default:
            context.fireErrorCaught(error)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // Hummingbird's answer to a parser error is the only bodiless 400 this server writes.
        guard let refused, case .head(var head) = unwrapOutboundIn(data), head.status == .badRequest,
            head.headerFields[.contentLength] == "0"
        else {
            context.write(data, promise: promise)
            return
        }
        self.refused = nil
        let bytes = body(refused)
        head.headerFields[.contentType] = "application/json"
        head.headerFields[.contentLength] = String(bytes.count)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: bytes))), promise: promise)
    }
}
