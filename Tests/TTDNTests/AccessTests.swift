import Foundation
import PQ
import TTDN
import TTDNKit
import TestSupport
import Testing

@Suite("Tokens and roles")
struct AccessTests {
    @Test func missingMalformedUnknownExpiredAndRevokedTokensAre401() async throws {
        let server = try await TestServer.get()
        let expired = try await server.token(.viewer, expiresOn: CalendarDate(year: 2023, month: 1, day: 1))
        let revoked = try await server.token(.viewer)
        let publicID = revoked.split(separator: "_")[1]
        _ = try await server.pool.query("UPDATE api_tokens SET revoked_at = now() WHERE public_id = \(String(publicID))")
        let forged = "ttdn_\(publicID)_" + String(repeating: "A", count: 40)
        for header in ["", "Basic abc", "Bearer", "Bearer nonsense", "Bearer \(expired)", "Bearer \(revoked)", "Bearer \(forged)"] {
            let answer = try await server.get("/v1/units", headers: ["Authorization": header])
            #expect(answer.status == 401, "\(header)")
            #expect(answer.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
            #expect(answer.header("Content-Type") == "application/problem+json")
        }
    }

    /// The scheme in any case, the credentials trimmed; anything else is no bearer token.
    @Test func bearerCredentialsAreReadFromTheHeader() {
        let cases: [(String, String?)] = [
            ("Bearer ttdn_a_b", "ttdn_a_b"), ("bearer ttdn_a_b", "ttdn_a_b"), ("BEARER  ttdn_a_b \t", "ttdn_a_b"),
            ("Bearer \t", ""), ("Bearer ", nil), ("Bearer", nil), ("", nil), ("Basic abc", nil), ("Bearerx abc", nil),
            ("Beare abc", nil), ("Bearer x\u{A0}", "x"), ("Bearer héllo ", "héllo"),
            ("Bearer \u{301}ttdn_a_b", nil), ("  Bearer x", "x"), ("Bearer\u{301} x", nil), ("Bearer x y", "x y"),
        ]
        // The reading before it was done by bytes, as the reference.
        func split(_ header: String) -> String? {
            let pieces = header.split(separator: " ", maxSplits: 1)
            guard pieces.count == 2, pieces[0].lowercased() == "bearer" else { return nil }
            return String(pieces[1]).trimmingCharacters(in: .whitespaces)
        }
        for (header, token) in cases {
            #expect(Authenticator.bearerToken(header) == token, "\(header)")
            #expect(Authenticator.bearerToken(header) == split(header), "\(header)")
        }
    }

    /// A token verified a moment ago is remembered for TTDN_TOKEN_CACHE_MS (1 s): a revocation
    /// made outside this process (here straight in the database, as `ttdn token revoke` does)
    /// takes effect within that, never later.
    @Test func revocationElsewhereTakesEffectWithinTheCacheLifetime() async throws {
        let server = try await TestServer.get()
        let token = try await server.token(.viewer)
        #expect(try await server.get("/v1/units?limit=1", token: token).status == 200)
        let publicID = String(token.split(separator: "_")[1])
        _ = try await server.pool.query("UPDATE api_tokens SET revoked_at = now() WHERE public_id = \(publicID)")
        try await Task.sleep(for: .milliseconds(1100))
        #expect(try await server.get("/v1/units?limit=1", token: token).status == 401)
        // A forged secret for a remembered id is refused too: the cache compares the secret's hash.
        let fresh = try await server.token(.viewer)
        #expect(try await server.get("/v1/units?limit=1", token: fresh).status == 200)
        let forged = "ttdn_\(fresh.split(separator: "_")[1])_" + String(repeating: "B", count: 40)
        #expect(try await server.get("/v1/units?limit=1", token: forged).status == 401)
    }

