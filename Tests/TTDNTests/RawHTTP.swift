import Foundation
import TTDNKit

#if canImport(Glibc)
import Glibc
#endif

/// A TCP connection to a test server, written byte for byte: URLSession normalises paths
/// (`//`, `/./`) and cannot leave a request half-sent, which is what these tests need.
/// Every blocking call runs on a thread of its own, never on Swift's cooperative pool.
final class RawConnection: @unchecked Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    static func open(port: Int) async throws -> RawConnection {
        try await offPool {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw CLIErrorRaw("socket failed") }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { close(fd); throw CLIErrorRaw("connect failed") }
            return RawConnection(descriptor: fd)
        }
    }

    deinit { close(descriptor) }

    func send(_ text: String) async {
        let descriptor = self.descriptor
        await offPool {
            let bytes = Array(text.utf8)
            _ = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
    }

    /// Reads until the server closes the connection or `timeout` passes.
    func readUntilClosed(timeout: Duration) async -> (text: String, closed: Bool) {
        let descriptor = self.descriptor
        return await offPool {
            var received: [UInt8] = []
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                let left = deadline - ContinuousClock.now
                var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                let milliseconds = Int32(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
                guard poll(&poller, 1, milliseconds) > 0 else { continue }
                var buffer = [UInt8](repeating: 0, count: 65_536)
                let count = recv(descriptor, &buffer, buffer.count, 0)
                if count <= 0 { return (String(decoding: received, as: UTF8.self), true) }
                received.append(contentsOf: buffer[0..<count])
            }
            return (String(decoding: received, as: UTF8.self), false)
        }
    }

    /// One request with `Connection: close`; the status code of the answer (0 if none).
    static func status(port: Int, _ requestLine: String, headers: [String] = [], body: String? = nil) async throws -> Int {
        let connection = try await open(port: port)
        var head = requestLine + "\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + headers.map { $0 + "\r\n" }.joined()
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        await connection.send(head + "\r\n" + (body ?? ""))
        let (text, _) = await connection.readUntilClosed(timeout: .seconds(10))
        let pieces = text.split(separator: " ", maxSplits: 2)
        return pieces.count >= 2 ? Int(pieces[1]) ?? 0 : 0
    }
}

struct CLIErrorRaw: Error { let message: String; init(_ message: String) { self.message = message } }

/// Runs blocking work on a thread of its own and awaits it.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: body()) }
    }
}
