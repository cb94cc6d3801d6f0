import Foundation
import Logging
import Synchronization

/// A bounded pool of connections. A task waits for a free connection up to `acquireTimeout`,
/// then gets `PQError(kind: .poolTimeout)`; a broken connection is dropped and replaced on
/// demand, so the pool recovers by itself after PostgreSQL restarts.
public final class PQPool: Sendable {
    public let configuration: PQConfiguration
    public let maxConnections: Int
    public let acquireTimeout: Duration
    private let logger: Logger

    private struct Waiter {
        let id: UInt64
        let deadline: ContinuousClock.Instant
        let continuation: CheckedContinuation<Lease, any Error>
    }

    /// What a waiter receives: an idle connection, or the right to open a new one.
    private enum Lease {
        case existing(PQConnection)
        case openNew
    }

    private struct State {
        var idle: [PQConnection] = []
        /// Connections lent by `withSharedConnection`, with how many leases each carries now.
        var shared: [(connection: PQConnection, leases: Int)] = []
        var open = 0
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        var closed = false
        /// Whether the task that fails waiters at their deadlines is running.
        var deadlineKeeperRunning = false

        mutating func share(_ connection: PQConnection) {
            connection.isShared.store(true, ordering: .relaxed)
            shared.append((connection, 1))
        }
    }

    private let state = Mutex(State())

    public init(
        configuration: PQConfiguration, maxConnections: Int = 8,
        acquireTimeout: Duration = .seconds(5), logger: Logger = Logger(label: "pq.pool")
    ) {
        precondition(maxConnections > 0)
        self.configuration = configuration
        self.maxConnections = maxConnections
        self.acquireTimeout = acquireTimeout
        self.logger = logger
    }

    /// Connections open now (idle and leased), for metrics and tests.
    public var openConnections: Int { state.withLock { $0.open } }

    /// Open, idle, waiting and shared leases now, read at once (for metrics).
    public var statistics: (open: Int, idle: Int, waiters: Int, sharedLeases: Int) {
        state.withLock { ($0.open, $0.idle.count, $0.waiters.count, $0.shared.reduce(0) { $0 + $1.leases }) }
    }

    /// Statements ever queued on the connections shared now (for tests of flight order).
    var statementsQueuedOnSharedConnections: Int {
        state.withLock { $0.shared.reduce(0) { $0 + $1.connection.statementsQueued.load(ordering: .relaxed) } }
    }

    /// Lends a connection to `body` and takes it back, whatever happens.
    /// A connection found dead before its first statement (or still inside a transaction that
    /// its last lease left open) is replaced and `body` runs again: nothing was sent on it, so
    /// nothing can run twice.
    public func withConnection<T>(_ body: (PQConnection) async throws -> T) async throws -> T {
        try await lend(shared: false, body)
    }

    /// Lends a connection for statements that each stand alone: each its own implicit
    /// transaction, with no session state (no BEGIN, SET, advisory lock or temporary table).
    /// A shared lease takes an idle connection or opens one, as any lease does; when every
    /// connection is open and lent, it joins the shared connection that carries the fewest
    /// leases instead of waiting. Its statements then queue beside theirs, and the connection's
    /// thread sends what is queued in one flight (`PQConnection.query`). Under load that is one
    /// wake-up, one write and one read for several requests, and nobody waits for a connection,
    /// unless someone already does. (bench/README.md, seventh round: joining before an idle
    /// connection is taken, or capping a connection at two or four leases, was no cheaper.)
    public func withSharedConnection<T>(_ body: (PQConnection) async throws -> T) async throws -> T {
        try await lend(shared: true, body)
    }

    private func lend<T>(shared: Bool, _ body: (PQConnection) async throws -> T) async throws -> T {
        var attempts = 0
        while true {
            attempts += 1
            let connection = try await shared ? acquireShared() : acquire()
            let outcome: Result<T, any Error>
            do {
                outcome = .success(try await body(connection))
            } catch {
                outcome = .failure(error)
            }
            shared ? releaseShared(connection) : release(connection)
            switch outcome {
            case .success(let value): return value
            case .failure(let stale as StaleConnection) where attempts <= maxConnections + 1:
                if stale.leftInTransaction {
                    logger.warning("a connection was given back inside a transaction; it is closed, and the server rolls the transaction back")
                }
                continue
            case .failure(is StaleConnection): throw PQError(kind: .connection, message: "no live connection to the database")
            case .failure(let error): throw error
            }
        }
    }