    @Test func tokenSecretIsNeverStoredInClear() async throws {
        let server = try await TestServer.get()
        let key = UUID().uuidString
        let created = try await server.post("/v1/tokens", ["role": "viewer", "name": "báo cáo tổng hợp"], headers: ["Idempotency-Key": key])
        #expect(created.status == 201)
        let secret = try #require(created.json["secret"] as? String)
        #expect(secret.hasPrefix("ttdn_"))
        let tokenID = try #require((created.json["token"] as? [String: Any])?["id"] as? String)
        let leaks = try await server.pool.query(
            """
            SELECT count(*)::int8 AS n FROM api_tokens t
            WHERE t::text LIKE '%' || \(String(secret.suffix(40))) || '%'
            """)
        #expect(try leaks[0].decode("n", as: Int.self) == 0)
        let audit = try await server.pool.query(
            "SELECT count(*)::int8 AS n FROM audit_events WHERE after::text LIKE '%' || \(String(secret.suffix(40))) || '%'")
        #expect(try audit[0].decode("n", as: Int.self) == 0)
        let kept = try await server.pool.query(
            "SELECT count(*)::int8 AS n FROM idempotency_keys WHERE body LIKE '%' || \(String(secret.suffix(40))) || '%'")
        #expect(try kept[0].decode("n", as: Int.self) == 0)
        let replay = try await server.post("/v1/tokens", ["role": "viewer", "name": "báo cáo tổng hợp"], headers: ["Idempotency-Key": key])
        #expect(replay.status == 201)
        #expect(replay.json["secret"] is NSNull)
        // It works, is listed without its secret, and stops working once revoked.
        #expect(try await server.get("/v1/units?limit=1", token: secret).status == 200)
        let shown = try await server.get("/v1/tokens/\(tokenID)")
        #expect(shown.json["secret"] == nil)
        #expect(shown.json["last_used_at"] as? String != nil)
        let revoked = try await server.post("/v1/tokens/\(tokenID)/revoke", [String: Any]())
        #expect(revoked.status == 200)
        #expect(revoked.json["revoked_at"] as? String != nil)
        #expect(try await server.get("/v1/units?limit=1", token: secret).status == 401)
        #expect(try await server.auditActions("api_tokens", id: tokenID) == ["create", "revoke"])
    }

