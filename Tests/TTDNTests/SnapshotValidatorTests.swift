import Foundation
import PQ
import TTDN
import TTDNKit
import Testing

/// Aggregates and lists carry a validator derived from PostgreSQL's snapshot: a poller's `If-None-Match`
/// gets 304 while nothing committed, and a full answer once something did.
@Suite("Aggregates and lists answered 304 from the database snapshot")
struct SnapshotValidatorTests {
    private func snapshot(_ server: TestServer) async throws -> String {
        try await server.pool.query("SELECT pg_current_snapshot()::text AS s").first!.decode("s", as: String.self)
    }

    /// Other tests commit all the time on this shared cluster: whenever no transaction ended
    /// around a revalidation, it must be a 304; tried until three such quiet moments came.
    private func expect304WhileNothingCommits(_ server: TestServer, _ path: String) async throws {
        var quietRevalidations = 0
        for _ in 0..<400 where quietRevalidations < 3 {
            // The window covers both requests: the tag's own answer and its revalidation.
            let before = try await snapshot(server)
            let latest = try #require(try await server.get(path).header("ETag"))
            let again = try await server.get(path, headers: ["If-None-Match": latest])
            let after = try await snapshot(server)
            guard before == after else { continue }
            quietRevalidations += 1
            #expect(again.status == 304)
            #expect(again.header("ETag") == latest)
            #expect(again.body.isEmpty)
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(quietRevalidations == 3, "the cluster was never quiet for one request")
    }

    @Test func aPollerGets304UntilAWriteChangesTheFigures() async throws {
        let server = try await TestServer.get()
        let unit = try await server.createUnit()["id"] as! String
        let raise = { try await server.post("/v1/difficulties", ["unit_id": unit, "title": "Vướng mắc \(uniqueCode())", "description": "Nội dung"]) }
        #expect(try await raise().status == 201)
        let path = "/v1/aggregates/open-difficulties?unit_id=\(unit)"
        let first = try await server.get(path)
        #expect(first.status == 200)
        #expect(first.items.first?["open"] as? Int == 1)
        let etag = try #require(first.header("ETag"))
        #expect(etag.hasPrefix("\"s-") && etag.hasSuffix("\""))
        #expect(first.header("Cache-Control") == "private, no-cache")

        try await expect304WhileNothingCommits(server, path)

        // Our own write changes the snapshot: the same If-None-Match now gets the new figures.
        let stale = try #require(try await server.get(path).header("ETag"))
        #expect(try await raise().status == 201)
        let changed = try await server.get(path, headers: ["If-None-Match": stale])
        #expect(changed.status == 200)
        #expect(changed.items.first?["open"] as? Int == 2)
        #expect(changed.header("ETag") != stale)
    }

    @Test func requestsThatArriveDuringAReadShareTheNextOne() async throws {
        let server = try await TestServer.get()
        var config = server.config
        config.poolSize = 1
        let pool = config.makePool(logger: .init(label: "test"))
        defer { pool.close() }
        let reader = SnapshotReader(pool: pool)

        // The pool's one connection is held, so the first read waits for it.
        let (release, releaseContinuation) = AsyncStream<Void>.makeStream()
        let (held, heldContinuation) = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await pool.withConnection { _ in
                heldContinuation.yield()
                for await _ in release { break }
            }
        }
        for await _ in held { break }
        let first = Task { try await reader.current() }
        #expect(try await waitFor(seconds: 10) { reader.reads == 1 })
        // Every request arriving now waits for the read after the one under way.
        let later = (0..<63).map { _ in Task { try await reader.current() } }
        #expect(try await waitFor(seconds: 10) { reader.waitingForNextRead == 63 })
        releaseContinuation.yield()
        try await holder.value
        let firstSnapshot = try await first.value
        var laterSnapshots: Set<String> = []
        for task in later { laterSnapshots.insert(try await task.value) }
        #expect(reader.reads == 2)
        #expect(laterSnapshots.count == 1)

        // A read after a commit sees it: its snapshot differs.
        _ = try await server.createUnit()
        let afterCommit = try await reader.current()
        #expect(afterCommit != firstSnapshot && !laterSnapshots.contains(afterCommit))
        #expect(reader.reads == 3)
    }

