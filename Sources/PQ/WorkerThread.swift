import CLibPQ
import Foundation
import Synchronization

/// One OS thread that runs blocking libpq calls, one job at a time, so they never block
/// Swift's cooperative pool or an event loop. Each connection owns one.
///
/// It is also a task executor: a transaction runs on this thread, so its statements run inline
/// here and its second statement costs no hop to this thread and back (see
/// `PQPool.withTransaction`).
final class WorkerThread: TaskExecutor, @unchecked Sendable {
    private enum Work {
        case closure(@Sendable () -> Void)
        case task(UnownedJob)
    }

    private let condition = NSCondition()
    private var work: [Work] = []
    private var stopping = false
    /// The thread's pthread_t once it runs, for `isCurrent`.
    private let owner = Atomic<UInt>(0)

    init(name: String) {
        let thread = Thread { [self] in
            // Set by the thread itself, for the OS (top, perf and /proc show it; at most 15 bytes
            // are kept). Foundation's `Thread.current.name` reaches the OS only when the new
            // thread runs after its creator has recorded it, so it was lost now and then.
            clibpq_name_this_thread(name)
            self.loop()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    private func loop() {
        // SCHED_BATCH (3): a thread woken for a statement does not preempt the one that woke it
        // (a cooperative pool thread, which then goes on with its work); it runs at the next
        // scheduling point. Under load that saved ~0.8 context switches per request and 15-25 %
        // of W1's CPU (bench/README.md); idle, the waker sleeps at once and nothing waits.
        var parameters = sched_param()
        parameters.sched_priority = 0
        _ = pthread_setschedparam(pthread_self(), 3, &parameters)
        owner.store(pthread_self(), ordering: .releasing)
        while true {
            condition.lock()
            while work.isEmpty && !stopping { condition.wait() }
            if work.isEmpty && stopping {
                condition.unlock()
                return
            }
            let next = work.removeFirst()
            condition.unlock()
            switch next {
            case .closure(let closure): closure()
            case .task(let job): job.runSynchronously(on: asUnownedTaskExecutor())
            }
        }
    }

    /// Whether the caller runs on this thread.
    var isCurrent: Bool {
        owner.load(ordering: .acquiring) == pthread_self()
    }

    private func append(_ next: Work) {
        condition.lock()
        work.append(next)
        condition.signal()
        condition.unlock()
    }

    func submit(_ job: @escaping @Sendable () -> Void) { append(.closure(job)) }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        guard !stopping else {
            // A task still preferring a closed connection's thread goes on elsewhere.
            condition.unlock()
            globalConcurrentExecutor.enqueue(job)
            return
        }
        work.append(.task(job))
        condition.signal()
        condition.unlock()
    }

    /// Runs `body` on this thread and returns its result to the awaiting task: at once when the
    /// task already runs here, otherwise by a hop here and back.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        if isCurrent { return try body() }
        return try await withCheckedThrowingContinuation { continuation in
            submit { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Ends the thread after the jobs already queued.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }
}
