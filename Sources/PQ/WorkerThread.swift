import Foundation

/// One OS thread that runs blocking libpq calls, one job at a time, so they never block
/// Swift's cooperative pool or an event loop. Each connection owns one.
final class WorkerThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var stopping = false

    init(name: String) {
        let thread = Thread { [self] in
            // A name given before start stays Foundation's on Linux; set from the thread itself
            // it reaches the OS (top, perf and /proc show it; at most 15 bytes are kept).
            Thread.current.name = name
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
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty && stopping {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }

    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Runs `body` on this thread and returns its result to the awaiting task.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
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
