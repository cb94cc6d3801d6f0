import Foundation
import Synchronization
import TestSupport
import Testing

@testable import PQ

/// Each test gets a fresh database of its own in the PostgreSQL that `make test` started.
func freshPool(
    maxConnections: Int = 4, statementTimeoutMilliseconds: Int = 30_000,
    acquireTimeout: Duration = .seconds(5)
) async throws -> PQPool {
    let url = try await TestDatabase.createDatabase(prefix: "pq")
    return PQPool(
        configuration: PQConfiguration(url: url, statementTimeoutMilliseconds: statementTimeoutMilliseconds),
        maxConnections: maxConnections, acquireTimeout: acquireTimeout)
}

struct Payload: Codable, Equatable, Sendable {
    var name: String
    var tags: [String]
}

enum Weekday: String, PQEncodable, PQDecodable { case monday, tuesday }

@Suite("Values round-trip through PostgreSQL")
struct RoundTripTests {
    @Test func rawRepresentableValuesAreBoundAndReadByTheirRawValue() async throws {
        let pool = try await freshPool()
        defer { pool.close() }
        try await pool.withConnection { connection in
            try await connection.runScript("CREATE TYPE weekday AS ENUM ('monday', 'tuesday')")
            let rows = try await connection.query(
                """
                SELECT \(Weekday.tuesday)::weekday AS enum_value, \(Weekday.monday)::text AS text_value,
                       \(Optional<Weekday>.none)::weekday AS nothing, 'sunday'::text AS unknown
                """)
            #expect(try rows[0].decode("enum_value", as: Weekday.self) == .tuesday)
            #expect(try rows[0].decode("text_value", as: Weekday.self) == .monday)
            #expect(try rows[0].decode("nothing", as: Weekday?.self) == nil)
            #expect(throws: PQError.self) { try rows[0].decode("unknown", as: Weekday.self) }
        }
    }

    @Test func scalars() async throws {
        let pool = try await freshPool()
        defer { pool.close() }
        let id = UUID()
        let when = Date(timeIntervalSince1970: 1_683_251_696.123456)
        let day = CalendarDate(year: 2023, month: 5, day: 5)!
        let rows = try await pool.query(
            """
            SELECT \(42)::int8 AS i, \(Int32(-7))::int4 AS i4, \(Int64.max)::int8 AS big, \(3.25)::float8 AS d,
                   \(true) AS t, \(false) AS f, \(id) AS id, \(when) AS ts, \(day) AS day,
                   \(Optional<String>.none)::text AS nothing, \(Optional<Int>.none) AS no_int
            """)
        let row = rows[0]
        #expect(try row.decode("i", as: Int.self) == 42)
        #expect(try row.decode("i4", as: Int32.self) == -7)
        #expect(try row.decode("big", as: Int64.self) == Int64.max)
        #expect(try row.decode("d", as: Double.self) == 3.25)
        #expect(try row.decode("t", as: Bool.self) == true)
        #expect(try row.decode("f", as: Bool.self) == false)
        #expect(try row.decode("id", as: UUID.self) == id)
        let decoded = try row.decode("ts", as: Date.self)
        #expect(abs(decoded.timeIntervalSince1970 - when.timeIntervalSince1970) < 0.000_001)
        #expect(try row.decode("day", as: CalendarDate.self) == day)
        #expect(try row.decode("nothing", as: String?.self) == nil)
        #expect(try row.decode("no_int", as: Int?.self) == nil)
        #expect(throws: PQError.self) { try row.decode("nothing", as: String.self) }
    }

    @Test func columnsAreFoundByNameInAnyOrderAndTheFirstOfTwoNamesWins() async throws {
        let pool = try await freshPool()
        defer { pool.close() }
        let rows = try await pool.query("SELECT 1 AS a, 2 AS b, 3 AS a, 4 AS c FROM generate_series(1, 3)")
        for row in rows {
            // In order, out of order, repeated, and the name two columns share.
            #expect(try row.decode("a", as: Int.self) == 1)
            #expect(try row.decode("b", as: Int.self) == 2)
            #expect(try row.decode("a", as: Int.self) == 1)
            #expect(try row.decode("c", as: Int.self) == 4)
            #expect(try row.decode("b", as: Int.self) == 2)
            #expect(throws: PQError.self) { try row.decode("d", as: Int.self) }
            #expect(try row.decode("c", as: Int.self) == 4)
        }
    }

