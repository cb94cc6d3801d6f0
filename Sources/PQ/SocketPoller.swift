import CLibPQ
import Foundation
import Synchronization

/// One thread for the whole process that waits until connections' sockets can be read or
/// written, and resumes the task waiting on each. A statement's task drives libpq without
/// blocking (send, flush, consume, read results) on whatever executor it runs on, and only its
/// waits for the network pass through here: one wake-up per wait instead of a hop to a
/// connection thread and back for every statement.
final class SocketPoller: Sendable {
    static let shared = SocketPoller()

    private struct State {
        var waiting: [Int32: CheckedContinuation<Void, Never>] = [:]
        var registered: Set<Int32> = []
    }
    private let epoll: Int32
    private let state = Mutex(State())

    private init() {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(epoll >= 0, "epoll_create1 failed: \(errno)")
        let thread = Thread { [self] in self.loop() }
        thread.name = "pq-poller"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Returns once `socket` is readable (or, with `orWritable`, writable), has an error, or was
    /// hung up on; the caller's next libpq call tells which.
    func wait(_ socket: Int32, orWritable writable: Bool = false) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let known = state.withLock { state in
                state.waiting[socket] = continuation
                return !state.registered.insert(socket).inserted
            }
            var event = epoll_event()
            event.events = EPOLLIN.rawValue | (writable ? EPOLLOUT.rawValue : 0) | EPOLLONESHOT.rawValue
            event.data.fd = socket
            // A socket closed and its number reused is unknown to epoll though we knew it; one
            // never seen may still be known under a reused number: try the other operation.
            var result = epoll_ctl(epoll, known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, socket, &event)
            let failure = errno
            if result != 0, failure == ENOENT || failure == EEXIST {
                result = epoll_ctl(epoll, failure == ENOENT ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, socket, &event)
            }
            if result != 0 {
                // Not waitable (closed): let libpq report what happened.
                state.withLock { $0.waiting.removeValue(forKey: socket) }?.resume()
            }
        }
    }

    /// Stops watching a socket that is about to be closed.
    func forget(_ socket: Int32) {
        guard state.withLock({ $0.registered.remove(socket) }) != nil else { return }
        _ = epoll_ctl(epoll, EPOLL_CTL_DEL, socket, nil)
    }

    private func loop() {
        var events = [epoll_event](repeating: epoll_event(), count: 64)
        while true {
            let count = events.withUnsafeMutableBufferPointer { epoll_wait(epoll, $0.baseAddress, Int32($0.count), -1) }
            guard count > 0 else { continue }  // EINTR
            for event in events.prefix(Int(count)) {
                let socket = event.data.fd
                state.withLock { $0.waiting.removeValue(forKey: socket) }?.resume()
            }
        }
    }
}