    /// Runs `body` in a transaction: COMMIT when it returns, ROLLBACK when it throws.
    /// `body` runs on the connection's own thread, and so do child tasks it starts (`async let`,
    /// task groups): one at a time, and not while a statement runs. Work that must go on beside
    /// a statement belongs outside the transaction.
    public func withTransaction<T>(_ body: (PQConnection) async throws -> T) async throws -> T {
        try await withConnection { connection in
            // The transaction runs on the connection's thread: its statements run inline there,
            // with no hop per statement between the cooperative pool and that thread. The caller
            // goes on there until it next waits (it leaves at its next suspension).
            try await withTaskExecutorPreference(connection.executor) { try await transaction(on: connection, body) }
        }
    }

    private func transaction<T>(on connection: PQConnection, _ body: (PQConnection) async throws -> T) async throws -> T {
        // BEGIN goes out with the body's first statement, and the audit rows queued with
        // `sendWithNext` with COMMIT: a write costs no round trip for either.
        try connection.sendWithNext("BEGIN")
        do {
            let value = try await body(connection)
            // A task given up on (cancelled at the end of the shutdown timeout) must not commit:
            // nobody would hear that it did.
            try Task.checkCancellation()
            _ = try await connection.query("COMMIT")
            return value
        } catch {
            // An abandoned connection is closed on release; the server rolls back then.
            if !connection.isBroken && !connection.wasAbandoned {
                try? await connection.rollback()
            }
            throw error
        }
    }

    /// One statement on any connection (a shared lease: it stands alone).
    @discardableResult
    public func query(_ query: PQQuery) async throws -> PQRows {
        try await withSharedConnection { try await $0.query(query) }
    }

    // MARK: - Leasing

    private func acquire() async throws -> PQConnection {
        enum Decision { case use(PQConnection), open, wait, closed }
        let decision: Decision = state.withLock { state in
            if state.closed { return .closed }
            if let connection = state.idle.popLast() { return .use(connection) }
            if state.open < maxConnections {
                state.open += 1
                return .open
            }
            return .wait
        }
        switch decision {
        case .use(let connection): return connection
        case .open: return try await openConnection()
        case .closed: throw PQError(kind: .poolClosed, message: "the connection pool is closed")
        case .wait:
            switch try await waitForLease() {
            case .existing(let connection): return connection
            case .openNew: return try await openConnection()
            }
        }
    }

    private func acquireShared() async throws -> PQConnection {
        enum Decision { case use(PQConnection), open, wait, closed }
        let decision: Decision = state.withLock { state in
            if state.closed { return .closed }
            if let connection = state.idle.popLast() {
                state.share(connection)
                return .use(connection)
            }
            if state.open < maxConnections {
                state.open += 1
                return .open
            }
            // Nobody overtakes a waiter: a connection comes free for it only when its shared
            // leases end, so while anyone waits no lease joins them.
            guard state.waiters.isEmpty else { return .wait }
            var fewest: Int?
            for index in state.shared.indices {
                let connection = state.shared[index].connection
                guard !connection.isBroken && !connection.wasAbandoned else { continue }
                if fewest.map({ state.shared[index].leases < state.shared[$0].leases }) ?? true { fewest = index }
            }
            guard let fewest else { return .wait }
            state.shared[fewest].leases += 1
            return .use(state.shared[fewest].connection)
        }
        let connection: PQConnection
        switch decision {
        case .use(let leased): return leased
        case .closed: throw PQError(kind: .poolClosed, message: "the connection pool is closed")
        case .open: connection = try await openConnection()
        case .wait:
            switch try await waitForLease() {
            case .existing(let existing): connection = existing
            case .openNew: connection = try await openConnection()
            }
        }
        state.withLock { $0.share(connection) }
        return connection
    }

    /// Ends one shared lease; the connection's last one gives it back as `release` does.
    private func releaseShared(_ connection: PQConnection) {
        let last = state.withLock { state -> Bool in
            guard let index = state.shared.firstIndex(where: { $0.connection === connection }) else { return true }
            state.shared[index].leases -= 1
            guard state.shared[index].leases == 0 else { return false }
            state.shared.remove(at: index)
            connection.isShared.store(false, ordering: .relaxed)
            return true
        }
        if last { release(connection) }
    }