    @Test func cellsAreReadByPositionsLookedUpOnceAsRowsReadThem() async throws {
        let pool = try await freshPool()
        defer { pool.close() }
        let rows = try await pool.query(
            "SELECT n AS a, 'x' || n AS b, n AS a, CASE WHEN n = 2 THEN NULL ELSE n > 1 END AS flag FROM generate_series(1, 3) n")
        let (a, b, flag) = (try rows.column("a"), try rows.column("b"), try rows.column("flag"))
        #expect(a == 0 && b == 1 && flag == 3)
        #expect(throws: PQError.self) { try rows.column("d") }
        let byName = try rows.map { (try $0.decode("a", as: Int.self), try $0.decode("b", as: String.self), try $0.decode("flag", as: Bool?.self)) }
        let byPosition = try rows.withCells { cells in
            try rows.indices.map {
                (
                    try cells.decode(row: $0, column: a, as: Int.self), try cells.decode(row: $0, column: b, as: String.self),
                    try cells.decode(row: $0, column: flag, as: Bool?.self)
                )
            }
        }
        #expect(byPosition.map(\.0) == byName.map(\.0) && byPosition.map(\.1) == byName.map(\.1) && byPosition.map(\.2) == byName.map(\.2))
        #expect(byPosition.map(\.2) == [false, nil, true])
        // NULL into a non-optional, text into a number: errors that name the column, not the value.
        for (row, column) in [(1, flag), (0, b)] {
            let failure = rows.withCells { cells in Result { try cells.decode(row: row, column: column, as: Int.self) } }
            #expect(throws: PQError.self) { try failure.get() }
            if case .failure(let error as PQError) = failure {
                #expect(error.message == "column \(rows.columns[column]) cannot be decoded as Int")
            }
        }
    }

    @Test func whatIsDerivedFromAResultsColumnsIsWorkedOutOncePerStatement() async throws {
        let pool = try await freshPool(maxConnections: 1)
        defer { pool.close() }
        let made = Mutex(0)
        @Sendable func names(_ rows: PQRows) -> [String] {
            rows.derived { rows in
                made.withLock { $0 += 1 }
                return rows.columns.map { $0.uppercased() }
            }
        }
        try await pool.withConnection { connection in
            for value in 1...3 {
                let rows = try await connection.query("SELECT \(value)::int4 AS a, 'x' AS b")
                #expect(names(rows) == ["A", "B"])
            }
            #expect(made.withLock { $0 } == 1)
            // Another statement, other columns: worked out for it.
            let other = try await connection.query("SELECT 1 AS c")
            #expect(names(other) == ["C"])
            #expect(made.withLock { $0 } == 2)
        }
    }

    @Test func timestampsAreWrittenInRFC3339AndReadBackExactly() async throws {
        let cases: [(Double, String)] = [
            (0, "1970-01-01T00:00:00Z"),
            (1_672_531_199.5, "2022-12-31T23:59:59.500000Z"),
            (1_683_251_696.000_001, "2023-05-05T01:54:56.000001Z"),
            (-1.25, "1969-12-31T23:59:58.750000Z"),
            (-62_135_596_800, "0001-01-01T00:00:00Z"),
            (253_402_300_799, "9999-12-31T23:59:59Z"),
        ]
        let pool = try await freshPool(maxConnections: 1)
        defer { pool.close() }
        for (seconds, text) in cases {
            #expect(PQTimestamp.format(Date(timeIntervalSince1970: seconds)) == text)
            let rows = try await pool.query("SELECT extract(epoch FROM \(text)::timestamptz)::float8 AS s")
            #expect(abs(try rows[0].decode("s", as: Double.self) - seconds) < 0.000_001, "\(text)")
        }
    }

    @Test func uuidsAreReadAndWrittenAsFoundationDoes() async throws {
        let pool = try await freshPool(maxConnections: 1)
        defer { pool.close() }
        for _ in 0..<200 {
            let id = UUID()
            #expect(id.lowercasedString == id.uuidString.lowercased())
            let rows = try await pool.query("SELECT \(id) AS id, upper(\(id)::text) AS upper")
            #expect(try rows[0].decode("id", as: UUID.self) == id)
            #expect(UUID(uuidString: try rows[0].decode("upper", as: String.self)) == id)
        }
        // Text read as Foundation reads it: either case, hyphens in place, nothing else.
        let id = UUID()
        for text in [
            id.uuidString, id.uuidString.lowercased(), String(id.uuidString.dropLast()), id.uuidString + "0",
            id.uuidString.replacingOccurrences(of: "-", with: "_"), String(id.uuidString.dropLast()) + "g", "",
            String(id.uuidString.dropLast()) + "é", "{\(id.uuidString.dropFirst().dropLast())}",
            id.uuidString.replacingOccurrences(of: "-", with: ""),
        ] {
            #expect(UUID(text: text) == UUID(uuidString: text), "\(text)")
        }
        #expect(UUID(text: id.uuidString) == id)
        // Foundation's sscanf takes a sign inside a field; the canonical form has none.
        #expect(UUID(uuidString: "-1bbccdd-eeee-ffff-0000-111111111111") != nil)
        #expect(UUID(text: "-1bbccdd-eeee-ffff-0000-111111111111") == nil)
        let bad = try await pool.query("SELECT 'not-a-uuid-at-all-but-36-characters!' AS id")
        #expect(throws: PQError.self) { try bad[0].decode("id", as: UUID.self) }
    }