    /// Every role against every /v1 route: who may read, who may write, and nobody beyond.
    @Test func roleMatrix() async throws {
        let server = try await TestServer.get()
        let unitA = try await server.createUnit(["kind": "district_office"])
        let unitAID = unitA["id"] as! String
        let childOfA = try await server.createUnit(["parent_id": unitAID])
        let unitB = try await server.createUnit(["kind": "district_office"])
        let unitBID = unitB["id"] as! String
        let editorA = try await server.token(.editor, unit: unitAID)
        let editorB = try await server.token(.editor, unit: unitBID)
        let viewer = try await server.token(.viewer)
        let victimToken = try await server.post("/v1/tokens", ["role": "viewer", "name": "victim"])
        let victimID = (victimToken.json["token"] as! [String: Any])["id"] as! String

        struct Case { let method: String; let path: String; let json: Any?; let admin: Int; let editorA: Int; let editorB: Int; let viewer: Int }
        let newUnit: () -> [String: Any] = { ["code": uniqueCode("M"), "name": "Ma trận", "kind": "high_school"] }
        let cases: [Case] = [
            Case(method: "GET", path: "/v1/units", json: nil, admin: 200, editorA: 200, editorB: 200, viewer: 200),
            Case(method: "GET", path: "/v1/units/\(unitAID)", json: nil, admin: 200, editorA: 200, editorB: 200, viewer: 200),
            Case(method: "GET", path: "/v1/units/\(unitAID)/subtree", json: nil, admin: 200, editorA: 200, editorB: 200, viewer: 200),
            Case(method: "POST", path: "/v1/units", json: newUnit(), admin: 201, editorA: 403, editorB: 403, viewer: 403),
            Case(method: "POST", path: "/v1/units/import?dry_run=true", json: [newUnit()], admin: 200, editorA: 403, editorB: 403, viewer: 403),
            Case(
                method: "PATCH", path: "/v1/units/\(childOfA["id"] as! String)", json: ["phone": "0225 111 222"], admin: 200, editorA: 200,
                editorB: 403, viewer: 403),
            Case(method: "PATCH", path: "/v1/units/\(unitAID)", json: ["kind": "high_school"], admin: 200, editorA: 403, editorB: 403, viewer: 403),
            Case(
                method: "DELETE", path: "/v1/units/\(UUID().uuidString.lowercased())", json: nil, admin: 404, editorA: 403, editorB: 403, viewer: 403),
            Case(method: "GET", path: "/v1/tokens", json: nil, admin: 200, editorA: 403, editorB: 403, viewer: 403),
            Case(method: "POST", path: "/v1/tokens", json: ["role": "viewer", "name": "x"], admin: 201, editorA: 403, editorB: 403, viewer: 403),
            Case(method: "GET", path: "/v1/tokens/\(victimID)", json: nil, admin: 200, editorA: 403, editorB: 403, viewer: 403),
            Case(method: "GET", path: "/v1/audit-events", json: nil, admin: 200, editorA: 403, editorB: 403, viewer: 403),
            Case(method: "GET", path: "/v1/changes", json: nil, admin: 200, editorA: 200, editorB: 200, viewer: 200),
            Case(method: "GET", path: "/v1/changes?types=api_tokens", json: nil, admin: 200, editorA: 400, editorB: 400, viewer: 400),
            Case(method: "POST", path: "/v1/tokens/\(victimID)/revoke", json: [String: Any](), admin: 200, editorA: 403, editorB: 403, viewer: 403),
        ]
        // Non-admins first, so the admin's writes (kind change, revocation) come last.
        for (name, token) in [("editorA", editorA), ("editorB", editorB), ("viewer", viewer), ("admin", server.adminToken)] {
            for c in cases {
                let headers = c.method == "PATCH" ? ["Content-Type": "application/merge-patch+json"] : [:]
                let answer = try await server.request(c.method, c.path, token: token, json: c.json, headers: headers)
                let expected = ["admin": c.admin, "editorA": c.editorA, "editorB": c.editorB, "viewer": c.viewer][name]!
                #expect(answer.status == expected, "\(name) \(c.method) \(c.path): \(answer.text)")
            }
            let anonymous = try await server.request("GET", "/v1/units", headers: ["Authorization": ""])
            #expect(anonymous.status == 401)
        }
    }
}

