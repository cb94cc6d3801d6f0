import Foundation
import PQ
import TTDN
import TTDNKit
import TestSupport
import Testing

/// The `ttdn` executable this test run built (or TTDN_BIN).
let ttdnBinary: String =
    ProcessInfo.processInfo.environment["TTDN_BIN"]
    ?? URL(fileURLWithPath: sqlDirectory).deletingLastPathComponent().appendingPathComponent(".build/debug/ttdn").path

/// `ttdn serve` as a process of its own against `databaseURL`. A port picked as free can be taken
/// by another test's server before this one binds it, so readiness is read from this process's
/// own log, and a failed bind is retried on another port.
func spawnServer(databaseURL: String, extra: [String: String] = [:]) async throws -> (Subprocess, TestServer) {
    var environment = ["DATABASE_URL": databaseURL, "TTDN_SQL_DIR": sqlDirectory, "LOG_LEVEL": "info", "TTDN_RATE_LIMIT_RPS": "0"]
    for (k, v) in extra { environment[k] = v }
    let shared = try await TestServer.get()
    for _ in 0..<5 {
        let port = PrivateCluster.freePort()
        let log = NSTemporaryDirectory() + "/ttdn-serve-\(port)-\(UUID().uuidString.prefix(6)).log"
        let process = try Subprocess([ttdnBinary, "serve", "--host", "127.0.0.1", "--port", String(port)], environment: environment, logPath: log)
        for _ in 0..<300 {
            if process.log.contains("listening on 127.0.0.1:\(port)") {
                let server = TestServer(baseURL: "http://127.0.0.1:\(port)", pool: shared.pool, config: shared.config, adminToken: shared.adminToken)
                return (process, server)
            }
            if await process.wait(timeout: .milliseconds(20)) != nil { break }  // exited: the port was taken
        }
    }
    throw CLIError("ttdn serve did not start")
}

/// Holds a row lock on a unit from outside the server until `release` is called.
final class RowLock: @unchecked Sendable {
    private let pool: PQPool
    private let task: Task<Void, any Error>
    private let gate = AsyncStream<Void>.makeStream()

    init(unit: String, pool: PQPool) async throws {
        self.pool = pool
        let (locked, lockedContinuation) = AsyncStream<Void>.makeStream()
        let gate = self.gate
        task = Task {
            try await pool.withTransaction { connection in
                _ = try await connection.query("SELECT 1 FROM units WHERE id = \(UUID(uuidString: unit)!) FOR UPDATE")
                lockedContinuation.yield()
                // Held until released, and never longer than 10 s: a test that fails before
                // release must not leave an open transaction, which would hold back the change
                // feed of the whole cluster for every other test.
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { for await _ in gate.stream { break } }
                    group.addTask { try? await Task.sleep(for: .seconds(10)) }
                    await group.next()
                    group.cancelAll()
                }
            }
        }
        var iterator = locked.makeAsyncIterator()
        _ = await iterator.next()
    }

    func release() async {
        gate.continuation.yield()
        _ = try? await task.value
    }
}

@Suite("Reliability: limits, shutdown, several processes")
struct ReliabilityTests {
    @Test func perTokenRateLimitAnswers429WithRetryAfter() async throws {
        let shared = try await TestServer.get()
        var config = shared.config
        // One token per 100 s: a slow machine cannot refill the bucket between the requests.
        config.rateLimitPerSecond = 0.01
        config.rateLimitBurst = 3
        let (port, task) = try await TestServer.start(config)
        defer { task.cancel() }
        let server = TestServer(baseURL: "http://127.0.0.1:\(port)", pool: shared.pool, config: config, adminToken: shared.adminToken)
        var statuses: [Int] = []
        for _ in 0..<5 { statuses.append(try await server.get("/v1/units?limit=1").status) }
        #expect(statuses.prefix(3).allSatisfy { $0 == 200 })
        let limited = try await server.get("/v1/units?limit=1")
        #expect(limited.status == 429)
        #expect(limited.header("Retry-After") != nil)
        #expect(limited.header("Content-Type") == "application/problem+json")
        // Another token has its own bucket.
        #expect(try await server.get("/v1/units?limit=1", token: try await shared.token(.viewer)).status == 200)
    }