    @Test func vietnameseTextKeepsItsBytes() async throws {
        let pool = try await freshPool()
        defer { pool.close() }
        let nfc = "Phòng Giáo dục và Đào tạo quận Lê Chân"
        let nfd = nfc.decomposedStringWithCanonicalMapping
        #expect(nfc.utf8.count != nfd.utf8.count)
        _ = try await pool.query("CREATE TABLE texts (id serial PRIMARY KEY, body text NOT NULL)")
        _ = try await pool.query("INSERT INTO texts (body) VALUES (\(nfc)), (\(nfd))")
        let rows = try await pool.query(
            """
            SELECT body, octet_length(body) AS bytes, body IS NFC NORMALIZED AS is_nfc FROM texts ORDER BY id
            """)
        #expect(try rows[0].decode("body", as: String.self) == nfc)
        #expect(try rows[0].decode("bytes", as: Int.self) == nfc.utf8.count)
        #expect(try rows[0].decode("is_nfc", as: Bool.self))
        // PostgreSQL sees the decomposed form as different bytes, even though Swift's == does not.
        #expect(try rows[1].decode("bytes", as: Int.self) == nfd.utf8.count)
        #expect(try rows[1].decode("is_nfc", as: Bool.self) == false)
        let distinct = try await pool.query("SELECT count(DISTINCT body) AS n FROM texts")
        #expect(try distinct[0].decode("n", as: Int.self) == 2)
    }

    @Test func jsonbAndArrays() async throws {
        let pool = try await freshPool()
        defer { pool.close() }
        let payload = Payload(name: "Tuần ASEAN \"28/7\"", tags: ["a,b", "c\\d", "{}", "NULL"])
        let tags = ["Lào", "Campuchia", "with \"quotes\"", "comma,inside", "", "NULL", "back\\slash", "Hải \"Phòng\" \\ {}", " spaced "]
        let numbers: [Int64] = [1, -2, Int64.max]
        let rows = try await pool.query(
            """
            SELECT \(PQJSON(payload)) AS doc, \(tags) AS tags, \(numbers) AS numbers, ARRAY[]::text[] AS empty,
                   \(tags)::text[] = ARRAY['Lào','Campuchia','with "quotes"','comma,inside','','NULL','back\\slash',
                       'Hải "Phòng" \\ {}',' spaced '] AS same,
                   ARRAY['a', NULL]::text[] AS with_null, ARRAY[['a'],['b']]::text[] AS two_dimensions
            """)
        #expect(try rows[0].decode("doc", as: PQJSON<Payload>.self).value == payload)
        #expect(try rows[0].decode("tags", as: [String].self) == tags)
        #expect(try rows[0].decode("numbers", as: [Int64].self) == numbers)
        #expect(try rows[0].decode("empty", as: [String].self) == [])
        #expect(try rows[0].decode("same", as: Bool.self))
        // A NULL element has no String to be: a decoding error, not an element dropped.
        #expect(throws: PQError.self) { try rows[0].decode("with_null", as: [String].self) }
        #expect(throws: PQError.self) { try rows[0].decode("two_dimensions", as: [String].self) }
    }

    @Test func injectionStringsAreStoredVerbatim() async throws {
        let pool = try await freshPool()
        defer { pool.close() }
        _ = try await pool.query("CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)")
        let attacks = ["'; DROP TABLE notes; --", "\" OR 1=1 --", "$1", "\\x00", "Robert'); DELETE FROM notes;--", "{\"a\": 1}"]
        for attack in attacks {
            _ = try await pool.query("INSERT INTO notes (body) VALUES (\(attack))")
        }
        let rows = try await pool.query("SELECT body FROM notes ORDER BY id")
        #expect(try rows.map { try $0.decode("body", as: String.self) } == attacks)
    }

    @Test func nulByteIsRejectedBeforeLibpq() async throws {
        let pool = try await freshPool()
        defer { pool.close() }
        let error = await #expect(throws: PQError.self) {
            try await pool.query("SELECT \("abc\u{0}def")::text AS t")
        }
        #expect(error?.kind == .invalidParameter)
        // The connection is still fine afterwards.
        #expect(try await pool.query("SELECT 1 AS one")[0].decode("one", as: Int.self) == 1)
    }

    @Test func invalidDatesDoNotExist() {
        #expect(CalendarDate("2023-02-30") == nil)
        #expect(CalendarDate("2024-02-29") != nil)
        #expect(CalendarDate("2023-2-3") == nil)
        #expect(CalendarDate(year: 2023, month: 13, day: 1) == nil)
    }
}

@Suite("Errors")
struct ErrorTests {
    @Test func uniqueViolationCarriesSQLStateAndConstraintButNoValues() async throws {
        let pool = try await freshPool()
        defer { pool.close() }
        _ = try await pool.query("CREATE TABLE units (code text CONSTRAINT units_code_key UNIQUE)")
        let secret = "SECRET-CODE-4711"
        _ = try await pool.query("INSERT INTO units VALUES (\(secret))")
        let error = await #expect(throws: PQError.self) {
            try await pool.query("INSERT INTO units VALUES (\(secret))")
        }
        #expect(error?.sqlState == "23505")
        #expect(error?.isUniqueViolation == true)
        #expect(error?.constraint == "units_code_key")
        #expect(error?.detail?.contains(secret) == true)  // the server's detail quotes it...
        #expect(error.map { String(describing: $0) }?.contains(secret) == false)  // ...the description never does
    }

    @Test func statementTimeoutIsItsOwnError() async throws {
        let pool = try await freshPool(statementTimeoutMilliseconds: 200)
        defer { pool.close() }
        let error = await #expect(throws: PQError.self) {
            try await pool.query("SELECT pg_sleep(5)")
        }
        #expect(error?.isQueryCanceled == true)
        #expect(error?.isUnavailable == false)
        #expect(try await pool.query("SELECT 2 AS two")[0].decode("two", as: Int.self) == 2)
    }

    @Test func connectionFailureIsUnavailableAndHidesThePassword() async throws {
        let port = PrivateCluster.freePort()
        let pool = PQPool(configuration: PQConfiguration(url: "postgresql://u:hunter2@127.0.0.1:\(port)/x", connectTimeoutSeconds: 2))
        defer { pool.close() }
        let error = await #expect(throws: PQError.self) { try await pool.query("SELECT 1") }
        #expect(error?.kind == .connection)
        #expect(error?.isUnavailable == true)
        #expect(error.map { String(describing: $0) }?.contains("hunter2") == false)
        #expect(pool.openConnections == 0)
    }
}

