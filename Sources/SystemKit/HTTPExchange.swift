internal import CCurl
internal import Dispatch
public import Foundation

/// One HTTP request and its answer, through the system's libcurl (http and https), which is
/// loaded the first time a request is made: a command that makes none (every command but a
/// worker's notifications and the demo's client) starts without libcurl and the thirty libraries
/// it brings, which took about 3.5 ms of every start.
///
/// ```swift
/// let answer = try await HTTPExchange.send(HTTPExchange.Request(method: "POST", url: hook, json: body))
/// if !(200..<300).contains(answer.status) { … }
/// ```
public enum HTTPExchange {
    /// What to send.
    public struct Request: Sendable {
        /// `GET`, `POST`, …
        public var method: String
        /// Where to.
        public var url: URL
        /// Header lines as name and value.
        public var headers: [(name: String, value: String)]
        /// The body; nil for none.
        public var body: Data?
        /// The longest the whole exchange may take, in seconds.
        public var timeout: TimeInterval
        /// A response header whose value the answer carries (`X-Model-Version`).
        public var wantedHeader: String?

        /// A request with every field given.
        public init(
            method: String, url: URL, headers: [(name: String, value: String)] = [], body: Data? = nil, timeout: TimeInterval = 30,
            wantedHeader: String? = nil
        ) {
            self.method = method
            self.url = url
            self.headers = headers
            self.body = body
            self.timeout = timeout
            self.wantedHeader = wantedHeader
        }

        /// A request carrying `json` with its content type.
        public init(method: String, url: URL, json: Data, timeout: TimeInterval = 30, wantedHeader: String? = nil) {
            self.init(
                method: method, url: url, headers: [("Content-Type", "application/json")], body: json, timeout: timeout,
                wantedHeader: wantedHeader)
        }
    }

    /// What came back.
    public struct Answer: Sendable {
        /// The HTTP status code.
        public var status: Int
        /// The body.
        public var body: Data
        /// The value of the request's `wantedHeader`, when the answer had it.
        public var wantedValue: String?
    }

    /// Sends `request` on a thread of its own (libcurl blocks; the cooperative pool does not
    /// wait for it) and returns the answer, whatever its status; throws when no answer came.
    public static func send(_ request: Request) async throws(SystemError) -> Answer {
        try await BlockingWork.run { exchange(request) }.get()
    }

    private static func exchange(_ request: Request) -> Result<Answer, SystemError> {
        var response = mf_http_response()
        defer { mf_http_response_free(&response) }
        let lines = request.headers.map { "\($0.name): \($0.value)" }
        // The body as C bytes with a terminator, so even an empty one has an address.
        let body = request.body ?? Data()
        var payload = [CChar](repeating: 0, count: body.count + 1)
        payload.withUnsafeMutableBytes { _ = body.copyBytes(to: $0) }
        let outcome: Int32 = withCStrings(lines) { headers in
            payload.withUnsafeBufferPointer { bytes in
                mf_http_request(
                    request.method, request.url.absoluteString, headers, lines.count, request.body == nil ? nil : bytes.baseAddress, body.count,
                    Int(request.timeout * 1000), request.wantedHeader, &response)
            }
        }
        guard outcome == 0 else {
            let reason = withUnsafeBytes(of: &response.error) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            return .failure(.httpFailed(url: request.url.absoluteString, reason: reason))
        }
        let wanted = withUnsafeBytes(of: &response.wanted_value) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        let data = response.body.map { Data(bytes: $0, count: response.body_length) } ?? Data()
        return .success(Answer(status: response.status, body: data, wantedValue: wanted.isEmpty ? nil : wanted))
    }

    /// Runs `body` with `strings` as an array of C strings that live for the call.
    private static func withCStrings<T>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> T) -> T {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let pointers = copies.map { UnsafePointer($0) }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}