    @Test func exhaustedPoolAnswers503WithinItsBound() async throws {
        let shared = try await TestServer.get()
        let unit = try await shared.createUnit()
        let id = unit["id"] as! String
        var config = shared.config
        config.poolSize = 1
        config.poolAcquireTimeout = .milliseconds(300)
        let (port, task) = try await TestServer.start(config)
        defer { task.cancel() }
        let server = TestServer(baseURL: "http://127.0.0.1:\(port)", pool: shared.pool, config: config, adminToken: shared.adminToken)
        _ = try await server.get("/v1/units/\(id)")  // warm the single connection
        let lock = try await RowLock(unit: id, pool: shared.pool)
        let blocked = Task { try await server.patch("/v1/units/\(id)", ["district": "Kiến Thụy"]) }
        try await Task.sleep(for: .milliseconds(200))
        let started = ContinuousClock.now
        let waiting = try await server.get("/v1/units/\(id)")
        #expect(waiting.status == 503)
        #expect(waiting.header("Retry-After") != nil)
        #expect(ContinuousClock.now - started < .seconds(3))
        await lock.release()
        #expect(try await blocked.value.status == 200)
        #expect(try await server.get("/v1/units/\(id)").status == 200)
    }

    @Test func statementTimeoutCapsASlowQuery() async throws {
        let shared = try await TestServer.get()
        let unit = try await shared.createUnit()
        let id = unit["id"] as! String
        var config = shared.config
        config.statementTimeoutMilliseconds = 300
        let (port, task) = try await TestServer.start(config)
        defer { task.cancel() }
        let server = TestServer(baseURL: "http://127.0.0.1:\(port)", pool: shared.pool, config: config, adminToken: shared.adminToken)
        let lock = try await RowLock(unit: id, pool: shared.pool)
        let started = ContinuousClock.now
        let slow = try await server.patch("/v1/units/\(id)", ["district": "Tiên Lãng"])
        await lock.release()
        #expect(slow.status == 503)
        #expect(ContinuousClock.now - started < .seconds(3))
        #expect(try await server.get("/v1/units/\(id)").json["district"] is NSNull)  // nothing half-written
    }

