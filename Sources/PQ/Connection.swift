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

/// Thrown inside the pool when an idle connection turns out to be dead before use.
struct StaleConnection: Error {}

/// One libpq connection and the thread that does all its blocking work.
/// Every access to `connection` and `prepared` happens on that thread.
public final class PQConnection: @unchecked Sendable {
    private let thread: WorkerThread
    private var connection: OpaquePointer?
    private var prepared: [String: String] = [:]
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

    private init(name: String) { thread = WorkerThread(name: name) }

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
    /// commits), and the connection is closed afterwards rather than reused.
    public func query(_ query: PQQuery) async throws -> PQRows {
        let statement = StatementCancellation()
        return try await withTaskCancellationHandler {
            try await thread.run {
                guard statement.start() else { throw CancellationError() }
                defer { statement.finish() }
                return try self.executeOnThread(query)
            }
        } onCancel: {
            abandoned.withLock { $0 = true }
            if statement.cancel() { cancelKey?.send() }
        }
    }

    /// Runs SQL text through the simple query protocol: several statements, no parameters.
    /// For migrations and administrative scripts only.
    public func runScript(_ sql: String) async throws {
        _ = try await thread.run { () -> PQRows in
            try self.checkLiveness()
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
    }

    private func executeOnThread(_ query: PQQuery) throws -> PQRows {
        try checkLiveness()
        let (sql, values, oids) = try query.render()
        let key = oids.isEmpty ? sql : sql + "\u{1}" + oids.map(String.init).joined(separator: ",")
        do {
            return try executePrepared(key: key, sql: sql, values: values, oids: oids)
        } catch let error as PQError where error.sqlState == SQLState.invalidStatementName {
            // Someone ran DEALLOCATE: forget the cache and prepare again, once.
            prepared.removeAll()
            return try executePrepared(key: key, sql: sql, values: values, oids: oids)
        }
    }

    private func executePrepared(key: String, sql: String, values: [String?], oids: [PQOID]) throws -> PQRows {
        let name: String
        if let existing = prepared[key] {
            name = existing
        } else {
            if prepared.count >= PQConnection.preparedLimit {
                _ = try collect(PQexec(connection, "DEALLOCATE ALL"))
                prepared.removeAll()
            }
            nextStatementNumber += 1
            name = "s\(nextStatementNumber)"
            _ = try collect(PQprepare(connection, name, sql, Int32(oids.count), oids))
            prepared[key] = name
        }
        let cValues = values.map { $0.flatMap { strdup($0) } }
        defer { cValues.forEach { free($0) } }
        let result = cValues.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(buffer.count, 1)) {
                PQexecPrepared(connection, name, Int32(values.count), values.isEmpty ? nil : $0, nil, nil, 0)
            }
        }
        return try collect(result)
    }

    /// Takes ownership of a result: rows on success, a PQError otherwise.
    private func collect(_ result: OpaquePointer?) throws -> PQRows {
        guard let result else {
            isBroken = connection.map { PQstatus($0) != CONNECTION_OK } ?? true
            throw PQError.fromResult(nil, connection: connection)
        }
        let handle = PQResultHandle(result)
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return PQRows(handle: handle)
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