@Suite("Statements are prepared once per connection")
struct PreparedStatementTests {
    @Test func secondExecutionReusesThePreparedStatement() async throws {
        let pool = try await freshPool(maxConnections: 1)
        defer { pool.close() }
        for value in 1...3 {
            _ = try await pool.query("SELECT \(value)::int8 + 1 AS n")
        }
        let rows = try await pool.query("SELECT statement FROM pg_prepared_statements WHERE statement LIKE 'SELECT $1::int8 + 1%'")
        #expect(rows.count == 1)
    }
}

@Suite("Transactions")
struct TransactionTests {
    @Test func commitOnSuccessRollbackOnThrow() async throws {
        let pool = try await freshPool()
        defer { pool.close() }
        _ = try await pool.query("CREATE TABLE t (n int)")
        try await pool.withTransaction { _ = try await $0.query("INSERT INTO t VALUES (1)") }
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            try await pool.withTransaction { connection in
                _ = try await connection.query("INSERT INTO t VALUES (2)")
                throw Boom()
            }
        }
        let rows = try await pool.query("SELECT array_agg(n ORDER BY n)::int8[] AS ns FROM t")
        #expect(try rows[0].decode("ns", as: [Int].self) == [1])
    }

    @Test func queuedStatementsTravelWithTheNextAndCommitOrRollBackWithIt() async throws {
        let pool = try await freshPool(maxConnections: 1)
        defer { pool.close() }
        _ = try await pool.query("CREATE TABLE t (n int PRIMARY KEY)")
        // BEGIN and the queued INSERTs go with COMMIT; a statement sees what was queued before it.
        let seen = try await pool.withTransaction { connection -> Int in
            try connection.sendWithNext("INSERT INTO t VALUES (\(1))")
            try connection.sendWithNext("INSERT INTO t VALUES (\(2))")
            let rows = try await connection.query("SELECT count(*)::int8 AS n FROM t")
            try connection.sendWithNext("INSERT INTO t VALUES (\(3))")
            return try rows[0].decode("n", as: Int.self)
        }
        #expect(seen == 2)
        // A queued statement's error is thrown by the next statement, and nothing of the transaction stays.
        await #expect(throws: PQError.self) {
            try await pool.withTransaction { connection in
                try connection.sendWithNext("INSERT INTO t VALUES (\(4))")
                try connection.sendWithNext("INSERT INTO t VALUES (\(1))")
                _ = try await connection.query("SELECT 1")
            }
        }
        // A body that throws before any statement sends nothing; what it queued is dropped.
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            try await pool.withTransaction { connection in
                try connection.sendWithNext("INSERT INTO t VALUES (\(5))")
                throw Boom()
            }
        }
        let rows = try await pool.query("SELECT array_agg(n ORDER BY n)::int8[] AS ns FROM t")
        #expect(try rows[0].decode("ns", as: [Int].self) == [1, 2, 3])
        // The connection is clean afterwards: not in a transaction, nothing queued.
        // (one connection: two statements outside a transaction get two transaction ids)
        let first = try await pool.query("SELECT txid_current()::int8 AS id")[0].decode("id", as: Int.self)
        let second = try await pool.query("SELECT txid_current()::int8 AS id")[0].decode("id", as: Int.self)
        #expect(second > first)
    }
}

