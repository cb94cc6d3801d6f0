import Foundation
import PQ
import TTDN
import TTDNKit
import TestSupport
import Testing

/// A system that builds its copy of ttdn from `GET /v1/changes` alone, from the start, ends
/// with what the API answers: the seeded data included, a session's registrations included.
@Suite("The change feed rebuilds the database")
struct FeedRebuildTests {
    /// The feed's resource types and where the API serves one of each.
    static let paths: [String: String] = [
        "units": "/v1/units", "plans": "/v1/plans", "plan_tasks": "/v1/plan-tasks", "events": "/v1/events",
        "training_sessions": "/v1/training-sessions", "report_periods": "/v1/report-periods", "reports": "/v1/reports",
        "media_entries": "/v1/media-entries", "activities": "/v1/activities", "difficulties": "/v1/difficulties",
    ]

    @Test func aCopyBuiltFromTheFeedAloneIsWhatTheAPIAnswers() async throws {
        let server = try await WebhookServer.start().server
        // Some life after seeding: a unit created and changed, another created and deleted,
        // registrations on a seeded session (one cancelled), an event gone, a report submitted.
        let unit = try await server.createUnit(["kind": "district_office"])["id"] as! String
        #expect(try await server.patch("/v1/units/\(unit)", ["phone": "0225 3 111 222"]).status == 200)
        let gone = try await server.createUnit()["id"] as! String
        #expect(try await server.delete("/v1/units/\(gone)").status == 204)
        let sessions = try await server.get("/v1/training-sessions?limit=100").items
        let session = try #require(sessions.first { ["planned", "open"].contains($0["status"] as? String) && $0["registration_deadline"] is NSNull })
        let sessionID = session["id"] as! String
        var participants: [String] = []
        for n in 0..<3 {
            let registered = try await server.post(
                "/v1/training-sessions/\(sessionID)/participants",
                ["full_name": "Cán bộ \(n)", "unit_id": unit, "email": "cb\(n)-\(uniqueCode())@e.vn"])
            #expect(registered.status == 201, "\(registered.text)")
            participants.append(registered.json["id"] as! String)
        }
        #expect(try await server.patch("/v1/training-sessions/\(sessionID)/participants/\(participants[0])", ["state": "cancelled"]).status == 200)
        let event = try await server.post(
            "/v1/events", ["title": "Sự kiện tạm", "kind": "campaign", "recurrence": "once", "starts_on": "2023-09-01"])
        #expect(try await server.delete("/v1/events/\(event.json["id"] as! String)").status == 204)
        let report = try await server.post("/v1/reports", ["unit_id": unit, "period_id": "2023-Y", "values": ["articles_published": 3]])
        #expect(try await server.request("POST", "/v1/reports/\(report.json["id"] as! String)/submit").status == 200)
        _ = try await server.post("/v1/activities", ["unit_id": unit, "kind": "website_article", "title": "Bài viết", "starts_on": "2023-03-01"])

        // The mirror: every change applied in feed order.
        var mirror: [String: [String: [String: Any]]] = [:]
        var cursor: String?
        while true {
            let page = try await server.get("/v1/changes?limit=500" + (cursor.map { "&after=\($0)" } ?? ""))
            #expect(page.status == 200)
            for change in page.items {
                let type = change["resource_type"] as! String, id = change["resource_id"] as! String
                if change["deleted"] as? Bool == true {
                    mirror[type, default: [:]][id] = nil
                } else {
                    mirror[type, default: [:]][id] = change["resource"] as? [String: Any]
                }
            }
            cursor = page.json["next_cursor"] as? String
            if page.items.isEmpty { break }
        }

        // Every row the database holds is in the mirror, and nothing else is.
        for (type, _) in Self.paths {
            let rows = try await server.pool.query("SELECT id::text AS id FROM \(identifier: type)").map { try $0.decode("id", as: String.self) }
            #expect(Set(mirror[type]?.keys.map { $0 } ?? []) == Set(rows), "\(type)")
        }
        let indicators = try await server.get("/v1/report-indicators").items.compactMap { $0["code"] as? String }
        #expect(Set(mirror["report_indicators"]?.keys.map { $0 } ?? []) == Set(indicators))
        #expect(mirror["units"]?.count == 28)  // 27 seeded, one created
        #expect(mirror["plan_task_assignments"]?.count == 100)

        // And each copy is what the API answers for it.
        for (type, path) in Self.paths {
            for (id, copy) in mirror[type] ?? [:] {
                let live = try await server.get("\(path)/\(id)")
                #expect(live.status == 200, "\(path)/\(id)")
                #expect(canonical(live.json) == canonical(copy), "\(type) \(id) differs: \(differences(copy, live.json))")
            }
        }
        #expect((mirror["training_sessions"]?[sessionID]?["registered_count"] as? Int) == 2)
    }
}

/// The top-level members in which two representations differ.
func differences(_ a: [String: Any], _ b: [String: Any]) -> [String] {
    Set(a.keys).union(b.keys).sorted().filter { key in
        switch (a[key], b[key]) {
        case (nil, nil): return false
        case (let x?, let y?): return canonical(["v": x]) != canonical(["v": y])
        default: return true
        }
    }
}

/// JSON text with sorted keys: two representations compare as JSON, not as Foundation objects.
func canonical(_ value: [String: Any]) -> String {
    String(decoding: (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data(), as: UTF8.self)
}
