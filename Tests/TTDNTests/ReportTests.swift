import Foundation
import PQ
import TTDN
import TTDNKit
import TestSupport
import Testing

/// An ad hoc period of its own, so counts of other tests do not mix in.
func makePeriod(_ server: TestServer, due: String = "2039-05-05", ends: String = "2039-04-30") async throws -> String {
    let id = "2039-T\(UUID().uuidString.prefix(8))"
    let answer = try await server.post(
        "/v1/report-periods",
        [
            "id": id, "kind": "ad_hoc", "title": "Báo cáo thử \(id)",
            "starts_on": "2038-12-15", "ends_on": ends, "due_on": due,
        ])
    guard answer.status == 201 else { throw CLIError("period: \(answer.status) \(answer.text)") }
    return id
}

@Suite("Periodic reports")
struct ReportTests {
    @Test func periodsFollowThePlansRegime() async throws {
        let server = try await TestServer.get()
        let seeded = try await server.get("/v1/report-periods?year=2023")
        var byID: [String: [String: Any]] = [:]
        for item in seeded.items { byID[item["id"] as! String] = item }
        #expect(Set(byID.keys) == ["2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4", "2023-H1", "2023-Y"])
        // A report due on the 5th covers up to the last day of the month before.
        #expect(byID["2023-H1"]?["starts_on"] as? String == "2022-11-01")
        #expect(byID["2023-H1"]?["ends_on"] as? String == "2023-04-30")
        #expect(byID["2023-H1"]?["due_on"] as? String == "2023-05-05")
        #expect(byID["2023-Y"]?["ends_on"] as? String == "2023-10-31")
        #expect(byID["2023-Y"]?["due_on"] as? String == "2023-11-05")
        #expect(byID["2023-Q3"]?["starts_on"] as? String == "2023-05-01")
        #expect(byID["2023-Q3"]?["ends_on"] as? String == "2023-07-31")
        #expect(byID["2023-Q3"]?["regime"] as? String == "plan")
        let generated = try await server.request("POST", "/v1/report-periods/generate?year=2027")
        #expect(generated.status == 200)
        #expect(generated.items.count == 6)
        let again = try await server.request("POST", "/v1/report-periods/generate?year=2027")
        #expect(again.items.count == 6)
        let moved = try await server.patch("/v1/report-periods/2027-H1", ["due_on": "2027-05-10"])
        #expect(moved.status == 200)
        #expect(moved.json["due_on"] as? String == "2027-05-10")
    }