    @Test func sigtermLetsAcceptedRequestsFinishAndExits() async throws {
        let shared = try await TestServer.get()
        let unit = try await shared.createUnit()
        let id = unit["id"] as! String
        let (process, server) = try await spawnServer(databaseURL: shared.config.databaseURL, extra: ["TTDN_SHUTDOWN_TIMEOUT_S": "10"])
        let lock = try await RowLock(unit: id, pool: shared.pool)
        let inFlight = (0..<5).map { n in Task { try await server.patch("/v1/units/\(id)", ["address": "Số \(n) Lạch Tray"]) } }
        try await Task.sleep(for: .milliseconds(300))
        process.signal(SIGTERM)
        try await Task.sleep(for: .milliseconds(300))
        let refused = try? await server.get("/healthz")
        #expect(refused == nil, "a new connection after SIGTERM should be refused")
        await lock.release()
        for request in inFlight { let answer = try await request.value; #expect(answer.status == 200, "\(answer.status) \(answer.text)") }
        let status = await process.wait(timeout: .seconds(15))
        #expect(status == 0, "\(process.log)")
    }

    @Test func twoProcessesShareEveryRule() async throws {
        let shared = try await TestServer.get()
        let (processA, a) = try await spawnServer(databaseURL: shared.config.databaseURL)
        let (processB, b) = try await spawnServer(databaseURL: shared.config.databaseURL)
        defer { processA.signal(SIGKILL); processB.signal(SIGKILL) }
        let servers = [a, b]

        // If-Match: of many concurrent updates against version 1, exactly one wins.
        let unit = try await shared.createUnit()
        let path = "/v1/units/\(unit["id"] as! String)"
        let patches = try await withThrowingTaskGroup(of: Int.self) { group in
            for n in 0..<10 {
                group.addTask {
                    let body = try JSONSerialization.data(withJSONObject: ["district": "Quận \(n)"])
                    return try await servers[n % 2].request(
                        "PATCH", path, body: body,
                        headers: ["Content-Type": "application/merge-patch+json", "If-Match": "\"v1\""]
                    ).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(patches.filter { $0 == 200 }.count == 1)
        #expect(patches.filter { $0 == 412 }.count == 9, "\(patches)")

        // One Idempotency-Key, two processes: one row.
        let code = uniqueCode("TWO")
        let key = UUID().uuidString
        let body = try JSONSerialization.data(withJSONObject: ["code": code, "name": "Hai tiến trình", "kind": "high_school"])
        _ = try await withThrowingTaskGroup(of: Int.self) { group in
            for n in 0..<20 {
                group.addTask {
                    try await servers[n % 2].request(
                        "POST", "/v1/units", body: body,
                        headers: ["Content-Type": "application/json", "Idempotency-Key": key]
                    ).status
                }
            }
            return try await group.reduce(0) { $0 + $1 }
        }
        #expect(try await shared.pool.query("SELECT count(*)::int8 AS n FROM units WHERE code = \(code)")[0].decode("n", as: Int.self) == 1)

        // Training capacity across processes.
        let session = try await makeSession(shared, capacity: 10)
        let school = try await shared.createUnit()
        let schoolID = school["id"] as! String
        let tag = UUID().uuidString.prefix(6).lowercased()
        _ = try await withThrowingTaskGroup(of: Int.self) { group in
            for n in 0..<40 {
                group.addTask {
                    let body = try JSONSerialization.data(withJSONObject: [
                        "full_name": "Người \(n)", "unit_id": schoolID, "email": "t\(n)-\(tag)@e.vn",
                    ])
                    return try await servers[n % 2].request(
                        "POST", "/v1/training-sessions/\(session)/participants", body: body,
                        headers: ["Content-Type": "application/json"]
                    ).status
                }
            }
            return try await group.reduce(0) { $0 + $1 }
        }
        let seats = try await shared.get("/v1/training-sessions/\(session)")
        #expect(seats.json["registered_count"] as? Int == 10)
        #expect(seats.json["waitlisted_count"] as? Int == 30)

        // Media URL dedupe across processes.
        let url = "https://vtv.vn/giao-duc/\(UUID().uuidString.lowercased())"
        let media = try JSONSerialization.data(withJSONObject: mediaBody(["url": url]))
        let created = try await withThrowingTaskGroup(of: Int.self) { group in
            for n in 0..<10 {
                group.addTask {
                    try await servers[n % 2].request("POST", "/v1/media-entries", body: media, headers: ["Content-Type": "application/json"]).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(created.filter { $0 == 201 }.count == 1)
    }

    @Test func badInputIsA4xxNamingTheFieldAndChangesNothing() async throws {
        let server = try await TestServer.get()
        let before = try await server.pool.query("SELECT (SELECT count(*) FROM units) + (SELECT count(*) FROM media_entries) AS n")[0].decode(
            "n", as: Int.self)
        let unitCases: [(String, Data)] = [
            ("malformed", Data("{\"code\": \"A\",".utf8)),
            ("wrong type", Data("{\"code\": 5, \"name\": \"x\", \"kind\": \"high_school\"}".utf8)),
            ("invalid utf-8", Data([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d])),
            ("nul", Data("{\"code\": \"A\\u0000B\", \"name\": \"x\", \"kind\": \"high_school\"}".utf8)),
            (
                "long",
                try JSONSerialization.data(withJSONObject: [
                    "code": uniqueCode(), "name": String(repeating: "Ư", count: 10_000), "kind": "high_school",
                ])
            ),
            ("huge number", Data("{\"code\": \"N1\", \"name\": \"x\", \"kind\": \"high_school\", \"parent_id\": 1e999}".utf8)),
            ("injection", try JSONSerialization.data(withJSONObject: ["code": "x'; DROP TABLE units; --", "name": "x", "kind": "high_school"])),
            ("json injection", Data("{\"code\": \"J1\", \"name\": {\"$gt\": \"\"}, \"kind\": \"high_school\"}".utf8)),
            ("unknown enum", try JSONSerialization.data(withJSONObject: ["code": uniqueCode(), "name": "x", "kind": "palace"])),
            (
                "bad date",
                try JSONSerialization.data(withJSONObject: ["code": uniqueCode(), "name": "x", "kind": "high_school", "valid_from": "2023-02-30"])
            ),
        ]
        for (name, body) in unitCases {
            let answer = try await server.request("POST", "/v1/units", body: body, headers: ["Content-Type": "application/json"])
            #expect((400..<500).contains(answer.status), "\(name): \(answer.status)")
            #expect(answer.header("Content-Type") == "application/problem+json", "\(name)")
            #expect(answer.json["detail"] as? String != nil, "\(name)")
        }
        let mediaCases: [[String: Any]] = [
            mediaBody(["published_at": "2023-13-45T99:00:00Z"]), mediaBody(["country": "VNM"]), mediaBody(["language": "vietnamese language"]),
            mediaBody(["sentiment": "furious"]), mediaBody(["topics": [String(repeating: "t", count: 500)]]),
            mediaBody(["url": "javascript:alert(1)"]),
        ]
        for body in mediaCases {
            let answer = try await server.post("/v1/media-entries", body)
            #expect(answer.status == 422, "\(answer.text)")
            #expect(!answer.errorFields.isEmpty)
        }
        for query in ["limit=-5", "limit=99999999999999999999", "from=2023-02-30", "q=\(String(repeating: "a", count: 300))"] {
            #expect(try await server.get("/v1/media-entries?\(query)").status == 400, "\(query)")
        }
        let after = try await server.pool.query("SELECT (SELECT count(*) FROM units) + (SELECT count(*) FROM media_entries) AS n")[0].decode(
            "n", as: Int.self)
        #expect(after == before || after > before)  // other tests write concurrently; none of ours may have
        let injected = try await server.pool.query("SELECT count(*)::int8 AS n FROM units WHERE code LIKE 'x''%'")
        #expect(try injected[0].decode("n", as: Int.self) == 0)
        #expect(try await server.pool.query("SELECT to_regclass('units') IS NOT NULL AS ok")[0].decode("ok", as: Bool.self))
    }
}

@Suite("Inputs that once crashed or misbehaved")
struct RegressionTests {
    @Test func edgeInputsAreAnsweredNotCrashedOn() async throws {
        let server = try await TestServer.get()
        let session = try await makeSession(server, capacity: 1)
        let unit = try await server.createUnit()
        // Registration by unit code, as the spec's example does.
        let byCode = try await server.post(
            "/v1/training-sessions/\(session)/participants",
            ["full_name": "Nguyễn Văn B", "unit_code": unit["code"]!, "email": "b-\(uniqueCode())@x.vn"])
        #expect(byCode.status == 201)
        let unknownCode = try await server.post(
            "/v1/training-sessions/\(session)/participants",
            ["full_name": "X", "unit_code": "NO-SUCH-UNIT", "email": "x-\(uniqueCode())@x.vn"])
        #expect(unknownCode.status == 422)
        // The first person waitlisted is position 1, in the answer too.
        let waiting = try await server.post(
            "/v1/training-sessions/\(session)/participants",
            ["full_name": "C", "unit_id": unit["id"]!, "email": "c-\(uniqueCode())@x.vn"])
        #expect(waiting.json["waitlist_position"] as? Int == 1)
        // Calendar windows at the ends of time are refused, not crashed on.
        #expect(try await server.get("/v1/events/occurrences?from=0001-01-01&to=0001-12-31").status == 400)
        #expect(try await server.get("/v1/events.ics?from=9999-12-01&to=9999-12-31").status == 400)
        #expect(try await server.get("/v1/events.ics?from=2030-01-01").status == 200)
        // A NUL in a values key is a 422.
        let report = try await server.post(
            "/v1/reports", ["unit_id": unit["id"]!, "period_id": "2023-Q1", "values": ["articles_published\u{0}x": 1]])
        #expect(report.status == 422)
        // A malformed Idempotency-Key is refused on dry runs too.
        let dry = try await server.request(
            "POST", "/v1/units/import?dry_run=true", json: [["code": uniqueCode(), "name": "x", "kind": "high_school"]],
            headers: ["Idempotency-Key": "a b"])
        #expect(dry.status == 400)
        // CSV is the whole list, on every list.
        let csv = try await server.get("/v1/plans", headers: ["Accept": "text/csv"])
        #expect(csv.header("Content-Type")?.hasPrefix("text/csv") == true)
        #expect(csv.text.hasPrefix("created_at,id,issued_on,issuing_unit_id"))
        #expect(try await server.get("/v1/healthz").status == 404)  // still alive
    }
}
