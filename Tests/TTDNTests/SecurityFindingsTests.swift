import Crypto
import Foundation
import PQ
import TTDN
import TTDNKit
import TestSupport
import Testing

/// The five findings of the security issue, each as the attacker or operator saw it.
@Suite("Security findings: paths, shutdown, timeouts, waitlist, idempotency scope")
struct SecurityFindingsTests {
    /// Every spelling of every route other than the canonical one, without a token: nothing
    /// answers but 401 or 404.
    @Test func everyPathVariantOfEveryRouteIsRefusedWithoutAToken() async throws {
        let shared = try await TestServer.get()
        let port = URLComponents(string: shared.baseURL)!.port!
        let id = UUID().uuidString.lowercased()
        var answers: [String: Int] = [:]
        for route in routeTable().routes {
            let path = route.template.replacingOccurrences(of: #"\{[a-z_]+\}"#, with: id, options: .regularExpression)
            let rest = String(path.dropFirst())  // without the leading slash
            var variants = [
                "/" + path, "/./" + rest, path + "/", "/" + rest.replacingOccurrences(of: "/", with: "//"),
                "/x/../" + rest, "/%" + String(format: "%02X", rest.utf8.first!) + rest.dropFirst(),
                "/" + rest.replacingOccurrences(of: "/", with: "%2F"), "/" + rest.replacingOccurrences(of: "/", with: "/./"),
                path + "%20", path.uppercased(),
            ].filter { $0 != path }
            if let slash = rest.firstIndex(of: "/") { variants.append("/" + rest[..<slash] + "%2f" + rest[rest.index(after: slash)...]) }
            for variant in variants {
                let status = try await RawConnection.status(
                    port: port, "\(route.method.rawValue) \(variant) HTTP/1.1",
                    body: route.method == .get ? nil : "{}")
                answers["\(route.method.rawValue) \(variant)"] = status
            }
        }
        let leaks = answers.filter { ![401, 404].contains($0.value) }
        #expect(leaks.isEmpty, "answered without a token: \(leaks.sorted { $0.key < $1.key }.prefix(20))")
        #expect(answers.count > 600)
        // The canonical spelling still works, with a token and (for the public routes) without.
        #expect(try await RawConnection.status(port: port, "GET /healthz HTTP/1.1") == 200)
        #expect(try await RawConnection.status(port: port, "GET /v1/units HTTP/1.1") == 401)
        #expect(
            try await RawConnection.status(port: port, "GET /v1/units?limit=1 HTTP/1.1", headers: ["Authorization: Bearer \(shared.adminToken)"])
                == 200)
    }

    /// A PATCH blocked on a row lock past TTDN_SHUTDOWN_TIMEOUT_S: the process exits within the
    /// timeout and the write it could not answer is not committed.
    @Test func aWriteOutlastingTheShutdownTimeoutIsRolledBack() async throws {
        let shared = try await TestServer.get()
        let unit = try await shared.createUnit()
        let id = unit["id"] as! String
        let (process, server) = try await spawnServer(databaseURL: shared.config.databaseURL, extra: ["TTDN_SHUTDOWN_TIMEOUT_S": "2"])
        _ = try await server.get("/v1/units/\(id)")
        let lock = try await RowLock(unit: id, pool: shared.pool)
        let blocked = Task { try? await server.patch("/v1/units/\(id)", ["address": "Số 9 Lạch Tray"]) }
        try await Task.sleep(for: .milliseconds(400))
        let signalled = ContinuousClock.now
        process.signal(SIGTERM)
        let status = await process.wait(timeout: .seconds(8))
        let exitedAfter = ContinuousClock.now - signalled
        await lock.release()
        let answer = await blocked.value
        #expect(status != nil, "still running 8 s after SIGTERM")
        #expect(exitedAfter < .milliseconds(2_600), "exited after \(exitedAfter)")
        #expect(answer == nil || answer!.status == 503, "\(answer?.status ?? 0) \(answer?.text ?? "")")
        try await Task.sleep(for: .milliseconds(300))  // the server side of the closed connection rolls back
        #expect(try await shared.get("/v1/units/\(id)").json["address"] is NSNull, "the unanswered write committed")
        #expect(try await shared.auditActions("units", id: id) == ["create"])
    }