    @Test func workflowEnforcesRolesAndStates() async throws {
        let server = try await TestServer.get()
        let period = try await makePeriod(server)
        let unit = try await server.createUnit(["kind": "district_office"])
        let other = try await server.createUnit(["kind": "district_office"])
        let editor = try await server.token(.editor, unit: unit["id"] as? String)
        let otherEditor = try await server.token(.editor, unit: other["id"] as? String)
        let created = try await server.post(
            "/v1/reports",
            [
                "period_id": period, "values": ["articles_published": 12, "narrative_summary": "Đã triển khai"],
                "sections": [["title": "Kết quả", "body": "Tổ chức 3 hoạt động"]],
            ], token: editor)
        #expect(created.status == 201, "\(created.text)")
        #expect(created.json["unit_id"] as? String == unit["id"] as? String)
        let path = "/v1/reports/\(created.json["id"] as! String)"
        #expect(try await server.post("/v1/reports", ["period_id": period], token: editor).status == 409)
        #expect(try await server.get(path, token: otherEditor).status == 404)
        #expect(try await server.patch(path, ["values": ["no_such_indicator": 1]], token: editor).status == 422)
        #expect(try await server.patch(path, ["values": ["articles_published": -1]], token: editor).status == 422)
        #expect(try await server.request("POST", path + "/accept").status == 409)  // not submitted yet
        #expect(try await server.request("POST", path + "/submit", token: otherEditor).status == 404)
        #expect(try await server.request("POST", path + "/submit", token: editor).status == 200)
        #expect(try await server.patch(path, ["values": ["articles_published": 13]], token: editor).status == 409)
        #expect(try await server.request("POST", path + "/accept", token: editor).status == 403)
        #expect(try await server.request("POST", path + "/return").status == 422)  // a comment is required
        let returned = try await server.request("POST", path + "/return", json: ["comment": "Bổ sung số liệu tập huấn"])
        #expect(returned.status == 200)
        #expect(try await server.patch(path, ["values": ["articles_published": 13]], token: editor).status == 200)
        #expect(try await server.request("POST", path + "/submit", token: editor).status == 200)
        let accepted = try await server.request("POST", path + "/accept")
        #expect(accepted.status == 200)
        #expect(accepted.json["status"] as? String == "accepted")
        let history = (accepted.json["history"] as? [[String: Any]] ?? []).map { "\($0["from_status"]!)>\($0["to_status"]!)" }
        #expect(history == ["draft>submitted", "submitted>returned", "returned>submitted", "submitted>accepted"])
        #expect((accepted.json["history"] as? [[String: Any]])?[1]["comment"] as? String == "Bổ sung số liệu tập huấn")
        #expect(try await server.patch(path, ["values": ["articles_published": 1]]).status == 409)
        #expect(
            try await server.auditActions("reports", id: created.json["id"] as! String)
                == ["create", "submit", "return", "update", "submit", "accept"])
    }

    @Test func onTimeIsJudgedByTheDayTheReportArrived() async throws {
        let server = try await TestServer.get()
        let period = try await makePeriod(server, due: "2039-05-05")
        let parent = try await server.createUnit(["kind": "department_office"])
        var ids: [String] = []
        for _ in 0..<4 { ids.append(try await server.createUnit(["kind": "high_school", "parent_id": parent["id"]!])["id"] as! String) }
        // Three report, one does not: arriving on the due day is on time, the day after is late.
        let times = ["2039-05-05", "2039-05-06", "2039-05-01"]
        for (index, at) in times.enumerated() {
            let report = try await server.post(
                "/v1/reports", ["unit_id": ids[index], "period_id": period, "values": ["articles_published": index + 1]])
            let id = report.json["id"] as! String
            #expect(try await server.request("POST", "/v1/reports/\(id)/submit").status == 200)
            _ = try await server.pool.query("UPDATE reports SET received_on = \(at)::date WHERE id = \(UUID(uuidString: id)!)")
            if index == 0 { #expect(try await server.request("POST", "/v1/reports/\(id)/accept").status == 200) }
        }
        let answer = try await server.get("/v1/aggregates/report-compliance?period_id=\(period)")
        #expect(answer.status == 200)
        let byParent = try #require((answer.json["by_parent_unit"] as? [[String: Any]])?.first { $0["key"] as? String == parent["id"] as? String })
        #expect(byParent["expected"] as? Int == 4)
        #expect(byParent["submitted"] as? Int == 3)
        #expect(byParent["on_time"] as? Int == 2)
        #expect(byParent["late"] as? Int == 1)
        #expect(byParent["missing"] as? Int == 1)
        #expect(byParent["accepted"] as? Int == 1)
        #expect((byParent["missing_units"] as? [[String: Any]])?.map { $0["id"] as? String } == [ids[3]])
        #expect(byParent["completeness"] as? Double == 0.75)
        #expect(byParent["timeliness"] as? Double == 0.5)
        let summary = try await server.get("/v1/aggregates/report-summary?period_id=\(period)&include_submitted=true")
        let articles = try #require((summary.json["indicators"] as? [[String: Any]])?.first { $0["code"] as? String == "articles_published" })
        let fromParent = try #require((articles["by_parent_unit"] as? [[String: Any]])?.first { $0["key"] as? String == parent["id"] as? String })
        #expect(fromParent["total"] as? Double == 6)
        #expect((fromParent["report_ids"] as? [String])?.count == 3)
        let acceptedOnly = try await server.get("/v1/aggregates/report-summary?period_id=\(period)")
        let acceptedArticles = (acceptedOnly.json["indicators"] as? [[String: Any]])?.first { $0["code"] as? String == "articles_published" }
        let acceptedFromParent = (acceptedArticles?["by_parent_unit"] as? [[String: Any]])?.first { $0["key"] as? String == parent["id"] as? String }
        #expect(acceptedFromParent?["total"] as? Double == 1)
        #expect(try await server.get("/v1/aggregates/report-compliance").status == 400)
    }

    @Test func expectedUnitsFollowThe2025Reform() async throws {
        let server = try await TestServer.get()
        _ = try await server.request("POST", "/v1/report-periods/generate?year=2024")
        _ = try await server.request("POST", "/v1/report-periods/generate?year=2025")
        func expected(_ period: String) async throws -> Set<String> {
            let answer = try await server.get("/v1/aggregates/report-compliance?period_id=\(period)")
            let missing = (answer.json["overall"] as? [String: Any])?["missing_units"] as? [[String: Any]] ?? []
            return Set(missing.compactMap { $0["code"] as? String })
        }
        let q4of2024 = try await expected("2024-Q4")
        #expect(q4of2024.contains("PGD-THUYNGUYEN"))
        #expect(!q4of2024.contains("PGD-TP-THUYNGUYEN"))
        let q1of2025 = try await expected("2025-Q1")
        #expect(!q1of2025.contains("PGD-THUYNGUYEN"))
        #expect(q1of2025.contains("PGD-TP-THUYNGUYEN"))
        #expect(q1of2025.contains("PGD-LECHAN"))
        let yearOf2025 = try await expected("2025-Y")
        #expect(yearOf2025.isDisjoint(with: ["PGD-LECHAN", "PGD-TP-THUYNGUYEN", "PGD-Q-ANDUONG"]))
        #expect(yearOf2025.contains("THPT-THAIPHIEN"))
    }

    @Test func prefillFillsWhatTTDNKnowsAndKeepsWhatPeopleEntered() async throws {
        let server = try await TestServer.get()
        let period = try await makePeriod(server)
        let unit = try await server.createUnit(["kind": "district_office"])
        let unitID = unit["id"] as! String
        let session = try await makeSession(server, capacity: 10, ["starts_at": "2039-03-01T08:00:00+07:00", "ends_at": "2039-03-01T11:00:00+07:00"])
        for n in 0..<3 {
            let p = try await server.post(
                "/v1/training-sessions/\(session)/participants",
                ["full_name": "Cán bộ \(n)", "unit_id": unitID, "email": "cb\(n)-\(uniqueCode())@e.vn"])
            _ = try await server.patch(
                "/v1/training-sessions/\(session)/participants/\(p.json["id"] as! String)", ["attendance": n < 2 ? "present" : "absent"])
        }
        // Only a held session trains anybody (`trained_participants`).
        #expect(try await server.patch("/v1/training-sessions/\(session)", ["status": "held"]).status == 200)
        let media = try await server.post(
            "/v1/media-entries",
            mediaBody([
                "misinformation": true, "related_unit_id": unitID, "response_status": "responded",
                "response_note": "Đã đính chính", "responded_at": "2039-04-01T09:00:00+07:00",
            ]))
        #expect(media.status == 201, "\(media.text)")
        let report = try await server.post("/v1/reports", ["unit_id": unitID, "period_id": period, "values": ["trainings_attended": 5]])
        let path = "/v1/reports/\(report.json["id"] as! String)"
        let filled = try await server.request("POST", path + "/prefill")
        #expect(filled.status == 200, "\(filled.text)")
        let values = filled.json["values"] as? [String: Any] ?? [:]
        #expect(values["people_trained"] as? Double == 2)
        #expect(values["misinformation_rebutted"] as? Double == 1)
        #expect(values["trainings_attended"] as? Double == 5)  // entered by a person, kept
        #expect(Set(filled.json["prefilled"] as? [String] ?? []) == ["people_trained", "misinformation_rebutted", "assigned_tasks_done"])
        let corrected = try await server.patch(path, ["values": ["people_trained": 3]])
        #expect(!(corrected.json["prefilled"] as? [String] ?? []).contains("people_trained"))
    }
}
