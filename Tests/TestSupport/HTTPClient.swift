public import Foundation

/// An HTTP/1.1 answer.
public struct HTTPAnswer: Sendable {
    /// The status code of the status line (200, 404).
    public var status: Int
    /// Header names in lower case.
    public var headers: [String: String]
    /// The body as received, chunked encoding undone; empty for HEAD, 204 and 304.
    public var body: Data

    /// The body as UTF-8 text (invalid bytes replaced), for comparing with what a test expects.
    public var text: String { String(decoding: body, as: UTF8.self) }
    /// The body parsed as JSON (a bare number or string too), as Foundation objects; throws when it is not JSON.
    public func json() throws -> Any { try JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) }
}

/// Why the client could not connect, send or read an answer (a closed socket, a bad status line).
public struct HTTPClientError: Error, CustomStringConvertible {
    /// What went wrong, with the system's errno where there is one.
    public var description: String
    /// An error saying `description`.
    public init(description: String) { self.description = description }
}

/// A small blocking HTTP/1.1 client over a loopback socket, for tests that must see exactly what
/// the server sends (status, headers, raw body) and send what no library would (bad JSON, huge
/// bodies, binary tensors). One connection, reused for keep-alive requests.
public final class HTTPConnection {
    private var descriptor: Int32
    private var buffer = Data()

    /// Connects to `host`:`port` over TCP; a read waiting longer than `timeout` seconds fails.
    public init(port: Int, host: String = "127.0.0.1", timeout: Double = 30) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw HTTPClientError(description: "socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        var limit = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let failure = errno
            close()
            throw HTTPClientError(description: "cannot connect to \(host):\(port): errno \(failure)")
        }
    }

    deinit { close() }

    /// Closes the connection (a client that hangs up); sending afterwards fails.
    public func close() {
        if descriptor >= 0 { Foundation.close(descriptor) }
        descriptor = -1
    }

    /// Sends one request and reads its answer (by Content-Length, or to the end of the connection).
    public func send(_ method: String, _ path: String, headers: [String: String] = [:], body: Data? = nil) throws -> HTTPAnswer {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        var all = headers
        if let body, all.keys.first(where: { $0.lowercased() == "content-length" }) == nil { all["Content-Length"] = "\(body.count)" }
        for (name, value) in all.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        var request = Data(head.utf8)
        if let body { request.append(body) }
        try write(request)
        return try readAnswer(method: method)
    }

    /// Sends bytes as they are (a request in pieces: its head now, its body later).
    public func send(raw data: Data) throws { try write(data) }

    /// Reads the next answer.
    public func receive(method: String = "POST") throws -> HTTPAnswer { try readAnswer(method: method) }

    private func write(_ data: Data) throws {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < raw.count {
                let written = Foundation.send(descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if written < 0 {
                    if errno == EINTR { continue }
                    // The server may answer (413) and close before reading everything.
                    if errno == EPIPE || errno == ECONNRESET { return }
                    throw HTTPClientError(description: "send: errno \(errno)")
                }
                offset += written
            }
        }
    }

    /// Reads more bytes; false at the end of the connection.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(descriptor, &chunk, chunk.count, 0)
            if count > 0 {
                buffer.append(contentsOf: chunk[0..<count])
                return true
            }
            if count == 0 { return false }
            if errno == EINTR { continue }
            if errno == ECONNRESET { return false }
            throw HTTPClientError(description: "recv: errno \(errno) (timed out?)")
        }
    }

    private func readAnswer(method: String) throws -> HTTPAnswer {
        let separator = Data("\r\n\r\n".utf8)
        var headEnd = buffer.range(of: separator)
        while headEnd == nil {
            guard try fill() else { throw HTTPClientError(description: "the connection closed before an answer") }
            headEnd = buffer.range(of: separator)
        }
        let head = String(decoding: buffer[buffer.startIndex..<headEnd!.lowerBound], as: UTF8.self)
        buffer.removeSubrange(buffer.startIndex..<headEnd!.upperBound)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw HTTPClientError(description: "bad status line: \(head)") }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Data()
        if method == "HEAD" || status == 204 || status == 304 {
            // no body
        } else if let length = headers["content-length"].flatMap({ Int($0) }) {
            while buffer.count < length { guard try fill() else { break } }
            body = buffer.prefix(length)
            buffer.removeFirst(min(length, buffer.count))
        } else if headers["transfer-encoding"]?.lowercased() == "chunked" {
            body = try readChunked()
        } else {
            while try fill() {}
            body = buffer
            buffer = Data()
        }
        return HTTPAnswer(status: status, headers: headers, body: body)
    }

    private func readChunked() throws -> Data {
        var body = Data()
        let newline = Data("\r\n".utf8)
        while true {
            var lineEnd = buffer.range(of: newline)
            while lineEnd == nil {
                guard try fill() else { return body }
                lineEnd = buffer.range(of: newline)
            }
            let sizeText = String(decoding: buffer[buffer.startIndex..<lineEnd!.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            buffer.removeSubrange(buffer.startIndex..<lineEnd!.upperBound)
            let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) ?? 0
            while buffer.count < size + 2 { guard try fill() else { return body } }
            body.append(buffer.prefix(size))
            buffer.removeFirst(size + 2)
            if size == 0 { return body }
        }
    }
}

/// One request on a new connection.
public func http(
    _ method: String, port: Int, _ path: String, headers: [String: String] = [:], body: Data? = nil
) throws -> HTTPAnswer {
    try HTTPConnection(port: port).send(method, path, headers: headers, body: body)
}

/// One JSON request on a new connection.
public func http(_ method: String, port: Int, _ path: String, json: Any, headers: [String: String] = [:]) throws -> HTTPAnswer {
    var all = headers
    all["Content-Type"] = "application/json"
    return try http(method, port: port, path, headers: all, body: try JSONSerialization.data(withJSONObject: json))
}
