import Foundation
import PQ
import TTDN
import TTDNKit
import TestSupport
import Testing

func makeSession(_ server: TestServer, capacity: Int, _ extra: [String: Any] = [:]) async throws -> String {
    let organiser = try await server.createUnit(["kind": "department"])
    var body: [String: Any] = [
        "title": "Tập huấn \(uniqueCode())", "organiser_unit_id": organiser["id"]!, "format": "hybrid",
        "capacity": capacity, "status": "open", "expected_min": 80, "expected_max": 120,
        "starts_at": "2023-09-15T08:00:00+07:00", "ends_at": "2023-09-15T11:30:00+07:00",
    ]
    for (k, v) in extra { body[k] = v }
    let answer = try await server.post("/v1/training-sessions", body)
    guard answer.status == 201 else { throw CLIError("session: \(answer.status) \(answer.text)") }
    return answer.json["id"] as! String
}

@Suite("Training sessions and registration")
struct TrainingTests {
    @Test func threeHundredConcurrentRegistrationsFillOneHundredTwentySeats() async throws {
        let server = try await TestServer.get()
        let session = try await makeSession(server, capacity: 120)
        let unit = try await server.createUnit()
        let unitID = unit["id"] as! String
        let tag = UUID().uuidString.prefix(6).lowercased()
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for n in 0..<300 {
                group.addTask {
                    let body = try JSONSerialization.data(withJSONObject: [
                        "full_name": "Người \(n)", "unit_id": unitID, "email": "p\(n)-\(tag)@example.vn",
                    ])
                    return try await server.request(
                        "POST", "/v1/training-sessions/\(session)/participants", body: body,
                        headers: ["Content-Type": "application/json"]
                    ).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == 201 }.count == 300)
        let rows = try await server.pool.query(
            """
            SELECT state::text AS state, seq FROM training_participants WHERE session_id = \(UUID(uuidString: session)!) ORDER BY seq
            """)
        let states = try rows.map { try $0.decode("state", as: String.self) }
        #expect(states.filter { $0 == "registered" }.count == 120)
        #expect(states.filter { $0 == "waitlisted" }.count == 180)
        // Order of arrival holds: the first 120 to arrive have the seats.
        #expect(Array(states.prefix(120)) == Array(repeating: "registered", count: 120))
        let counted = try await server.get("/v1/training-sessions/\(session)")
        #expect(counted.json["registered_count"] as? Int == 120)
        #expect(counted.json["waitlisted_count"] as? Int == 180)
    }

    @Test func cancellationPromotesTheFirstWaitlistedInOrder() async throws {
        let server = try await TestServer.get()
        let session = try await makeSession(server, capacity: 2)
        let unit = try await server.createUnit()
        var ids: [String] = []
        for n in 0..<4 {
            let answer = try await server.post(
                "/v1/training-sessions/\(session)/participants",
                ["full_name": "Học viên \(n)", "unit_id": unit["id"]!, "email": "hv\(n)-\(uniqueCode())@example.vn"])
            #expect(answer.status == 201)
            ids.append(answer.json["id"] as! String)
        }
        let third = try await server.get("/v1/training-sessions/\(session)/participants/\(ids[2])")
        #expect(third.json["state"] as? String == "waitlisted")
        #expect(third.json["waitlist_position"] as? Int == 1)
        let cancelled = try await server.patch("/v1/training-sessions/\(session)/participants/\(ids[0])", ["state": "cancelled"])
        #expect(cancelled.status == 200)
        #expect(try await server.get("/v1/training-sessions/\(session)/participants/\(ids[2])").json["state"] as? String == "registered")
        let fourth = try await server.get("/v1/training-sessions/\(session)/participants/\(ids[3])")
        #expect(fourth.json["state"] as? String == "waitlisted")
        #expect(fourth.json["waitlist_position"] as? Int == 1)
        // Cancelling a waitlisted person promotes nobody.
        _ = try await server.patch("/v1/training-sessions/\(session)/participants/\(ids[3])", ["state": "cancelled"])
        let registered = try await server.get("/v1/training-sessions/\(session)/participants?state=registered")
        #expect(Set(registered.items.compactMap { $0["id"] as? String }) == [ids[1], ids[2]])
        #expect(try await server.auditActions("training_participants", id: ids[2]) == ["register", "promote"])
    }

