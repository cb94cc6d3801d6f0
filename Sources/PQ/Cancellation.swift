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

/// One statement's life and the task waiting for its answer. A task cancelled before the
/// statement starts never sends it; one cancelled while the statement runs alone sends the
/// server a cancel request and gets the statement's answer (57014). A cancel request stops
/// whatever the session runs at that moment, so a statement sharing its flight with other tasks'
/// statements is not cancelled on the server: it runs to its end (or its statement timeout),
/// the connection is closed after the flight, and its task gives up at once (CancellationError)
/// instead of waiting for it, so that a shutdown's deadline holds.
final class StatementCancellation: Sendable {
    private enum Phase { case queued, running(alone: Bool), finished, cancelled }
    private struct State {
        var phase = Phase.queued
        /// The task awaiting the answer, until someone resumes it (exactly once).
        var waiter: CheckedContinuation<PQRows, any Error>?
    }
    private let state = Mutex(State())

    /// The task that awaits the statement's answer. False (and the task resumed) if it has
    /// given up already: the statement is not to be queued.
    func wait(_ continuation: CheckedContinuation<PQRows, any Error>) -> Bool {
        let gaveUp = state.withLock { state -> Bool in
            if case .cancelled = state.phase { return true }
            state.waiter = continuation
            return false
        }
        if gaveUp { continuation.resume(throwing: CancellationError()) }
        return !gaveUp
    }

    /// On the connection's thread, before sending: false when the task was cancelled already.
    func start(sharingFlight: Bool) -> Bool {
        state.withLock { state in
            guard case .queued = state.phase else { return false }
            state.phase = .running(alone: !sharingFlight)
            return true
        }
    }

    /// On the connection's thread: the statement's answer, to its task unless it gave up.
    func finish(with answer: Result<PQRows, any Error>) {
        let waiter = state.withLock { state in
            if case .running = state.phase { state.phase = .finished }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(with: answer)
    }

    /// From the cancellation handler: whether the statement runs alone now (and needs a cancel
    /// request). A task whose statement is queued or shares its flight is resumed at once.
    func cancel() -> Bool {
        let (sendCancelRequest, waiter) = state.withLock { state -> (Bool, CheckedContinuation<PQRows, any Error>?) in
            switch state.phase {
            case .running(alone: true):
                state.phase = .cancelled
                return (true, nil)
            case .queued, .running(alone: false):
                state.phase = .cancelled
                defer { state.waiter = nil }
                return (false, state.waiter)
            case .finished, .cancelled:
                return (false, nil)
            }
        }
        waiter?.resume(throwing: CancellationError())
        return sendCancelRequest
    }
}
