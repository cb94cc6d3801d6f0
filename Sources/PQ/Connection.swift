import CLibPQ
import Foundation
import Synchronization

/// How to reach PostgreSQL. `url` is a `postgresql://` URL or a libpq conninfo string.
public struct PQConfiguration: Sendable {
    public var url: String
    public var applicationName: String
    public var connectTimeoutSeconds: Int
    /// Applied to every session; a statement running longer is cancelled (SQLSTATE 57014).
    public var statementTimeoutMilliseconds: Int

    public init(
        url: String, applicationName: String = "ttdn", connectTimeoutSeconds: Int = 5,
        statementTimeoutMilliseconds: Int = 30_000
    ) {
        self.url = url
        self.applicationName = applicationName
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
    }
}

/// Thrown inside the pool when an idle connection turns out to be unusable before use: dead,
/// or still inside a transaction that whoever had it before left open.
struct StaleConnection: Error {
    var leftInTransaction = false
}

/// One libpq connection and the thread that does all its blocking work.
/// Every access to `connection` and `prepared` happens on that thread.
public final class PQConnection: @unchecked Sendable {
    private let thread: WorkerThread
    private var connection: OpaquePointer?
    private var prepared: [StatementKey: String] = [:]
    /// The columns of each prepared statement's last result, by statement name.
    private var shapes: [String: PQColumnIndex] = [:]
    private var nextStatementNumber = 0
    private static let preparedLimit = 1_000

    /// Set by the pool when the connection goes back idle; the next use checks the socket first.
    var checkLivenessBeforeUse = false
    /// Whether the last operation left the connection unusable. Read after awaiting it.
    private(set) var isBroken = false
    private var cancelKey: PQCancelKey?
    /// Set when a task gave up on a statement of this connection: the server may still be
    /// running it (or hold its transaction open), and a late cancel request could hit the next
    /// statement, so the pool closes the connection instead of lending it again.
    private let abandoned = Mutex(false)
    var wasAbandoned: Bool { abandoned.withLock { $0 } }
    /// Set by the pool while the connection is lent to shared leases (`withSharedConnection`):
    /// what needs the session to itself (a script, a transaction's queued statements) is refused.
    let isShared = Atomic(false)

    private init(name: String) { thread = WorkerThread(name: name) }

    /// The connection's thread, as the executor a transaction on it runs on.
    var executor: any TaskExecutor { thread }

    public static func connect(_ configuration: PQConfiguration, name: String = "pq") async throws -> PQConnection {
        let connection = PQConnection(name: name)
        do {
            try await connection.thread.run { try connection.openOnThread(configuration) }
        } catch {
            connection.thread.stop()
            throw error
        }
        return connection
    }