@Suite("Audit log and change feed")
struct AuditAndChangeTests {
    @Test func auditLogIsAdminReadableFilterableAndAppendOnly() async throws {
        let server = try await TestServer.get()
        let unit = try await server.createUnit()
        let id = unit["id"] as! String
        _ = try await server.patch("/v1/units/\(id)", ["district": "Cát Hải"])
        let events = try await server.get("/v1/audit-events?resource_type=units&resource_id=\(id)")
        #expect(events.status == 200)
        #expect(events.items.map { $0["action"] as? String } == ["create", "update"])
        #expect(events.items.last?["changed_fields"] as? [String] == ["district", "updated_at", "version"])
        #expect((events.items.last?["before"] as? [String: Any])?["district"] is NSNull)
        #expect(events.items.first?["actor_role"] as? String == "admin")
        #expect(events.items.first?["request_id"] as? String != nil)
        await #expect(throws: PQError.self) {
            try await server.pool.query("DELETE FROM audit_events WHERE resource_id = \(id)")
        }
    }

    @Test func changeFeedHasNoGapsOrDuplicatesUnderConcurrentWriters() async throws {
        let server = try await TestServer.get()
        let cursor = try await server.endOfChangeFeed()
        let marker = uniqueCode("FEED")
        let writers = 8
        let perWriter = 15
        let poller = Task { () -> [(sequence: Int, code: String)] in
            var seen: [(sequence: Int, code: String)] = []
            var position = cursor
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                let page = try await server.get("/v1/changes?types=units&limit=7&after=\(position)")
                position = page.json["next_cursor"] as! String
                for item in page.items {
                    if let code = (item["resource"] as? [String: Any])?["code"] as? String, code.hasPrefix(marker) {
                        seen.append((item["sequence"] as! Int, code))
                    }
                }
                if seen.count >= writers * perWriter { break }
                if page.items.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
            }
            return seen
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    for n in 0..<perWriter {
                        let body = try JSONSerialization.data(withJSONObject: [
                            "code": "\(marker)-\(writer)-\(n)", "name": "Nguồn tin \(writer)-\(n)", "kind": "high_school",
                        ])
                        let answer = try await server.request("POST", "/v1/units", body: body, headers: ["Content-Type": "application/json"])
                        #expect(answer.status == 201)
                    }
                }
            }
            try await group.waitForAll()
        }
        let seen = try await poller.value
        // Every unit once, in increasing sequence, and each writer's units in the order it made them.
        #expect(seen.count == writers * perWriter)
        #expect(Set(seen.map(\.code)).count == writers * perWriter)
        #expect(seen.map(\.sequence) == seen.map(\.sequence).sorted())
        #expect(Set(seen.map(\.sequence)).count == seen.count)
        for writer in 0..<writers {
            let mine = seen.filter { $0.code.hasPrefix("\(marker)-\(writer)-") }.map { Int($0.code.split(separator: "-").last!)! }
            #expect(mine == Array(0..<perWriter), "writer \(writer)")
        }
    }

    /// Transaction ids are given at a transaction's first write, not at its commit: an older
    /// transaction can write a row after a newer one did and committed. The feed must still show
    /// the two writes in the order they happened, so that a follower ends with the row's last state.
    @Test func writesToOneRowAppearInCommitOrderEvenFromAnOlderTransaction() async throws {
        let server = try await TestServer.get()
        let id = try await server.createUnit()["id"] as! String
        let cursor = try await server.endOfChangeFeed()
        try await server.pool.withConnection { older in
            _ = try await older.query("BEGIN")
            _ = try await older.query("SELECT pg_current_xact_id()")
            #expect(try await server.patch("/v1/units/\(id)", ["district": "Đồ Sơn"]).status == 200)
            _ = try await older.query("UPDATE units SET district = 'Kiến Thụy', version = version + 1 WHERE id = \(id)::uuid")
            _ = try await older.query(
                """
                INSERT INTO audit_events (resource_type, resource_id, action, changed_fields, before, after)
                SELECT resource_type, resource_id, 'update', '{district}', after, jsonb_set(after, '{district}', '"Kiến Thụy"')
                FROM audit_events WHERE resource_type = 'units' AND resource_id = \(id) ORDER BY id DESC LIMIT 1
                """)
            _ = try await older.query("COMMIT")
        }
        let mine = try await server.changes(after: cursor, count: 2) { $0["resource_id"] as? String == id }
        #expect(mine.map { ($0["resource"] as? [String: Any])?["district"] as? String } == ["Đồ Sơn", "Kiến Thụy"])
    }

    @Test func aLongTransactionElsewhereDoesNotHoldTheFeed() async throws {
        let server = try await TestServer.get()
        let cursor = try await server.endOfChangeFeed()
        try await server.pool.withConnection { idle in
            _ = try await idle.query("BEGIN")
            _ = try await idle.query("SELECT pg_current_xact_id()")
            let id = try await server.createUnit()["id"] as! String
            let mine = try await server.changes(after: cursor, count: 1) { $0["resource_id"] as? String == id }
            #expect(mine.count == 1)
            _ = try await idle.query("ROLLBACK")
        }
    }

    @Test func deletesAppearAsTombstones() async throws {
        let server = try await TestServer.get()
        let cursor = try await server.endOfChangeFeed()
        let unit = try await server.createUnit()
        let id = unit["id"] as! String
        #expect(try await server.delete("/v1/units/\(id)").status == 204)
        let mine = try await server.changes(after: cursor, count: 2) { $0["resource_id"] as? String == id }
        #expect(mine.map { $0["action"] as? String } == ["create", "delete"])
        #expect(mine.last?["deleted"] as? Bool == true)
        #expect(mine.last?["resource"] is NSNull)
        let stale = try await server.get("/v1/changes?after=\(Cursor.encode(["1", "2"]))")
        #expect(stale.status == 400)
    }
}