    @Test func theValidatorDiffersByRepresentationQueryAndCaller() async throws {
        let server = try await TestServer.get()
        let unit = try await server.createUnit()["id"] as! String
        let other = try await server.createUnit()["id"] as! String
        let editor = try await server.token(.editor, unit: unit)
        let otherEditor = try await server.token(.editor, unit: other)
        let viewer = try await server.token(.viewer)
        // Taken back to back until one snapshot covered all of them.
        for _ in 0..<400 {
            let before = try await snapshot(server)
            let json = try await server.get("/v1/aggregates/open-difficulties")
            let csv = try await server.get("/v1/aggregates/open-difficulties", headers: ["Accept": "text/csv"])
            let query = try await server.get("/v1/aggregates/open-difficulties?unit_id=\(unit)")
            let admin2 = try await server.get("/v1/aggregates/open-difficulties")
            let asEditor = try await server.get("/v1/aggregates/open-difficulties", token: editor)
            let asOtherEditor = try await server.get("/v1/aggregates/open-difficulties", token: otherEditor)
            let asViewer = try await server.get("/v1/aggregates/open-difficulties", token: viewer)
            guard try await snapshot(server) == before else { continue }
            let tags = [json, csv, query, asEditor, asOtherEditor, asViewer].map { $0.header("ETag") ?? "" }
            #expect(Set(tags).count == tags.count, "\(tags)")
            #expect(admin2.header("ETag") == json.header("ETag"))
            // A CSV validator does not revalidate the JSON.
            #expect(try await server.get("/v1/aggregates/open-difficulties", headers: ["If-None-Match": tags[1]]).status == 200)
            return
        }
        Issue.record("the cluster was never quiet for eight requests")
    }

    @Test func aListIsAnswered304UntilAWriteChangesIt() async throws {
        let server = try await TestServer.get()
        let topic = "poll\(UUID().uuidString.prefix(8).lowercased())"
        let record = { (index: Int) in
            try await server.post(
                "/v1/media-entries",
                [
                    "title": "Bài \(topic) \(index)", "url": "https://example.org/\(topic)/\(index)", "outlet": "Hải Phòng",
                    "origin": "domestic", "published_at": "2023-03-0\(index + 1)T08:00:00Z", "topics": [topic],
                ])
        }
        #expect(try await record(0).status == 201)
        let path = "/v1/media-entries?topic=\(topic)&limit=10"
        let first = try await server.get(path)
        #expect(first.status == 200 && first.items.count == 1)
        let etag = try #require(first.header("ETag"))
        #expect(etag.hasPrefix("\"s-") && first.header("Cache-Control") == "private, no-cache")

        try await expect304WhileNothingCommits(server, path)

        // Another entry: the same tag now gets the list with it.
        let stale = try #require(try await server.get(path).header("ETag"))
        #expect(try await record(1).status == 201)
        let changed = try await server.get(path, headers: ["If-None-Match": stale])
        #expect(changed.status == 200 && changed.items.count == 2)
        #expect(changed.header("ETag") != stale)
    }

    @Test func listsBelowAResourceAndOtherCallersGetTheirOwnValidators() async throws {
        let server = try await TestServer.get()
        let viewer = try await server.token(.viewer)
        let otherViewer = try await server.token(.viewer)
        let id = try await makeSession(server, capacity: 10)
        for _ in 0..<400 {
            let before = try await snapshot(server)
            let mine = try await server.get("/v1/training-sessions/\(id)/participants", token: viewer)
            let theirs = try await server.get("/v1/training-sessions/\(id)/participants", token: otherViewer)
            let mineAgain = try await server.get("/v1/training-sessions/\(id)/participants", token: viewer)
            guard try await snapshot(server) == before else { continue }
            #expect(mine.status == 200 && theirs.status == 200)
            let tag = try #require(mine.header("ETag"))
            #expect(tag.hasPrefix("\"s-"))
            #expect(mineAgain.header("ETag") == tag)
            #expect(theirs.header("ETag") != tag)
            // Another token's tag is not this caller's copy.
            let crossed = try await server.get(
                "/v1/training-sessions/\(id)/participants", token: viewer, headers: ["If-None-Match": try #require(theirs.header("ETag"))])
            #expect(crossed.status == 200)
            // A session that does not exist is a 404 with no validator, whatever was sent.
            let missing = try await server.get("/v1/training-sessions/\(UUID())/participants", token: viewer, headers: ["If-None-Match": "*"])
            #expect(missing.status == 404 && missing.header("ETag") == nil)
            return
        }
        Issue.record("the cluster was never quiet for three requests")
    }

    @Test func aWrongOrOtherValidatorGetsTheFullAnswerAndErrorsStayErrors() async throws {
        let server = try await TestServer.get()
        let answer = try await server.get("/v1/aggregates/open-difficulties", headers: ["If-None-Match": "\"s-0000\""])
        #expect(answer.status == 200)
        let bad = try await server.get("/v1/aggregates/open-difficulties?as_of=soon", headers: ["If-None-Match": "*"])
        #expect(bad.status == 400)
        let anonymous = try await server.get("/v1/aggregates/open-difficulties", headers: ["Authorization": "", "If-None-Match": "*"])
        #expect(anonymous.status == 401)
        let problem = try await server.get("/v1/aggregates/open-difficulties?as_of=soon")
        #expect(problem.status == 400 && problem.header("ETag") == nil)
    }
}
