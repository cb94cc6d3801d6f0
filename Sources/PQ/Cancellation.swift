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
/// and one cancelled while it runs alone sends the server a cancel request. A cancel request
/// stops whatever the session runs at that moment, so a statement sharing its flight with other
/// tasks' statements is not cancelled: it runs to its end (or its statement timeout), and the
/// connection is closed after the flight.
final class StatementCancellation: Sendable {
    private enum Phase { case queued, running(alone: Bool), finished, cancelled }
    private let phase = Mutex(Phase.queued)

    /// On the connection's thread, before sending: false when the task was cancelled already.
    func start(sharingFlight: Bool) -> Bool {
        phase.withLock { phase in
            guard case .queued = phase else { return false }
            phase = .running(alone: !sharingFlight)
            return true
        }
    }

    func finish() { phase.withLock { $0 = .finished } }

    /// From the cancellation handler: whether the statement runs alone now (and needs a cancel request).
    func cancel() -> Bool {
        phase.withLock { phase in
            switch phase {
            case .running(let alone):
                phase = .cancelled
                return alone
            case .queued, .cancelled:
                phase = .cancelled
                return false
            case .finished:
                return false
            }
        }
    }
}