extension TestServer {
    /// A cursor past every unit change numbered so far.
    func endOfChangeFeed() async throws -> String {
        var cursor = try #require(try await get("/v1/changes?types=units&limit=1").json["next_cursor"] as? String)
        while true {
            let page = try await get("/v1/changes?types=units&limit=500&after=\(cursor)")
            cursor = page.json["next_cursor"] as! String
            if page.items.isEmpty { return cursor }
        }
    }

    /// Unit changes after `cursor` that `wanted` picks, polled until `count` arrive (or 10 s pass).
    func changes(after cursor: String, count: Int, _ wanted: ([String: Any]) -> Bool) async throws -> [[String: Any]] {
        var cursor = cursor
        var found: [[String: Any]] = []
        let deadline = ContinuousClock.now + .seconds(10)
        while found.count < count, ContinuousClock.now < deadline {
            let page = try await get("/v1/changes?types=units&limit=500&after=\(cursor)")
            cursor = page.json["next_cursor"] as! String
            found += page.items.filter(wanted)
            if found.count < count { try await Task.sleep(for: .milliseconds(20)) }
        }
        return found
    }
}

@Suite("Every route, every role")
struct RouteSweepTests {
    /// Every /v1 route without a token is 401; every write route with a viewer token is refused.
    @Test func noTokenNoAccessAndViewersWriteNothing() async throws {
        let server = try await TestServer.get()
        let viewer = try await server.token(.viewer)
        let editor = try await server.token(.editor, unit: (try await server.createUnit())["id"] as? String)
        let before = try await server.pool.query("SELECT count(*)::int8 AS n FROM audit_events")[0].decode("n", as: Int.self)
        for route in routeTable().routes where route.template.hasPrefix("/v1") {
            // Every capture (`{id}`, `{assignment_id}`, `{delivery_id}` ...) becomes an id.
            let path = route.template.replacingOccurrences(
                of: "\\{[a-z_]+\\}", with: UUID().uuidString.lowercased(), options: .regularExpression)
            let method = route.method.rawValue
            let body: Any? = method == "GET" || method == "DELETE" ? nil : [String: Any]()
            let anonymous = try await server.request(method, path, json: body, headers: ["Authorization": ""])
            #expect(anonymous.status == 401, "\(route)")
            #expect(anonymous.header("WWW-Authenticate") != nil, "\(route)")
            guard method != "GET" else { continue }
            let asViewer = try await server.request(
                method, path, token: viewer, json: body,
                headers: method == "PATCH" ? ["Content-Type": "application/merge-patch+json"] : [:])
            #expect([403, 404].contains(asViewer.status), "viewer \(route): \(asViewer.status)")
            // Admin-only writes are refused to an editor before anything is looked up.
            if [
                "/v1/units", "/v1/units/import", "/v1/tokens", "/v1/plans", "/v1/plan-tasks", "/v1/training-sessions",
                "/v1/report-periods", "/v1/report-indicators", "/v1/report-periods/generate", "/v1/assignments/bulk",
            ].contains(route.template) {
                let asEditor = try await server.request(method, path, token: editor, json: body)
                #expect(asEditor.status == 403, "editor \(route): \(asEditor.status)")
            }
        }
        let after = try await server.pool.query(
            """
            SELECT count(*)::int8 AS n FROM audit_events WHERE actor_token_id IN
              (SELECT id FROM api_tokens WHERE public_id IN (\(String(viewer.split(separator: "_")[1])), \(String(editor.split(separator: "_")[1]))))
            """)[0].decode("n", as: Int.self)
        #expect(after == 0)
        _ = before
    }
}