    /// Opens a connection for a slot already counted in `open`; gives the slot back on failure.
    private func openConnection() async throws -> PQConnection {
        do {
            return try await PQConnection.connect(configuration, name: "pq-connection")
        } catch {
            slotFreed()
            throw error
        }
    }

    private func waitForLease() async throws -> Lease {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        let timeout = acquireTimeout
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let (enqueued, startKeeper) = state.withLock { state -> (Bool, Bool) in
                    guard !state.closed else { return (false, false) }
                    // Taken under the lock, so the queue is in deadline order (`keepDeadlines`).
                    state.waiters.append(Waiter(id: id, deadline: .now + timeout, continuation: continuation))
                    defer { state.deadlineKeeperRunning = true }
                    return (true, !state.deadlineKeeperRunning)
                }
                if !enqueued {
                    continuation.resume(throwing: PQError(kind: .poolClosed, message: "the connection pool is closed"))
                } else if Task.isCancelled {
                    failWaiter(id, with: CancellationError())
                }
                // The keeper holds the pool while anyone waits, and ends when nobody does.
                if startKeeper { Task { await self.keepDeadlines() } }
            }
        } onCancel: {
            failWaiter(id, with: CancellationError())
        }
    }

    /// Fails waiters whose deadline passed, for as long as anyone waits. One task for the pool,
    /// not a sleeping task per waiter: under load most requests wait a moment for a connection,
    /// and a timer armed and cancelled for each cost several system calls per request.
    /// Waiters queue in arrival order with the same timeout, so the first deadline is the next.
    private func keepDeadlines() async {
        while true {
            let now = ContinuousClock.now
            let (expired, next) = state.withLock { state -> ([Waiter], ContinuousClock.Instant?) in
                let count = state.waiters.prefix { $0.deadline <= now }.count
                let expired = Array(state.waiters.prefix(count))
                state.waiters.removeFirst(count)
                let next = state.waiters.first?.deadline
                if next == nil { state.deadlineKeeperRunning = false }
                return (expired, next)
            }
            for waiter in expired {
                waiter.continuation.resume(throwing: PQError(kind: .poolTimeout, message: "no database connection became free in time"))
            }
            guard let next else { return }
            try? await Task.sleep(until: next, tolerance: .milliseconds(1), clock: .continuous)
        }
    }

    /// Resumes a waiter with an error, if it is still waiting. Whoever removes it resumes it.
    private func failWaiter(_ id: UInt64, with error: any Error) {
        let waiter = state.withLock { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: error)
    }

    private func release(_ connection: PQConnection) {
        if connection.isBroken || connection.wasAbandoned {
            connection.close()
            slotFreed()
            return
        }
        connection.checkLivenessBeforeUse = true
        let (waiter, closeIt) = state.withLock { state -> (Waiter?, Bool) in
            if state.closed {
                state.open -= 1
                return (nil, true)
            }
            if !state.waiters.isEmpty { return (state.waiters.removeFirst(), false) }
            state.idle.append(connection)
            return (nil, false)
        }
        if closeIt { connection.close() }
        waiter?.continuation.resume(returning: .existing(connection))
    }

    /// A slot became free: hand it to the first waiter as the right to open a connection.
    private func slotFreed() {
        let waiter = state.withLock { state -> Waiter? in
            if !state.closed, !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.open -= 1
            return nil
        }
        waiter?.continuation.resume(returning: .openNew)
    }

    /// Closes idle connections now and leased ones as they come back; waiters fail.
    public func close() {
        let (idle, waiters) = state.withLock { state -> ([PQConnection], [Waiter]) in
            state.closed = true
            let idle = state.idle
            state.open -= idle.count
            state.idle = []
            let waiters = state.waiters
            state.waiters = []
            return (idle, waiters)
        }
        idle.forEach { $0.close() }
        waiters.forEach { $0.continuation.resume(throwing: PQError(kind: .poolClosed, message: "the connection pool is closed")) }
        logger.debug("connection pool closed", metadata: ["idle_closed": "\(idle.count)"])
    }
}