    @Test func duplicatesDeadlinesAndCancelledSessionsAre409() async throws {
        let server = try await TestServer.get()
        let session = try await makeSession(server, capacity: 10)
        let unit = try await server.createUnit()
        let email = "trung-\(uniqueCode())@example.vn"
        #expect(
            try await server.post("/v1/training-sessions/\(session)/participants", ["full_name": "A", "unit_id": unit["id"]!, "email": email]).status
                == 201)
        let twice = try await server.post(
            "/v1/training-sessions/\(session)/participants", ["full_name": "A", "unit_id": unit["id"]!, "email": email.uppercased()])
        #expect(twice.status == 409)
        let late = try await makeSession(server, capacity: 10, ["registration_deadline": "2023-09-01"])
        let afterDeadline = try await server.post(
            "/v1/training-sessions/\(late)/participants", ["full_name": "B", "unit_id": unit["id"]!, "email": "b-\(uniqueCode())@example.vn"])
        #expect(afterDeadline.status == 409)
        #expect((afterDeadline.json["detail"] as? String)?.contains("deadline") == true)
        #expect(try await server.patch("/v1/training-sessions/\(session)", ["status": "cancelled"]).status == 200)
        let cancelled = try await server.post(
            "/v1/training-sessions/\(session)/participants", ["full_name": "C", "unit_id": unit["id"]!, "email": "c-\(uniqueCode())@example.vn"])
        #expect(cancelled.status == 409)
        #expect((cancelled.json["detail"] as? String)?.contains("cancelled") == true)
    }

    @Test func editorsRegisterTheirOwnUnitAndOnlyAdminsRecordAttendance() async throws {
        let server = try await TestServer.get()
        let session = try await makeSession(server, capacity: 10)
        let mine = try await server.createUnit(["kind": "district_office"])
        let school = try await server.createUnit(["parent_id": mine["id"]!])
        let other = try await server.createUnit()
        let editor = try await server.token(.editor, unit: mine["id"] as? String)
        let path = "/v1/training-sessions/\(session)/participants"
        #expect(
            try await server.post(path, ["full_name": "X", "unit_id": other["id"]!, "email": "x-\(uniqueCode())@e.vn"], token: editor).status == 403)
        let ok = try await server.post(path, ["full_name": "Y", "unit_id": school["id"]!, "email": "y-\(uniqueCode())@e.vn"], token: editor)
        #expect(ok.status == 201)
        let participant = "\(path)/\(ok.json["id"] as! String)"
        #expect(try await server.patch(participant, ["attendance": "present"], token: editor).status == 403)
        #expect(try await server.patch(participant, ["attendance": "present"]).status == 200)
        let viewer = try await server.token(.viewer)
        #expect(
            try await server.post(path, ["full_name": "Z", "unit_id": mine["id"]!, "email": "z-\(uniqueCode())@e.vn"], token: viewer).status == 403)
    }

    @Test func csvRegistrationHasADryRun() async throws {
        let server = try await TestServer.get()
        let session = try await makeSession(server, capacity: 1)
        let unit = try await server.createUnit()
        let csv =
            "full_name,unit_code,email,position\r\nNguyễn Văn An,\(unit["code"]!),an-\(uniqueCode())@e.vn,Hiệu trưởng\r\nLê Thị Bình,\(unit["code"]!),binh-\(uniqueCode())@e.vn,\r\n"
        let dry = try await server.request(
            "POST", "/v1/training-sessions/\(session)/participants/import?dry_run=true",
            body: Data(csv.utf8), headers: ["Content-Type": "text/csv"])
        #expect(dry.status == 200)
        #expect((dry.json["rows"] as? [[String: Any]])?.map { $0["state"] as? String } == ["registered", "waitlisted"])
        #expect(try await server.get("/v1/training-sessions/\(session)").json["registered_count"] as? Int == 0)
        let real = try await server.request(
            "POST", "/v1/training-sessions/\(session)/participants/import",
            body: Data(csv.utf8), headers: ["Content-Type": "text/csv"])
        #expect(real.status == 201)
        #expect(real.json["registered"] as? Int == 1)
        #expect(real.json["waitlisted"] as? Int == 1)
    }

    @Test func aggregateMatchesAHandCountedFixture() async throws {
        let server = try await TestServer.get()
        let year = 2031  // a year no other test uses
        let organiser = try await server.createUnit(["kind": "department"])
        func session(_ status: String, capacity: Int) async throws -> String {
            let answer = try await server.post(
                "/v1/training-sessions",
                [
                    "title": "Lớp \(status) \(uniqueCode())", "organiser_unit_id": organiser["id"]!, "format": "online",
                    "capacity": capacity, "status": "open", "expected_min": 2, "expected_max": 3,
                    "starts_at": "\(year)-08-20T01:00:00Z",
                ])
            return answer.json["id"] as! String
        }
        let held = try await session("held", capacity: 3)
        let small = try await session("small", capacity: 3)
        let cancelled = try await session("cancelled", capacity: 3)
        let unitA = try await server.createUnit(["kind": "district_office"])
        let unitB = try await server.createUnit(["kind": "district_office"])
        var heldIDs: [String] = []
        for n in 0..<4 {  // 3 registered + 1 waitlisted, all from unit A
            let answer = try await server.post(
                "/v1/training-sessions/\(held)/participants", ["full_name": "A\(n)", "unit_id": unitA["id"]!, "email": "a\(n)-\(uniqueCode())@e.vn"])
            heldIDs.append(answer.json["id"] as! String)
        }
        _ = try await server.post(
            "/v1/training-sessions/\(small)/participants", ["full_name": "B", "unit_id": unitB["id"]!, "email": "b-\(uniqueCode())@e.vn"])
        _ = try await server.patch("/v1/training-sessions/\(held)", ["status": "held"])
        _ = try await server.patch("/v1/training-sessions/\(held)/participants/\(heldIDs[0])", ["attendance": "present"])
        _ = try await server.patch("/v1/training-sessions/\(held)/participants/\(heldIDs[1])", ["attendance": "late"])
        _ = try await server.patch("/v1/training-sessions/\(held)/participants/\(heldIDs[2])", ["attendance": "absent"])
        _ = try await server.patch("/v1/training-sessions/\(cancelled)", ["status": "cancelled"])
        let answer = try await server.get("/v1/aggregates/trainings?year=\(year)")
        #expect(answer.status == 200)
        #expect(answer.json["sessions"] as? [String: Int] == ["planned": 0, "open": 1, "closed": 0, "held": 1, "cancelled": 1])
        let lines = try #require(answer.json["per_session"] as? [[String: Any]])
        let heldLine = try #require(lines.first { $0["session_id"] as? String == held })
        #expect(heldLine["registered"] as? Int == 3)
        #expect(heldLine["waitlisted"] as? Int == 1)
        #expect(heldLine["attended"] as? Int == 2)
        #expect(heldLine["under_min"] as? Bool == false)
        #expect(abs((heldLine["fill_rate"] as? Double ?? 0) - 0.667) < 0.0005)
        let smallLine = try #require(lines.first { $0["session_id"] as? String == small })
        #expect(smallLine["registered"] as? Int == 1)
        #expect(smallLine["under_min"] as? Bool == true)
        let perUnit = try #require(answer.json["per_unit"] as? [[String: Any]])
        #expect(perUnit.first { $0["unit_id"] as? String == unitA["id"] as? String }?["registered"] as? Int == 3)
        #expect(perUnit.first { $0["unit_id"] as? String == unitA["id"] as? String }?["trained"] as? Int == 2)
        #expect(perUnit.first { $0["unit_id"] as? String == unitB["id"] as? String }?["trained"] as? Int == 0)
        let nobody = try #require(answer.json["units_without_participants"] as? [[String: Any]])
        #expect(!nobody.contains { $0["unit_id"] as? String == unitA["id"] as? String })
        #expect(nobody.contains { $0["code"] as? String == "SGDDT-HP.VP" } == false)  // offices are not expected to send
    }
}