    private func limitedServer(_ limits: (inout ConnectionLimits) -> Void) async throws -> (port: Int, task: Task<Void, any Error>) {
        let shared = try await TestServer.get()
        var config = shared.config
        limits(&config.connectionLimits)
        return try await TestServer.start(config)
    }

    @Test func idleAndHalfSentConnectionsAreClosedAfterTheTimeout() async throws {
        let (port, task) = try await limitedServer {
            $0.idleTimeout = .seconds(1); $0.bodyReadTimeout = .seconds(1)
        }
        defer { task.cancel() }
        let idle = try await RawConnection.open(port: port)
        let halfHead = try await RawConnection.open(port: port)
        await halfHead.send("GET /v1/units HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        let keptAlive = try await RawConnection.open(port: port)
        await keptAlive.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        // A body trickled byte by byte keeps the idle timer happy, not the body deadline.
        let trickle = try await RawConnection.open(port: port)
        await trickle.send("POST /v1/units HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        let trickling = Task {
            for _ in 0..<60 { try await Task.sleep(for: .milliseconds(250)); await trickle.send(" ") }
        }
        let started = ContinuousClock.now
        // The timeouts are 1 s; the bound is generous for a machine busy with the rest of the suite.
        async let idleClosed = idle.readUntilClosed(timeout: .seconds(15))
        async let headClosed = halfHead.readUntilClosed(timeout: .seconds(15))
        async let aliveClosed = keptAlive.readUntilClosed(timeout: .seconds(15))
        async let trickleClosed = trickle.readUntilClosed(timeout: .seconds(15))
        let results = await [idleClosed, headClosed, aliveClosed, trickleClosed]
        trickling.cancel()
        #expect(results.map(\.closed) == [true, true, true, true])
        #expect(results[2].text.hasPrefix("HTTP/1.1 200"))
        #expect(ContinuousClock.now - started < .seconds(15))
    }

    @Test func connectionsOverTheCapAreRefusedWith503() async throws {
        let (port, task) = try await limitedServer { $0.maxConnections = 3 }
        defer { task.cancel() }
        var held: [RawConnection] = []
        for _ in 0..<3 { held.append(try await RawConnection.open(port: port)) }
        try await Task.sleep(for: .milliseconds(200))
        let refused = try await RawConnection.open(port: port)
        let answer = await refused.readUntilClosed(timeout: .seconds(5))
        #expect(answer.closed)
        #expect(answer.text.hasPrefix("HTTP/1.1 503"), "\(answer.text)")
        #expect(answer.text.contains("application/problem+json"))
        held.removeLast()
        // Once a connection closes, a new one is served (the server notices the close shortly).
        var text = ""
        for _ in 0..<150 where !text.hasPrefix("HTTP/1.1 200") {
            try await Task.sleep(for: .milliseconds(100))
            let again = try await RawConnection.open(port: port)
            await again.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            text = await again.readUntilClosed(timeout: .seconds(5)).text
        }
        #expect(text.hasPrefix("HTTP/1.1 200"), "\(text)")
        #expect(held.count == 2)
    }

    /// Capacity 2 → 4 with three people waiting: the first two waiting get the seats, in order of
    /// arrival, and the next newcomer waits behind the third.
    @Test func raisingCapacityPromotesTheWaitlistInOrder() async throws {
        let server = try await TestServer.get()
        let session = try await makeSession(server, capacity: 2)
        let unit = try await server.createUnit()
        var ids: [String] = []
        for n in 0..<5 {
            let answer = try await server.post(
                "/v1/training-sessions/\(session)/participants",
                ["full_name": "Người \(n)", "unit_id": unit["id"]!, "email": "p\(n)-\(uniqueCode())@e.vn"])
            #expect(answer.status == 201)
            ids.append(answer.json["id"] as! String)
        }
        let raised = try await server.patch("/v1/training-sessions/\(session)", ["capacity": 4])
        #expect(raised.status == 200)
        #expect(raised.json["registered_count"] as? Int == 4)
        #expect(raised.json["waitlisted_count"] as? Int == 1)
        for (n, id) in ids.enumerated() {
            let person = try await server.get("/v1/training-sessions/\(session)/participants/\(id)")
            #expect(person.json["state"] as? String == (n < 4 ? "registered" : "waitlisted"), "person \(n)")
        }
        #expect(try await server.auditActions("training_participants", id: ids[2]) == ["register", "promote"])
        let newcomer = try await server.post(
            "/v1/training-sessions/\(session)/participants",
            ["full_name": "Người mới", "unit_id": unit["id"]!, "email": "new-\(uniqueCode())@e.vn"])
        #expect(newcomer.json["state"] as? String == "waitlisted")
        #expect(newcomer.json["waitlist_position"] as? Int == 2)
    }

    /// The same key and body on `/v1/events` and `/v1/events/`: one event.
    @Test func anIdempotencyKeyIsScopedByTheMatchedRoute() async throws {
        let server = try await TestServer.get()
        let port = URLComponents(string: server.baseURL)!.port!
        let title = "Sự kiện \(uniqueCode())"
        let body = #"{"title":"\#(title)","kind":"campaign","recurrence":"once","starts_on":"2023-10-02"}"#
        let key = UUID().uuidString
        var statuses: [Int] = []
        for path in ["/v1/events", "/v1/events/", "//v1/events", "/v1/events"] {
            statuses.append(
                try await RawConnection.status(
                    port: port, "POST \(path) HTTP/1.1",
                    headers: ["Authorization: Bearer \(server.adminToken)", "Idempotency-Key: \(key)"], body: body))
        }
        #expect(statuses == [201, 404, 404, 201], "\(statuses)")
        let count = try await server.pool.query("SELECT count(*)::int8 AS n FROM events WHERE title = \(title)")[0].decode("n", as: Int.self)
        #expect(count == 1)
    }
}

/// The four "decide and document" points of the security issue.
@Suite("Security decisions: duplicate keys, exact numbers, signed cursors, failed-token limit")
struct SecurityDecisionTests {
    @Test func aRepeatedMemberIsRefusedNamingIt() async throws {
        let server = try await TestServer.get()
        let token = try await server.request(
            "POST", "/v1/tokens", body: Data(#"{"role":"viewer","role":"admin","name":"hai lần"}"#.utf8),
            headers: ["Content-Type": "application/json"])
        #expect(token.status == 422)
        #expect(token.errorFields == ["role"])
        let unit = try await server.createUnit()
        let nested = try await server.request(
            "POST", "/v1/reports",
            body: Data(#"{"unit_id":"\#(unit["id"]!)","period_id":"2023-Q1","values":{"events_held":1,"events_held":2}}"#.utf8),
            headers: ["Content-Type": "application/json"])
        #expect(nested.status == 422)
        #expect(nested.errorFields == ["values.events_held"])
        // Other malformed documents stay 400s that say where.
        let broken = try await server.request("POST", "/v1/units", body: Data(#"{"code": "A",}"#.utf8), headers: ["Content-Type": "application/json"])
        #expect(broken.status == 400)
        #expect((broken.json["detail"] as? String)?.contains("byte 13") == true, "\(broken.text)")
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(try await server.request("POST", "/v1/units", body: Data(deep.utf8), headers: ["Content-Type": "application/json"]).status == 400)
    }

    @Test func reportNumbersAreKeptDigitForDigit() async throws {
        let server = try await TestServer.get()
        let unit = try await server.createUnit(["kind": "district_office"])
        let body = #"{"unit_id":"\#(unit["id"]!)","period_id":"2023-Q2","values":{"people_trained":123456789012.3456789,"events_held":0.1}}"#
        let created = try await server.request("POST", "/v1/reports", body: Data(body.utf8), headers: ["Content-Type": "application/json"])
        #expect(created.status == 201, "\(created.text)")
        #expect(created.text.contains(#""people_trained":123456789012.3456789"#), "\(created.text)")
        let id = created.json["id"] as! String
        let read = try await server.get("/v1/reports/\(id)")
        #expect(read.text.contains(#""people_trained":123456789012.3456789"#))
        #expect(read.text.contains(#""events_held":0.1"#))
        let stored = try await server.pool.query(
            """
            SELECT number_value::text AS v FROM report_values WHERE report_id = \(UUID(uuidString: id)!) AND indicator_code = 'people_trained'
            """)
        #expect(try stored[0].decode("v", as: String.self) == "123456789012.3456789")
        let tooBig = try await server.request(
            "POST", "/v1/reports",
            body: Data(
                body.replacingOccurrences(of: "123456789012.3456789", with: "1000000000000.0001")
                    .replacingOccurrences(of: "2023-Q2", with: "2023-Q3").utf8), headers: ["Content-Type": "application/json"])
        #expect(tooBig.status == 422)
        #expect(tooBig.errorFields == ["values.people_trained"])
    }

    @Test func cursorsAreSignedWithTheInstallationsSecret() async throws {
        let server = try await TestServer.get()
        let first = try await server.get("/v1/units?limit=2&as_of=2023-06-01")
        let cursor = try #require(first.json["next_cursor"] as? String)
        #expect(try await server.get("/v1/units?limit=2&as_of=2023-06-01&cursor=\(cursor)").status == 200)
        // The old scheme: a checksum with a constant from the source. Anyone could compute it.
        let payload = Data(#"["ZZZ","00000000-0000-0000-0000-000000000000"]"#.utf8)
        func base64url(_ data: Data) -> String {
            data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(
                of: "=", with: "")
        }
        let forged = base64url(payload) + "." + base64url(Data(SHA256.hash(data: Data("ttdn-cursor-v1".utf8) + payload).prefix(9)))
        let refused = try await server.get("/v1/units?limit=2&cursor=\(forged)")
        #expect(refused.status == 400)
        #expect(refused.errorFields == ["cursor"])
        // The same signature on another payload is refused too.
        let signature = cursor.split(separator: ".")[1]
        #expect(try await server.get("/v1/units?limit=2&cursor=\(base64url(payload)).\(signature)").status == 400)
        let secret = try await server.pool.query("SELECT length(secret) AS n FROM installation_secrets WHERE name = 'cursor'")
        #expect(try secret[0].decode("n", as: Int.self) >= 32)
    }

    @Test func failingTokensAreLimitedByClientAddress() async throws {
        let shared = try await TestServer.get()
        var config = shared.config
        // One token per 100 s: a slow machine cannot refill the bucket between the requests.
        config.rateLimitPerSecond = 0.01
        config.rateLimitBurst = 3
        config.tokenCacheLifetime = .seconds(60)
        let (port, task) = try await TestServer.start(config)
        defer { task.cancel() }
        let server = TestServer(baseURL: "http://127.0.0.1:\(port)", pool: shared.pool, config: config, adminToken: shared.adminToken)
        let viewer = try await shared.token(.viewer)
        #expect(try await server.get("/v1/units?limit=1", token: viewer).status == 200)  // verified, remembered
        var statuses: [Int] = []
        for n in 0..<5 { statuses.append(try await server.get("/v1/units?limit=1", token: bogusToken(n)).status) }
        #expect(statuses.prefix(3) == [401, 401, 401], "\(statuses)")
        #expect(statuses.last == 429, "\(statuses)")
        let limited = try await server.get("/v1/units?limit=1", token: bogusToken(9))
        #expect(limited.header("Retry-After") != nil)
        // A token verified a moment ago is not held up by the failures from the same address.
        #expect(try await server.get("/v1/units?limit=1", token: viewer).status == 200)
    }
}

/// A well-formed token that names no token: it costs the server a lookup.
private func bogusToken(_ n: Int) -> String {
    "ttdn_" + String("nosuch\(n)aaaaaaaaaaaa".prefix(12)) + "_" + String(repeating: "b", count: 40)
}
