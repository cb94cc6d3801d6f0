import CLibPQ
import Foundation
import Synchronization

/// A few threads, one per core, that run Swift tasks and wait on connections' sockets in the
/// same `epoll_wait`. A statement's task drives libpq without blocking on the loop it runs on;
/// while PostgreSQL works, the loop runs other tasks; when the answer arrives the loop resumes
/// the task itself. Nothing hops to a connection's thread and back, and no other thread is woken
/// to hand the answer over.
///
/// It is a task executor: `serve` runs the whole server with it as the preferred executor, so a
/// request's task runs here from the start. A statement from a task elsewhere hops here for
/// the statement (as it used to hop to the connection's thread).
public final class PQEventLoops: TaskExecutor, @unchecked Sendable {
    public static let shared = PQEventLoops(count: max(1, ProcessInfo.processInfo.activeProcessorCount))

    let loops: [EventLoop]
    private let next = Atomic<Int>(0)

    init(count: Int) {
        loops = (0..<count).map { EventLoop(name: "pq-loop-\($0)") }
    }

    /// The loop the caller runs on, if it runs on one.
    static var current: EventLoop? {
        let me = pthread_self()
        return shared.loops.first { $0.owner.load(ordering: .acquiring) == me }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if let loop = PQEventLoops.current {
            loop.enqueueHere(job, executor: self)
            return
        }
        // From elsewhere (an event loop of NIO's, a timer): an idle loop first, else in turn.
        let target =
            loops.first { $0.isSleeping }
            ?? loops[next.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
        target.enqueueFromElsewhere(job, executor: self)
    }
}

/// One thread of `PQEventLoops`: a queue of task jobs and an epoll set of sockets.
final class EventLoop: @unchecked Sendable {
    fileprivate let owner = Atomic<UInt>(0)
    private let epoll: Int32
    private let wakeup: Int32
    private let queue = Mutex<[(UnownedJob, UnownedTaskExecutor)]>([])
    private let sleeping = Atomic<Bool>(false)
    // Touched only by the loop's own thread.
    private var waiting: [Int32: UnsafeContinuation<Void, Never>] = [:]
    private var registered: Set<Int32> = []

    init(name: String) {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeup = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        precondition(epoll >= 0 && wakeup >= 0, "epoll or eventfd failed: \(errno)")
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wakeup
        precondition(epoll_ctl(epoll, EPOLL_CTL_ADD, wakeup, &event) == 0)
        let thread = Thread { [self] in
            clibpq_name_this_thread(name)
            owner.store(pthread_self(), ordering: .releasing)
            run()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    fileprivate var isSleeping: Bool { sleeping.load(ordering: .relaxed) }

    fileprivate func enqueueHere(_ job: UnownedJob, executor: PQEventLoops) {
        queue.withLock { $0.append((job, executor.asUnownedTaskExecutor())) }
    }

    fileprivate func enqueueFromElsewhere(_ job: UnownedJob, executor: PQEventLoops) {
        queue.withLock { $0.append((job, executor.asUnownedTaskExecutor())) }
        if sleeping.exchange(false, ordering: .sequentiallyConsistent) {
            var one: UInt64 = 1
            _ = write(wakeup, &one, 8)
        }
    }

    /// Returns once `socket` can be read (or, with `orWritable`, written), has an error or was
    /// hung up on; the caller's next libpq call tells which. Call only on this loop's thread.
    func wait(_ socket: Int32, orWritable writable: Bool = false) async {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            waiting[socket] = continuation
            var event = epoll_event()
            event.events = EPOLLIN.rawValue | (writable ? EPOLLOUT.rawValue : 0) | EPOLLONESHOT.rawValue
            event.data.fd = socket
            let known = !registered.insert(socket).inserted
            // A socket closed and its number reused is gone from epoll though we knew it; one
            // never seen may still be there under a reused number: then try the other operation.
            var result = epoll_ctl(epoll, known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, socket, &event)
            let failure = errno
            if result != 0, failure == ENOENT || failure == EEXIST {
                result = epoll_ctl(epoll, failure == ENOENT ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, socket, &event)
            }
            if result != 0 {
                // Not waitable (closed): let libpq report what happened.
                waiting.removeValue(forKey: socket)?.resume()
            }
        }
    }

    private func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 64)
        while true {
            var jobs = queue.withLock { queued in
                defer { queued.removeAll(keepingCapacity: true) }
                return queued
            }
            var timeout: Int32 = 0
            if jobs.isEmpty {
                sleeping.store(true, ordering: .sequentiallyConsistent)
                jobs = queue.withLock { queued in
                    defer { queued.removeAll(keepingCapacity: true) }
                    return queued
                }
                if jobs.isEmpty { timeout = -1 } else { sleeping.store(false, ordering: .relaxed) }
            }
            for (job, executor) in jobs { job.runSynchronously(on: executor) }
            let count = events.withUnsafeMutableBufferPointer {
                epoll_wait(epoll, $0.baseAddress, Int32($0.count), timeout)
            }
            if timeout < 0 { sleeping.store(false, ordering: .relaxed) }
            guard count > 0 else { continue }  // nothing ready, or EINTR
            for event in events.prefix(Int(count)) {
                let socket = event.data.fd
                if socket == wakeup {
                    var value: UInt64 = 0
                    _ = read(wakeup, &value, 8)
                } else {
                    waiting.removeValue(forKey: socket)?.resume()
                }
            }
        }
    }
}