    private func openOnThread(_ configuration: PQConfiguration) throws {
        // dbname is expanded as a URL or conninfo; the keywords after it override what it says.
        let options =
            "-c statement_timeout=\(configuration.statementTimeoutMilliseconds) -c DateStyle=ISO -c TimeZone=UTC -c IntervalStyle=iso_8601 -c client_encoding=UTF8"
        let keywords = ["dbname", "application_name", "connect_timeout", "options"]
        let values = [
            configuration.url, configuration.applicationName,
            String(configuration.connectTimeoutSeconds), options,
        ]
        let conn = withCStrings(keywords) { keywordPointers in
            withCStrings(values) { valuePointers in
                PQconnectdbParams(keywordPointers + [nil], valuePointers + [nil], 1)
            }
        }
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            let message = conn.map { String(cString: PQerrorMessage($0)).trimmingTrailingNewlines } ?? "out of memory"
            PQfinish(conn)
            throw PQError(kind: .connection, message: PQConnection.withoutSecrets(message))
        }
        // Notices ("relation already exists, skipping") are not errors; libpq would print them to stderr.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        connection = conn
        cancelKey = PQCancelKey(connection: conn)
    }

    /// libpq's connection errors can name the host and user; they never contain the password,
    /// but keep only the first line so a multi-host attempt stays readable.
    private static func withoutSecrets(_ message: String) -> String {
        message.split(separator: "\n").first.map(String.init) ?? message
    }

    // MARK: - Queries

    /// Runs a parameterised statement, prepared once per connection and executed by name afterwards.
    /// A task cancelled while it waits never sends the statement; one cancelled while the
    /// server runs it sends a cancel request (the statement fails with 57014, and nothing of it
    /// commits), and the connection is closed afterwards rather than reused. A statement that
    /// shares its flight is not cancelled on the server (see `StatementCancellation`); its task
    /// gives up at once.
    ///
    /// Statements that reach the connection's thread while it is busy go out together, in one
    /// flight with a Sync after each: each is its own statement to the server (its own implicit
    /// transaction and error), and the thread wakes, writes and reads once for all of them.
    /// Only a lease from `PQPool.withSharedConnection` lets several tasks queue on one connection.
    public func query(_ query: PQQuery) async throws -> PQRows {
        let statement = StatementCancellation()
        return try await withTaskCancellationHandler {
            if thread.isCurrent {
                // A transaction's statement, already on this thread (`PQPool.withTransaction`).
                guard statement.start(sharingFlight: false) else { throw CancellationError() }
                let answer = Result { try executeOnThread(query) }
                statement.finish(with: answer)
                return try answer.get()
            }
            return try await withCheckedThrowingContinuation { continuation in
                guard statement.wait(continuation) else { return }
                let first = queued.withLock { queued in
                    queued.append(QueuedStatement(query: query, statement: statement))
                    statementsQueued.add(1, ordering: .relaxed)
                    return queued.count == 1
                }
                if first { thread.submit { self.runQueued() } }
            }
        } onCancel: {
            abandoned.withLock { $0 = true }
            if statement.cancel() { cancelKey?.send() }
        }
    }

    /// A statement waiting for the connection's thread (its task awaits it through `statement`).
    private struct QueuedStatement: Sendable {
        let query: PQQuery
        let statement: StatementCancellation
    }

    /// Statements waiting for the thread; whoever makes the list non-empty submits `runQueued`.
    private let queued = Mutex<[QueuedStatement]>([])

    /// Statements ever queued on this connection (for tests of flight order).
    let statementsQueued = Atomic(0)

    /// On the thread: sends every statement queued now in one flight and answers each.
    private func runQueued() {
        let batch = queued.withLock { queued in
            defer { queued.removeAll(keepingCapacity: true) }
            return queued
        }
        let sharing = batch.count > 1
        var running: [QueuedStatement] = []
        running.reserveCapacity(batch.count)
        for item in batch {
            if item.statement.start(sharingFlight: sharing) {
                running.append(item)
            } else {
                item.statement.finish(with: .failure(CancellationError()))
            }
        }
        guard !running.isEmpty else { return }
        // Each task goes on as soon as its own answer is read, while the thread reads the next.
        executeQueued(running.map(\.query)) { position, result in
            running[position].statement.finish(with: result)
        }
    }

    /// Runs SQL text through the simple query protocol: several statements, no parameters.
    /// For migrations and administrative scripts only.
    public func runScript(_ sql: String) async throws {
        try refuseOnSharedConnection("a script")
        _ = try await thread.run { () -> PQRows in
            try self.checkLiveness()
            let queued = self.takeDeferred()
            if !queued.isEmpty { _ = try Self.onlyAnswer { self.executeFlights([queued], answered: $0) } }
            guard !sql.utf8.contains(0) else {
                throw PQError(kind: .invalidParameter, message: "script contains a NUL byte")
            }
            return try self.collect(PQexec(self.connection, sql))
        }
    }

    private func checkLiveness() throws {
        guard checkLivenessBeforeUse else { return }
        checkLivenessBeforeUse = false
        guard let connection, PQstatus(connection) == CONNECTION_OK else {
            isBroken = true
            throw StaleConnection()
        }
        // An idle connection has nothing to read. Readable means the server said goodbye
        // (terminated backend, shutdown) or closed the socket.
        var descriptor = pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0)
        if poll(&descriptor, 1, 0) != 0 {
            isBroken = true
            throw StaleConnection()
        }
        // A transaction left open by the last lease would swallow the next one's statements
        // (and keep its locks): closing the session rolls it back.
        if PQtransactionStatus(connection) != PQTRANS_IDLE {
            isBroken = true
            throw StaleConnection(leftInTransaction: true)
        }
    }

    /// What a prepared statement is reused for: the same SQL with the same parameter types.
    private struct StatementKey: Hashable, Sendable {
        let sql: String
        let oids: [PQOID]
    }

    /// A statement rendered for sending: its cache key, SQL, values and parameter types.
    private struct Rendered: Sendable {
        let key: StatementKey
        let values: [String?]
        var sql: String { key.sql }
        var oids: [PQOID] { key.oids }

        init(_ query: PQQuery) throws {
            let (sql, values, oids) = try query.render()
            key = StatementKey(sql: sql, oids: oids)
            self.values = values
        }
    }

    /// Statements that go out in the same flight as the next one (see `sendWithNext`).
    private let deferred = Mutex<[Rendered]>([])

    /// Queues a statement whose rows nobody reads (`BEGIN`, an audit row) to be sent in one
    /// flight with the next statement, so it costs no round trip of its own. Its error is
    /// thrown by that next statement; `rollback()` drops what is still queued.
    public func sendWithNext(_ query: PQQuery) throws {
        try refuseOnSharedConnection("a statement sent with the next one")
        let rendered = try Rendered(query)
        deferred.withLock { $0.append(rendered) }
    }

    /// Ends the transaction in progress, if one reached the server: queued statements are
    /// dropped, and ROLLBACK is sent only when the server has a transaction open.
    public func rollback() async throws {
        deferred.withLock { $0.removeAll() }
        try await thread.run {
            guard let connection = self.connection, PQtransactionStatus(connection) != PQTRANS_IDLE else { return }
            _ = try self.collect(PQexec(connection, "ROLLBACK"))
        }
    }

    private func refuseOnSharedConnection(_ what: String) throws {
        guard isShared.load(ordering: .relaxed) else { return }
        throw PQError(kind: .invalidParameter, message: "\(what) needs a connection of its own, not a shared lease")
    }

    private func takeDeferred() -> [Rendered] {
        deferred.withLock { queued in
            defer { queued.removeAll() }
            return queued
        }
    }

    private func executeOnThread(_ query: PQQuery) throws -> PQRows {
        try Self.onlyAnswer { executeQueued([query], answer: $0) }
    }

    /// The answer of the one statement (or flight) `run` runs through the callback API.
    private static func onlyAnswer(_ run: ((Int, Result<PQRows, any Error>) -> Void) -> Void) throws -> PQRows {
        var answer: Result<PQRows, any Error>?
        run { _, result in answer = result }
        return try answer!.get()
    }

    /// Runs statements that stand apart, each in its flight (the first one with the statements
    /// `sendWithNext` queued), all sent before any is read. `answer` is called once for each
    /// statement (by its position), as soon as its result is read.
    private func executeQueued(_ queries: [PQQuery], answer: (Int, Result<PQRows, any Error>) -> Void) {
        do {
            try checkLiveness()
        } catch {
            for position in queries.indices { answer(position, .failure(error)) }
            return
        }
        var flights: [[Rendered]] = []
        var positions: [Int] = []
        var queuedBefore = takeDeferred()
        for (position, query) in queries.enumerated() {
            do {
                flights.append(queuedBefore + [try Rendered(query)])
                positions.append(position)
            } catch {
                answer(position, .failure(error))
            }
            queuedBefore = []
        }
        // Someone ran DEALLOCATE: a statement that lost its preparation is prepared again, once.
        var lost: [(flight: Int, result: Result<PQRows, any Error>)] = []
        executeFlights(flights) { flight, result in
            if flights[flight].count == 1, case .failure(let error as PQError) = result,
                error.sqlState == SQLState.invalidStatementName
            {
                lost.append((flight, result))
            } else {
                answer(positions[flight], result)
            }
        }
        guard !lost.isEmpty else { return }
        guard !isBroken else {
            for (flight, result) in lost { answer(positions[flight], result) }
            return
        }
        prepared.removeAll()
        shapes.removeAll()
        executeFlights(lost.map { flights[$0.flight] }) { again, result in answer(positions[lost[again].flight], result) }
    }

    /// Sends each flight's statements (libpq's pipeline mode: PREPARE where needed, then each
    /// EXECUTE) and a Sync after each flight, then reads every result. A flight's answer is its
    /// last statement's rows, or its first error (PostgreSQL skips the rest of a flight after
    /// one, up to its Sync; the next flight runs as if alone). `answered` is called once for each
    /// flight, in order. A broken connection fails the flight it was reading and every one after
    /// it; the flights answered before keep their answers (what they did is done).
    private func executeFlights(_ flights: [[Rendered]], answered: (Int, Result<PQRows, any Error>) -> Void) {
        var count = 0
        do {
            try sendAndRead(flights) { flight, result in
                answered(flight, result)
                count += 1
            }
        } catch {
            for flight in count..<flights.count { answered(flight, .failure(error)) }
        }
    }

    private func sendAndRead(_ flights: [[Rendered]], answered: (Int, Result<PQRows, any Error>) -> Void) throws {
        let statementCount = flights.reduce(0) { $0 + $1.count }
        if prepared.count + statementCount > PQConnection.preparedLimit {
            _ = try collect(PQexec(connection, "DEALLOCATE ALL"))
            prepared.removeAll()
            shapes.removeAll()
        }
        enum Command { case prepare(key: StatementKey, name: String), execute(name: String) }
        var commandsByFlight: [[Command]] = []
        commandsByFlight.reserveCapacity(flights.count)
        var preparing: [StatementKey: String] = [:]
        guard PQenterPipelineMode(connection) == 1 else {
            isBroken = true
            throw PQError.fromResult(nil, connection: connection)
        }
        var sent = true
        for flight in flights {
            var commands: [Command] = []
            for statement in flight {
                let name: String
                if let existing = prepared[statement.key] ?? preparing[statement.key] {
                    name = existing
                } else {
                    nextStatementNumber += 1
                    name = "s\(nextStatementNumber)"
                    preparing[statement.key] = name
                    commands.append(.prepare(key: statement.key, name: name))
                    sent = sent && PQsendPrepare(connection, name, statement.sql, Int32(statement.oids.count), statement.oids) == 1
                }
                commands.append(.execute(name: name))
                sent =
                    sent
                    && Self.withCValues(statement.values) { values in
                        PQsendQueryPrepared(connection, name, Int32(statement.values.count), values, nil, nil, 0)
                    } == 1
            }
            sent = sent && PQpipelineSync(connection) == 1
            commandsByFlight.append(commands)
        }
        guard sent else {
            // Half a flight may be on the wire: the connection cannot be trusted again.
            isBroken = true
            throw PQError.fromResult(nil, connection: connection)
        }
        for (flight, commands) in commandsByFlight.enumerated() {
            var firstError: (any Error)?
            var last: PQRows?
            for command in commands {
                var rows: PQRows?
                while let result = PQgetResult(connection) {
                    if PQresultStatus(result) == PGRES_PIPELINE_ABORTED {
                        PQclear(result)
                        continue
                    }
                    do {
                        if case .execute(let name) = command {
                            let collected = try collect(result, known: shapes[name])
                            shapes[name] = collected.index
                            rows = collected
                        } else {
                            rows = try collect(result)
                        }
                    } catch {
                        firstError = firstError ?? error
                    }
                }
                if case .prepare(let key, let name) = command, rows != nil { prepared[key] = name }
                last = rows
            }
            guard let sync = PQgetResult(connection) else {
                isBroken = true
                throw firstError ?? PQError.fromResult(nil, connection: connection)
            }
            let synced = PQresultStatus(sync) == PGRES_PIPELINE_SYNC
            PQclear(sync)
            guard synced else {
                isBroken = true
                throw firstError ?? PQError(kind: .connection, message: "the connection lost its place in a pipeline")
            }
            if let firstError {
                answered(flight, .failure(firstError))
            } else if let last {
                answered(flight, .success(last))
            } else {
                answered(flight, .failure(PQError(kind: .connection, message: "no result for the statement")))
            }
        }
        guard PQexitPipelineMode(connection) == 1 else {
            isBroken = true
            throw PQError(kind: .connection, message: "the connection lost its place in a pipeline")
        }
    }

    private static func withCValues<R>(_ values: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
        let cValues = values.map { $0.flatMap { strdup($0) } }
        defer { cValues.forEach { free($0) } }
        if cValues.isEmpty { return body(nil) }
        return cValues.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) { body($0) }
        }
    }

    /// Takes ownership of a result: rows on success, a PQError otherwise.
    private func collect(_ result: OpaquePointer?, known: PQColumnIndex? = nil) throws -> PQRows {
        guard let result else {
            isBroken = connection.map { PQstatus($0) != CONNECTION_OK } ?? true
            throw PQError.fromResult(nil, connection: connection)
        }
        let handle = PQResultHandle(result)
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return PQRows(handle: handle, known: known)
        default:
            isBroken = connection.map { PQstatus($0) != CONNECTION_OK } ?? true
            throw PQError.fromResult(result, connection: connection)
        }
    }

    /// Closes the connection and ends its thread.
    public func close() {
        thread.submit { [self] in
            PQfinish(connection)
            connection = nil
        }
        thread.stop()
    }

    /// The server process id of this session, for tests and diagnostics.
    public func backendPID() async throws -> Int32 {
        try await thread.run { self.connection.map { PQbackendPID($0) } ?? 0 }
    }
}

private func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let pointers = strings.map { strdup($0) }
    defer { pointers.forEach { free($0) } }
    return body(pointers.map { UnsafePointer($0) })
}
