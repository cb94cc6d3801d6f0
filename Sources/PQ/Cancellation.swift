import CLibPQ
import Dispatch
import Synchronization

/// libpq's cancel key for one connection (PQgetCancel), freed with the object. `PQcancel` may be
/// called from any thread while the connection's own thread waits for the server.
final class PQCancelKey: Sendable {
    nonisolated(unsafe) private let pointer: OpaquePointer

    init?(connection: OpaquePointer) {
        guard let pointer = PQgetCancel(connection) else { return nil }
        self.pointer = pointer
    }

    deinit { PQfreeCancel(pointer) }

    /// Asks the server to cancel what this connection runs now. It opens a connection of its
    /// own, so it runs on a global queue, never on the caller's (possibly an event loop's) thread.
    func send() {
        DispatchQueue.global().async { [self] in
            var message = [CChar](repeating: 0, count: 256)
            _ = PQcancel(pointer, &message, Int32(message.count))
        }
    }
}

/// One statement's life, so that a task cancelled before the statement starts never sends it,
/// and one cancelled while it runs sends the server a cancel request.
final class StatementCancellation: Sendable {
    private enum Phase { case queued, running, finished, cancelled }
    private let phase = Mutex(Phase.queued)

    /// On the connection's thread, before sending: false when the task was cancelled already.
    func start() -> Bool {
        phase.withLock { phase in
            guard phase == .queued else { return false }
            phase = .running
            return true
        }
    }

    func finish() { phase.withLock { $0 = .finished } }

    /// From the cancellation handler: whether the statement is running now (and needs a cancel request).
    func cancel() -> Bool {
        phase.withLock { phase in
            defer { if phase != .finished { phase = .cancelled } }
            return phase == .running
        }
    }
}
