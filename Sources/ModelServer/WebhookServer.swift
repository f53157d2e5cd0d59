internal import Foundation
internal import HTTPTypes
internal import Hummingbird
public import Logging
public import ModelFactory
internal import NIOCore
internal import ServiceLifecycle

/// `mf webhook`: an HTTP endpoint for push events from GitHub, GitLab and Gitea. `POST /webhook`
/// (also `/`) takes a delivery; `GET /health` answers 200. A delivery is answered once the push
/// is fetched into the mirror and queued (202), or refused with the reason (401 for a bad or
/// missing signature, nothing queued).
public final class WebhookServer: Sendable {
    /// What checks a delivery, fetches the push into the mirror and queues the work.
    public let receiver: WebhookReceiver
    let host: String
    let port: Int
    let maxBodyBytes: Int
    let logger: Logger

    /// A receiver listening on `host`:`port`; larger bodies than `maxBodyBytes` are refused with 413.
    public init(receiver: WebhookReceiver, host: String, port: Int, maxBodyBytes: Int = 25 << 20, logger: Logger = Logger(label: "mf.webhook")) {
        self.receiver = receiver
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.logger = logger
    }

    /// Serves until SIGTERM or SIGINT; `onListening` hears the bound port.
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: WebhookErrors())
        let receiver = self.receiver
        let limit = maxBodyBytes
        let logger = self.logger
        router.get("/health") { _, _ in Self.json(200, WebhookAnswer(status: 200, outcome: "live")) }
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: limit)
            } catch is NIOTooManyBytesError {
                return Self.json(413, WebhookAnswer(status: 413, outcome: "refused", error: "the body is over \(limit) bytes"))
            } catch {
                // A forge that hung up (499, which it never reads) or a body that is not valid HTTP (400).
                let refused = ServeError.reading(error) ?? ServeError(.badRequest, "the body could not be read: \(error)")
                let status = Int(refused.status.code)
                logger.info("delivery refused (\(status)): \(refused.message)")
                return Self.json(status, WebhookAnswer(status: status, outcome: "refused", error: refused.message))
            }
            let answer = await receiver.receive(headers: headers, body: Data(body.readableBytesView))
            logger.info("delivery \(answer.outcome) (\(answer.status))\(answer.error.map { ": \($0)" } ?? "")")
            return Self.json(answer.status, answer)
        }
        router.post("/webhook", use: handler)
        router.post("/", use: handler)
        let app = Application(
            router: router,
            server: HTTPParseErrors.server { message in
                (try? JSONText.encodeBytes(WebhookAnswer(status: 400, outcome: "refused", error: message))) ?? Array("{}".utf8)
            },
            configuration: .init(address: .hostname(host, port: port), serverName: "model-factory-webhook"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
        let group = ServiceGroup(configuration: .init(services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    static func json(_ status: Int, _ answer: WebhookAnswer) -> Response {
        let data = (try? JSONText.encodeBytes(answer)) ?? Array("{}".utf8)
        return Response(
            status: HTTPResponse.Status(code: status), headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Hummingbird's own errors (404 for a path that is not the endpoint's, 405) in the endpoint's
/// JSON, as every other answer.
struct WebhookErrors<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            let status = Int(error.status.code)
            let message =
                (error as? HTTPError)?.body
                ?? (error.status == .notFound
                    ? "no such endpoint: \(request.method) \(request.uri.path); deliveries go to POST /webhook" : error.status.reasonPhrase)
            return WebhookServer.json(status, WebhookAnswer(status: status, outcome: "refused", error: message))
        }
    }
}