@Suite("Pool")
struct PoolTests {
    @Test func twoHundredConcurrentTasksOverFourConnections() async throws {
        let pool = try await freshPool(maxConnections: 4, acquireTimeout: .seconds(30))
        defer { pool.close() }
        let sum = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 1...200 {
                group.addTask { try await pool.query("SELECT \(i)::int8 AS n, pg_sleep(0.002)")[0].decode("n", as: Int.self) }
            }
            return try await group.reduce(0, +)
        }
        #expect(sum == 200 * 201 / 2)
        #expect(pool.openConnections <= 4)
    }

    @Test func waiterTimesOutWhenPoolIsExhausted() async throws {
        let pool = try await freshPool(maxConnections: 1, acquireTimeout: .milliseconds(200))
        defer { pool.close() }
        try await pool.withConnection { _ in
            let error = await #expect(throws: PQError.self) { try await pool.query("SELECT 1") }
            #expect(error?.kind == .poolTimeout)
            #expect(error?.isUnavailable == true)
        }
        #expect(try await pool.query("SELECT 1 AS one").count == 1)
    }

    /// One task keeps every waiter's deadline: waiters that arrive one after another each time
    /// out about their own timeout after they arrived, not with the first, and one served in time
    /// is not failed by a deadline kept for it.
    @Test func staggeredWaitersEachTimeOutAtTheirOwnDeadline() async throws {
        let timeout = Duration.milliseconds(300)
        let pool = try await freshPool(maxConnections: 1, acquireTimeout: timeout)
        defer { pool.close() }
        let clock = ContinuousClock()
        try await pool.withConnection { _ in
            let waited = try await withThrowingTaskGroup(of: Duration.self) { group in
                for delay in [0, 100, 200] {
                    group.addTask {
                        try await Task.sleep(for: .milliseconds(delay))
                        let start = clock.now
                        let error = await #expect(throws: PQError.self) { try await pool.query("SELECT 1") }
                        #expect(error?.kind == .poolTimeout)
                        return clock.now - start
                    }
                }
                return try await group.reduce(into: [Duration]()) { $0.append($1) }
            }
            #expect(waited.count == 3)
            for wait in waited {
                #expect(wait >= timeout - .milliseconds(5), "\(wait)")
                // Generous: a busy test machine wakes timers late; a keeper that never re-armed
                // would leave the later waiters waiting for ever.
                #expect(wait < .seconds(3), "\(wait)")
            }
        }
        // A waiter served before its deadline gets its connection, and later ones still time out.
        let served = try await pool.withConnection { _ in
            let waiting = Task { try await pool.query("SELECT 1 AS one").count }
            // Once it waits, with a deadline 300 ms away, the connection comes back at once (a
            // fixed sleep here overslept the deadline on a loaded machine).
            let deadline = clock.now + .seconds(10)
            while pool.statistics.waiters == 0 && clock.now < deadline { try await Task.sleep(for: .milliseconds(1)) }
            return waiting
        }
        #expect(try await served.value == 1)
        try await pool.withConnection { _ in
            let error = await #expect(throws: PQError.self) { try await pool.query("SELECT 1") }
            #expect(error?.kind == .poolTimeout)
        }
    }

    /// Every result of a prepared statement shares one column index (built on the first); each
    /// is checked against the result's own names, and the first of two names still wins.
    @Test func aStatementsResultsShareTheirColumnIndex() async throws {
        let pool = try await freshPool(maxConnections: 1)
        defer { pool.close() }
        for round in 1...3 {
            let rows = try await pool.query("SELECT \(round)::int8 AS a, 2::int8 AS a, 3::int8 AS b")
            #expect(try rows[0].decode("a", as: Int.self) == round)
            #expect(try rows[0].decode("b", as: Int.self) == 3)
            #expect(rows.columns == ["a", "a", "b"])
            // Another statement between the rounds, with other columns at the same positions.
            let other = try await pool.query("SELECT 7::int8 AS b, 8::int8 AS a")
            #expect(try other[0].decode("a", as: Int.self) == 8)
        }
        _ = try await pool.query("DEALLOCATE ALL")
        #expect(try await pool.query("SELECT 5::int8 AS a, 6::int8 AS b")[0].decode("b", as: Int.self) == 6)
    }

    /// A connection's thread is named for it and scheduled as a batch thread (it never
    /// preempts the task that hands it a statement).
    @Test func connectionThreadsAreNamedAndBatchScheduled() async throws {
        let pool = try await freshPool(maxConnections: 1)
        defer { pool.close() }
        _ = try await pool.query("SELECT 1")
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
        let policies = tasks.compactMap { task -> Int? in
            guard let name = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8),
                name.trimmingCharacters(in: .newlines) == "pq-connection",
                let stat = try? String(contentsOfFile: "/proc/self/task/\(task)/stat", encoding: .utf8),
                let end = stat.lastIndex(of: ")")
            else { return nil }
            // Fields after the name: state is field 3, policy field 41.
            let fields = stat[stat.index(after: end)...].split(separator: " ")
            return Int(fields[38])
        }
        #expect(!policies.isEmpty)
        #expect(policies.allSatisfy { $0 == 3 }, "\(policies)")
    }

    /// A transaction runs on its connection's own thread, so its statements run there inline
    /// (no hop per statement); a plain lease stays on the cooperative pool.
    @Test func aTransactionRunsOnItsConnectionsThread() async throws {
        let pool = try await freshPool(maxConnections: 2)
        defer { pool.close() }
        func threadName() -> String {
            ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "").trimmingCharacters(in: .newlines)
        }
        let (names, sameThread) = try await pool.withTransaction { connection -> ([String], Bool) in
            let thread = pthread_self()
            var names = [threadName()]
            _ = try await connection.query("SELECT 1")
            try await Task.sleep(for: .milliseconds(5))
            names.append(threadName())
            _ = try await connection.query("SELECT 2")
            names.append(threadName())
            return (names, pthread_equal(thread, pthread_self()) != 0)
        }
        #expect(names == ["pq-connection", "pq-connection", "pq-connection"])
        #expect(sameThread)
        try await pool.withConnection { connection in
            _ = try await connection.query("SELECT 1")
            try await Task.sleep(for: .milliseconds(1))
            #expect(threadName() != "pq-connection")
        }
    }

    @Test func cancelledWaiterLeaksNoConnection() async throws {
        let pool = try await freshPool(maxConnections: 1, acquireTimeout: .seconds(30))
        defer { pool.close() }
        try await pool.withConnection { _ in
            let waiter = Task { try await pool.query("SELECT 1") }
            try await Task.sleep(for: .milliseconds(50))
            waiter.cancel()
            await #expect(throws: CancellationError.self) { try await waiter.value }
        }
        // The only connection came back and is usable.
        for _ in 1...3 { #expect(try await pool.query("SELECT 1 AS one").count == 1) }
        #expect(pool.openConnections == 1)
    }

    @Test func cancelledQueryReturnsItsConnection() async throws {
        let pool = try await freshPool(maxConnections: 1, acquireTimeout: .seconds(5))
        defer { pool.close() }
        let task = Task { try await pool.query("SELECT pg_sleep(0.2)") }
        try await Task.sleep(for: .milliseconds(20))
        task.cancel()
        _ = try? await task.value
        #expect(try await pool.query("SELECT 1 AS one").count == 1)
        #expect(pool.openConnections == 1)
    }

    /// A lease that gives its connection back inside a transaction (BEGIN by hand, no COMMIT)
    /// does not pass it on: the next lease gets a new session, and what it wrote is rolled back.
    @Test func aConnectionGivenBackInATransactionIsNotLentAgain() async throws {
        let pool = try await freshPool(maxConnections: 1)
        defer { pool.close() }
        try await pool.withConnection { try await $0.runScript("CREATE TABLE notes (n int)") }
        let first = try await pool.withConnection { connection in
            _ = try await connection.query("BEGIN")
            _ = try await connection.query("INSERT INTO notes VALUES (1)")
            return try await connection.backendPID()
        }
        let rows = try await pool.query("SELECT pg_backend_pid()::int8 AS pid, (SELECT count(*) FROM notes)::int8 AS n")
        #expect(try rows[0].decode("pid", as: Int.self) != Int(first))
        #expect(try rows[0].decode("n", as: Int.self) == 0)
        #expect(pool.openConnections == 1)
    }

    @Test func terminatedBackendIsReplacedTransparently() async throws {
        let pool = try await freshPool(maxConnections: 1)
        defer { pool.close() }
        let first = try await pool.withConnection { try await $0.backendPID() }
        let killer = PQPool(configuration: pool.configuration, maxConnections: 1)
        defer { killer.close() }
        _ = try await killer.query("SELECT pg_terminate_backend(\(Int(first))::int)")
        // Until the backend has gone (and closed its socket): a fixed pause was too short for a busy machine.
        for _ in 0..<500 {
            let left = try await killer.query("SELECT count(*)::int8 AS n FROM pg_stat_activity WHERE pid = \(Int(first))::int")
            if try left[0].decode("n", as: Int.self) == 0 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        try await Task.sleep(for: .milliseconds(20))  // its exit, which closes the socket, follows
        let rows = try await pool.query("SELECT pg_backend_pid()::int8 AS pid")
        #expect(try rows[0].decode("pid", as: Int.self) != Int(first))
    }

    @Test func recoversAfterTheServerRestarts() async throws {
        let cluster = try PrivateCluster()
        defer { cluster.destroy() }
        let pool = PQPool(configuration: PQConfiguration(url: cluster.url, connectTimeoutSeconds: 2), maxConnections: 2)
        defer { pool.close() }
        #expect(try await pool.query("SELECT 1 AS one").count == 1)
        try cluster.stop(mode: "immediate")
        let down = await #expect(throws: PQError.self) { try await pool.query("SELECT 1") }
        #expect(down?.isUnavailable == true)
        try cluster.start()
        #expect(try await pool.query("SELECT 1 AS one").count == 1)
        try cluster.stop(mode: "fast")
        try cluster.start()
        #expect(try await pool.query("SELECT 1 AS one").count == 1)
    }
}

@Suite("Shared leases")
struct SharedLeaseTests {
    private final class Arrivals: Sendable { let count = Atomic<Int>(0) }

    /// Holds `count` shared leases at once and reports each one's backend.
    private func backendsOfConcurrentLeases(_ count: Int, on pool: PQPool) async throws -> [Int32] {
        let arrived = Arrivals()
        return try await withThrowingTaskGroup(of: Int32.self) { group in
            for _ in 0..<count {
                group.addTask {
                    try await pool.withSharedConnection { connection in
                        arrived.count.add(1, ordering: .relaxed)
                        // Every lease is held until all have one, so they overlap.
                        while arrived.count.load(ordering: .relaxed) < count { try await Task.sleep(for: .milliseconds(5)) }
                        return try await connection.backendPID()
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    /// Shared leases take idle connections first, then join the shared connection with the
    /// fewest leases: once the pool is full nobody waits (the timeout is shorter than the wait).
    @Test func leasesTakeIdleConnectionsThenJoinTheLeastLoadedAndNeverWait() async throws {
        let pool = try await freshPool(maxConnections: 2, acquireTimeout: .milliseconds(300))
        defer { pool.close() }
        // Two connections open and idle first, so that nobody waits for one being opened.
        try await pool.withConnection { _ in try await pool.withConnection { _ in } }
        let four = try await backendsOfConcurrentLeases(4, on: pool)
        #expect(Dictionary(grouping: four, by: { $0 }).values.map(\.count).sorted() == [2, 2])
        let seven = try await backendsOfConcurrentLeases(7, on: pool)
        #expect(Set(seven).count == 2)
        #expect(pool.openConnections == 2)
        #expect(pool.statistics.idle == 2)
    }

    /// A shared lease never rides along with a transaction or an exclusive lease: it waits for
    /// the connection like anyone else.
    @Test func aSharedLeaseWaitsForAConnectionInATransaction() async throws {
        let pool = try await freshPool(maxConnections: 1, acquireTimeout: .milliseconds(200))
        defer { pool.close() }
        try await pool.withTransaction { connection in
            _ = try await connection.query("SELECT 1")
            let error = await #expect(throws: PQError.self) { try await pool.withSharedConnection { try await $0.query("SELECT 1") } }
            #expect(error?.kind == .poolTimeout)
        }
        #expect(try await pool.query("SELECT 1 AS one").count == 1)
    }

    /// What needs the session to itself is refused on a shared lease, before anything is sent.
    @Test func aScriptOrAQueuedStatementIsRefusedOnASharedLease() async throws {
        let pool = try await freshPool(maxConnections: 1)
        defer { pool.close() }
        try await pool.withSharedConnection { connection in
            let script = await #expect(throws: PQError.self) { try await connection.runScript("BEGIN") }
            #expect(script?.kind == .invalidParameter)
            let queued = #expect(throws: PQError.self) { try connection.sendWithNext("BEGIN") }
            #expect(queued?.kind == .invalidParameter)
            // No BEGIN went out: each statement is still a transaction of its own.
            let first = try await connection.query("SELECT now()::text AS t, pg_sleep(0.01)")[0].decode("t", as: String.self)
            let second = try await connection.query("SELECT now()::text AS t")[0].decode("t", as: String.self)
            #expect(first != second)
        }
        try await pool.withConnection { try await $0.runScript("SELECT 1") }
    }

    /// Statements queued while the connection's thread is busy go out in one flight, each with
    /// its own Sync: an error fails its own statement only, and each gets its own rows.
    @Test func statementsInOneFlightEachGetTheirOwnAnswer() async throws {
        try await withBusyConnection { pool, observer, release in
            _ = try await observer.query("CREATE TABLE notes (n int PRIMARY KEY)")
            var queued: [Task<PQRows, any Error>] = []
            for sql: PQQuery in [
                "SELECT 1::int8 AS n", "SELECT 1 / (0 * \(2)::int) AS n", "INSERT INTO notes VALUES (1), (2) RETURNING n",
                "INSERT INTO notes VALUES (3), (1)", "SELECT count(*)::int8 AS n FROM notes",
            ] {
                queued.append(try await startQueued(sql, on: pool))
            }
            try await release()
            #expect(try await queued[0].value[0].decode("n", as: Int.self) == 1)
            let error = await #expect(throws: PQError.self) { try await queued[1].value }
            #expect(error?.sqlState == "22012")
            #expect(try await queued[2].value.count == 2)
            let conflict = await #expect(throws: PQError.self) { try await queued[3].value }
            #expect(conflict?.sqlState == "23505")
            // Each statement is its own transaction: the failed insert left nothing behind.
            #expect(try await queued[4].value[0].decode("n", as: Int.self) == 2)
            #expect(pool.openConnections == 1)
        }
    }

    /// A task in a flight goes on as soon as its own answer is read, not when the flight ends.
    @Test func aTaskGoesOnWhenItsOwnAnswerIsRead() async throws {
        try await withBusyConnection { pool, _, release in
            let quick = try await startQueued("SELECT 1::int8 AS n", on: pool)
            let slow = try await startQueued("SELECT pg_sleep(1.5)", on: pool)
            try await release()
            #expect(try await quick.value[0].decode("n", as: Int.self) == 1)
            let quickAnswered = ContinuousClock.now
            _ = try await slow.value
            // The slow statement sleeps 1.5 s after the quick one's answer is read.
            #expect(ContinuousClock.now - quickAnswered > .seconds(1), "the quick answer waited for the slow statement")
        }
    }

    /// A cancel request stops whatever the session runs when it arrives, so a statement that
    /// shares its flight is not cancelled: it runs to its end (a neighbour cannot be hit), and
    /// the connection is closed afterwards; its task gives up at once, without waiting for it
    /// (a shutdown's deadline holds). Alone in its flight, it is cancelled as before.
    @Test func aStatementSharingItsFlightIsNotCancelledOnTheServerButItsTaskGivesUp() async throws {
        try await withBusyConnection { pool, observer, release in
            _ = try await observer.query("CREATE TABLE marks (n int)")
            let slowSQL: PQQuery = "INSERT INTO marks SELECT 1 FROM pg_sleep(3)"
            let sleeper = try await startQueued(slowSQL, on: pool)
            let neighbour = try await startQueued("SELECT 2::int8 AS n", on: pool)
            try await release()
            try await waitUntilTheServerRuns("INSERT INTO marks SELECT 1 FROM pg_sleep(3)", observer: observer)
            sleeper.cancel()
            await #expect(throws: CancellationError.self) { try await sleeper.value }
            // The task has its answer while the server still runs its statement.
            #expect(try await serverRuns("INSERT INTO marks SELECT 1 FROM pg_sleep(3)", observer: observer))
            #expect(try await neighbour.value[0].decode("n", as: Int.self) == 2)
            // It ran to its end and committed; the connection was closed: its task gave up on it.
            #expect(try await observer.query("SELECT n FROM marks").count == 1)
            #expect(pool.openConnections == 0)
            // Alone, a cancelled statement is cancelled on the server (57014), as before.
            let alone = Task { try await pool.query("SELECT pg_sleep(5)") }
            try await waitUntilTheServerRuns("SELECT pg_sleep(5)", observer: observer)
            alone.cancel()
            let cancelled = await #expect(throws: PQError.self) { try await alone.value }
            #expect(cancelled?.sqlState == "57014")
            #expect(try await pool.query("SELECT 1 AS one").count == 1)
        }
    }

    /// A statement queued behind a busy one whose task is cancelled gives up at once and is never sent.
    @Test func aQueuedStatementsTaskGivesUpAtOnceAndItIsNeverSent() async throws {
        try await withBusyConnection { pool, observer, release in
            _ = try await observer.query("CREATE TABLE marks (n int)")
            let queued = try await startQueued("INSERT INTO marks VALUES (1)", on: pool)
            queued.cancel()
            await #expect(throws: CancellationError.self) { try await queued.value }
            try await release()
            #expect(try await pool.query("SELECT 1 AS one").count == 1)
            #expect(try await observer.query("SELECT n FROM marks").isEmpty)
        }
    }

    /// A pool of one connection whose statement waits on the server for a lock that another
    /// session holds until `body` calls `release`: what `body` queues before that goes out in
    /// one flight after it, however slow the machine. An observer pool on the same database.
    private func withBusyConnection(
        _ body: (_ pool: PQPool, _ observer: PQPool, _ release: () async throws -> Void) async throws -> Void
    ) async throws {
        let pool = try await freshPool(maxConnections: 1)
        defer { pool.close() }
        let observer = PQPool(configuration: pool.configuration, maxConnections: 1)
        defer { observer.close() }
        let holder = try await PQConnection.connect(pool.configuration)
        defer { holder.close() }
        try await holder.runScript("BEGIN; SELECT pg_advisory_xact_lock(1)")
        let release = { try await holder.runScript("ROLLBACK") }  // a second one only warns
        let busy = Task { try await pool.query("SELECT pg_advisory_xact_lock(1)") }
        try await waitUntilTheServerRuns("SELECT pg_advisory_xact_lock(1)", observer: observer)
        try await body(pool, observer, release)
        try await release()
        _ = try await busy.value
    }

    /// Starts `sql` as a task of its own and returns once its statement is queued on the busy
    /// connection, so statements started one after another queue in that order. (Holding the
    /// lease is not enough: on a loaded machine the thread can be descheduled between the lease
    /// and the queue, and the next statement overtakes it.)
    private func startQueued(_ sql: PQQuery, on pool: PQPool) async throws -> Task<PQRows, any Error> {
        let before = pool.statementsQueuedOnSharedConnections
        let task = Task { try await pool.query(sql) }
        let deadline = ContinuousClock.now + .seconds(10)
        while pool.statementsQueuedOnSharedConnections == before && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(1))
        }
        return task
    }

    /// Waits until PostgreSQL runs a statement whose text is `sql`, in this test's database
    /// (other tests run the same statements in theirs).
    private func waitUntilTheServerRuns(_ sql: String, observer: PQPool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if try await serverRuns(sql, observer: observer) { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        Issue.record("the server never ran \(sql)")
    }

    private func serverRuns(_ sql: String, observer: PQPool) async throws -> Bool {
        let rows = try await observer.query(
            "SELECT count(*)::int8 AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query = \(sql)")
        return try rows[0].decode("n", as: Int.self) > 0
    }
}

@Suite("Migrations")
struct MigratorTests {
    @Test func appliesInOrderOnceAndRefusesEditedHistory() async throws {
        let pool = try await freshPool()
        defer { pool.close() }
        let first = Migrator(migrations: [
            .init(version: 2, name: "b", sql: "ALTER TABLE a ADD COLUMN note text;"),
            .init(version: 1, name: "a", sql: "CREATE TABLE a (id int PRIMARY KEY); INSERT INTO a VALUES (1);"),
        ])
        #expect(try await first.migrate(on: pool).map(\.version) == [1, 2])
        #expect(try await first.migrate(on: pool).isEmpty)
        #expect(try await first.pending(on: pool).isEmpty)

        let broken = Migrator(migrations: [.init(version: 3, name: "c", sql: "CREATE TABLE c (id int); SELECT 1/0;")])
        let combined = Migrator(migrations: first.migrations + broken.migrations)
        await #expect(throws: PQError.self) { try await combined.migrate(on: pool) }
        // The failed migration left nothing behind.
        #expect(try await pool.query("SELECT to_regclass('c') IS NULL AS gone")[0].decode("gone", as: Bool.self))
        #expect(try await combined.pending(on: pool).map(\.version) == [3])

        let edited = Migrator(migrations: [
            .init(version: 1, name: "a", sql: "CREATE TABLE a (id bigint PRIMARY KEY);"),
            first.migrations[1],
        ])
        await #expect(throws: Migrator.Failure.self) { try await edited.migrate(on: pool) }
    }
}
