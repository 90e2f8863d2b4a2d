import Foundation
import JobrunnerCore

/// A plain TCP connection to the test server, for requests the HTTP client would not send: cut
/// short, sent a piece at a time, or longer than it allows.
final class RawConnection: Sendable {
    let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw RawConnectionError.failed("connect to port \(port): errno \(errno)") }
        // No read waits longer than 10 s: a server that never answers fails the test, not hangs it.
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    func send(_ bytes: [UInt8]) throws {
        let sent = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw RawConnectionError.failed("send: \(sent) of \(bytes.count) bytes, errno \(errno)") }
    }

    /// Everything until the server closes the connection.
    func readToEnd() async throws -> String {
        try await onDedicatedThread { [self] in
            var answer: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(descriptor, &buffer, buffer.count, 0)
                if count == 0 { break }
                guard count > 0 else { throw RawConnectionError.failed("recv: errno \(errno) after \(answer.count) bytes") }
                answer += buffer[0..<count]
            }
            return String(decoding: answer, as: UTF8.self)
        }
    }

    /// One answer with a `Content-Length` body.
    func readAnswer() async throws -> String {
        try await onDedicatedThread { [self] in
            var answer: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let text = String(decoding: answer, as: UTF8.self)
                if let end = text.range(of: "\r\n\r\n") {
                    let head = text[..<end.lowerBound].lowercased()
                    let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                        .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                    if text.utf8.count - text.utf8.distance(from: text.startIndex, to: end.upperBound) >= length { return text }
                }
                let count = recv(descriptor, &buffer, buffer.count, 0)
                guard count > 0 else { throw RawConnectionError.failed("connection ended or timed out after: \(text)") }
                answer += buffer[0..<count]
            }
        }
    }
}

enum RawConnectionError: Error {
    case failed(String)
}
