import Foundation
import PQ
import TTDN
import TTDNKit
import TestSupport
import Testing
import ZIPFoundation

/// A period of its own (a window of March–May in a year no other test uses; an id of a year
/// whose active plan is this test's), three district offices under a parent of their own: A reported on
/// time, B late, C not at all; one session held with two people trained; two press items, one
/// misinformation rebutted.
private struct ConsolidationFixture {
    let period: String
    let parent: String
    let units: [String: String]
    let reports: [String: String]
    let plan: String
    let session: String
}

@Suite("Consolidated report to the City People's Committee")
struct ConsolidatedReportTests {
    /// Each test has its own window (`year`) and plan year (`planYear`), so tests running at the same time do not count each other's data.
    private func fixture(_ server: TestServer, year: Int, planYear: Int) async throws -> ConsolidationFixture {
        let period = try await overTimePeriod(server, year: String(planYear), starts: "\(year)-03-01", ends: "\(year)-05-31", due: "\(year)-06-05")
        let parent = try await overTimeUnit(server, parent: nil, kind: "department", "Sở thử nghiệm").id
        var units: [String: String] = [:]
        for name in ["A", "B", "C"] {
            units[name] = try await overTimeUnit(server, parent: parent, kind: "district_office", "Phòng GD&ĐT \(name)").id
        }
        var reports: [String: String] = [:]
        for (name, articles, section) in [("A", 10, "Đã đăng 10 bài về ASEAN."), ("B", 5, "Đã đăng 5 bài.")] {
            let id = try await overTimeReport(server, unit: units[name]!, period: period, values: ["articles_published": articles])
            let sections = [["title": "Kết quả nổi bật", "body": section]]
            #expect(try await server.patch("/v1/reports/\(id)", ["sections": sections]).status == 200)
            #expect(try await server.request("POST", "/v1/reports/\(id)/submit").status == 200)
            #expect(try await server.request("POST", "/v1/reports/\(id)/accept").status == 200)
            reports[name] = id
        }
        // A's report reached the office on 3 June (on time); B's is dated by its submission today (late).
        try await overTimeBackdate(server, report: reports["A"]!, receivedOn: "\(year)-06-03")

        let plan = try await server.post(
            "/v1/plans", ["year": planYear, "title": "Kế hoạch thử \(planYear) \(uniqueCode())", "issuing_unit_id": parent, "status": "active"])
        #expect(plan.status == 201)
        let planID = plan.json["id"] as! String
        _ = try await makeTask(server, plan: planID, code: "I.1", ["year": planYear])

        let session = try await makeSession(
            server, capacity: 10, ["starts_at": "\(year)-04-10T08:00:00+07:00", "ends_at": "\(year)-04-10T11:00:00+07:00", "expected_max": 120])
        for name in ["A", "B"] {
            let person = try await server.post(
                "/v1/training-sessions/\(session)/participants",
                ["full_name": "Cán bộ \(name)", "unit_id": units[name]!, "email": "cb-\(uniqueCode())@e.vn"])
            #expect(person.status == 201)
            #expect(
                try await server.patch("/v1/training-sessions/\(session)/participants/\(person.json["id"]!)", ["attendance": "present"]).status == 200
            )
        }
        #expect(try await server.patch("/v1/training-sessions/\(session)", ["status": "held"]).status == 200)
        let rumour = try await server.post(
            "/v1/media-entries",
            mediaBody([
                "published_at": "\(year)-04-01T09:00:00+07:00", "misinformation": true, "related_unit_id": units["A"]!,
                "response_status": "responded", "response_note": "Đã đính chính", "responded_at": "\(year)-04-02T09:00:00+07:00",
            ]))
        #expect(rumour.status == 201, "\(rumour.text)")
        #expect(try await server.post("/v1/media-entries", mediaBody(["published_at": "\(year)-04-03T09:00:00+07:00"])).status == 201)
        // Closed: who was expected is a snapshot, so the overall counts hold while other tests add units.
        #expect(try await server.post("/v1/report-periods/\(period)/close", ["comment": "Tổng hợp"]).status == 200)
        return ConsolidationFixture(
            period: period, parent: parent, units: units, reports: reports, plan: planID, session: session)
    }

    @Test func figuresComeFromTheFixtureWithTheirProvenance() async throws {
        let server = try await TestServer.get()
        let f = try await fixture(server, year: 2019, planYear: 2052)
        let created = try await server.post("/v1/consolidated-reports", ["period_id": f.period])
        #expect(created.status == 201, "\(created.text)")
        #expect(created.json["status"] as? String == "draft")
        let figures = try #require(created.json["figures"] as? [String: Any])

        let compliance = try #require(figures["compliance"] as? [String: Any])
        #expect(compliance["submitted"] as? Int == 2)
        #expect(compliance["on_time"] as? Int == 1)
        #expect(compliance["late"] as? Int == 1)
        #expect(compliance["accepted"] as? Int == 2)
        let endpoint = try await server.get("/v1/aggregates/report-compliance?period_id=\(f.period)")
        let overall = try #require(endpoint.json["overall"] as? [String: Any])
        #expect(compliance["expected"] as? Int == overall["expected"] as? Int)
        #expect(compliance["missing"] as? Int == (overall["expected"] as! Int) - 2)
        let missing = (compliance["missing_units"] as? [[String: Any]] ?? []).compactMap { $0["unit_id"] as? String }
        #expect(missing.contains(f.units["C"]!))
        #expect(!missing.contains(f.units["A"]!) && !missing.contains(f.units["B"]!))

        let indicators = try #require(figures["indicators"] as? [[String: Any]])
        let articles = try #require(indicators.first { $0["code"] as? String == "articles_published" })
        #expect(overTimeNumber(articles["total"]) == 15)
        #expect(articles["reports"] as? Int == 2)
        #expect(Set(articles["report_ids"] as? [String] ?? []) == [f.reports["A"]!, f.reports["B"]!])

        let tasks = try #require(figures["tasks"] as? [[String: Any]])
        let plan = try #require(tasks.first { $0["plan_id"] as? String == f.plan })
        #expect((plan["work_items"] as? [String: Any])?["total"] as? Int == 1)
        #expect((plan["work_items"] as? [String: Any])?["in_progress_on_time"] as? Int == 1)
        #expect(plan["as_of"] as? String == "2019-05-31")

        let trainings = try #require(figures["trainings"] as? [String: Any])
        #expect(trainings["held"] as? Int == 1)
        #expect(trainings["people_trained"] as? Int == 2)
        let session = try #require((trainings["sessions"] as? [[String: Any]])?.first)
        #expect(session["session_id"] as? String == f.session)
        #expect(session["held_on"] as? String == "2019-04-10")
        #expect(overTimeNumber(session["fill_rate"]) == 0.017)

        let media = try #require(figures["media"] as? [String: Any])
        #expect(media["entries"] as? Int == 2)
        #expect(media["misinformation"] as? Int == 1)
        #expect(media["rebutted"] as? Int == 1)

        // The unit reports it came from, and the narrative drafted from their sections, each naming its unit.
        let sources = try #require(created.json["sources"] as? [[String: Any]])
        #expect(Set(sources.compactMap { $0["report_id"] as? String }) == [f.reports["A"]!, f.reports["B"]!])
        let sections = try #require(created.json["sections"] as? [[String: Any]])
        #expect(sections.map { $0["title"] as? String } == ["Kết quả nổi bật"])
        let body = sections.first?["body"] as? String ?? ""
        #expect(body.contains("Phòng GD&ĐT A") && body.contains("Đã đăng 10 bài về ASEAN."))
        #expect(body.contains("Phòng GD&ĐT B") && body.contains("Đã đăng 5 bài."))

        // The CSV of the figures says what the JSON says.
        let id = created.json["id"] as! String
        let csv = ColumnListTests.rows(try await server.get("/v1/consolidated-reports/\(id)/figures", headers: ["Accept": "text/csv"]).text)
        #expect(csv.first == ["section", "key", "label", "value", "target", "sources"])
        func csvValue(_ section: String, _ key: String) -> String? { csv.first { $0.count > 3 && $0[0] == section && $0[1] == key }?[3] }
        #expect(csvValue("indicator", "articles_published") == "15")
        #expect(csvValue("compliance", "submitted") == "2")
        #expect(csvValue("compliance", "expected") == String(compliance["expected"] as! Int))
        #expect(csvValue("trainings", "people_trained") == "2")
        #expect(csvValue("media", "rebutted") == "1")
        #expect(csv.contains { $0.count > 5 && $0[0] == "tasks" && $0[1] == "work_items.total" && $0[3] == "1" && $0[5] == f.plan })
        // One per period: a second draft is refused, naming the first.
        let again = try await server.post("/v1/consolidated-reports", ["period_id": f.period])
        #expect(again.status == 409)
        #expect(again.json["existing_id"] as? String == id)
    }

    @Test func workflowFreezesWhatWasSentAndSaysWhatChangedSince() async throws {
        let server = try await TestServer.get()
        let f = try await fixture(server, year: 2018, planYear: 2053)
        let id = try #require(try await server.post("/v1/consolidated-reports", ["period_id": f.period]).json["id"] as? String)
        let path = "/v1/consolidated-reports/\(id)"
        let editor = try await server.token(.editor, unit: f.units["A"])
        #expect(try await server.request("POST", "\(path)/approve", token: editor).status == 403)
        #expect(try await server.request("POST", "\(path)/send").status == 409)
        let number = "\(Int.random(in: 100...999_999))/BC-SGDĐT"
        let edited = try await server.patch(
            path,
            [
                "number": number, "signer": "Nguyễn Văn Thử", "signer_title": "Giám đốc",
                "recipients": ["UBND thành phố (để b/c)", "Sở Thông tin và Truyền thông", "Lưu: VT, VP"],
            ])
        #expect(edited.status == 200, "\(edited.text)")
        #expect(try await server.request("POST", "\(path)/approve").status == 200)
        #expect(try await server.patch(path, ["title": "Sửa sau khi duyệt"]).status == 409)
        let sent = try await server.request("POST", "\(path)/send", json: ["sent_on": "2018-06-10"])
        #expect(sent.status == 200, "\(sent.text)")
        #expect(sent.json["status"] as? String == "sent")
        #expect(sent.json["changed_since_sent"] as? [Any] != nil)
        #expect((sent.json["changed_since_sent"] as? [Any])?.isEmpty == true)
        let frozenFigures = try await server.get("\(path)/figures").text
        // Frozen: no edit, refresh, return or delete; in the database too.
        #expect(try await server.patch(path, ["title": "Sửa sau khi gửi"]).status == 409)
        #expect(try await server.request("POST", "\(path)/refresh").status == 409)
        #expect(try await server.request("POST", "\(path)/return").status == 409)
        #expect(try await server.delete(path).status == 409)
        await #expect(throws: PQError.self) {
            _ = try await server.pool.query("UPDATE consolidated_reports SET title = 'x' WHERE id = \(UUID(uuidString: id)!)")
        }

        // A's report is reopened and changed afterwards: the sent report says so and keeps its figures.
        #expect(try await server.post("/v1/report-periods/\(f.period)/reopen", ["comment": "Đơn vị A bổ sung"]).status == 200)
        #expect(try await server.request("POST", "/v1/reports/\(f.reports["A"]!)/return", json: ["comment": "Bổ sung"]).status == 200)
        #expect(try await server.patch("/v1/reports/\(f.reports["A"]!)", ["values": ["articles_published": 12]]).status == 200)
        let after = try await server.get(path)
        let changes = try #require(after.json["changed_since_sent"] as? [[String: Any]])
        #expect(changes.count == 1)
        #expect(changes.first?["change"] as? String == "changed")
        #expect(changes.first?["report_id"] as? String == f.reports["A"])
        #expect(changes.first?["status_now"] as? String == "returned")
        #expect(try await server.get("\(path)/figures").text == frozenFigures)

        // A corrected version: revision 2, its own number, figures of now (A no longer accepted).
        let revised = try await server.request("POST", "\(path)/revise")
        #expect(revised.status == 201, "\(revised.text)")
        #expect(revised.json["revision"] as? Int == 2)
        #expect(revised.json["revises_id"] as? String == id)
        #expect(revised.json["number"] is NSNull)
        #expect(revised.json["recipients"] as? [String] == ["UBND thành phố (để b/c)", "Sở Thông tin và Truyền thông", "Lưu: VT, VP"])
        let indicators = (revised.json["figures"] as? [String: Any])?["indicators"] as? [[String: Any]] ?? []
        let articles = indicators.first { $0["code"] as? String == "articles_published" }
        #expect(overTimeNumber(articles?["total"]) == 5)
        #expect(articles?["report_ids"] as? [String] == [f.reports["B"]!])
        #expect(try await server.request("POST", "\(path)/revise").status == 409)
        let second = "/v1/consolidated-reports/\(revised.json["id"] as! String)"
        #expect(try await server.patch(second, ["number": number]).status == 422)
        #expect(try await server.get("/v1/consolidated-reports?period_id=\(f.period)").items.map { $0["revision"] as? Int } == [1, 2])
    }

    @Test func theDocumentFollowsDecree30() async throws {
        let server = try await TestServer.get()
        let f = try await fixture(server, year: 2017, planYear: 2054)
        let id = try #require(
            try await server.post(
                "/v1/consolidated-reports",
                ["period_id": f.period, "signer": "Nguyễn Văn Thử", "recipients": ["UBND thành phố", "Lưu: VT"]]
            ).json["id"] as? String)
        let number = "\(Int.random(in: 100...999_999))/BC-SGDĐT"
        #expect(try await server.request("POST", "/v1/consolidated-reports/\(id)/approve").status == 200)
        #expect(
            try await server.request("POST", "/v1/consolidated-reports/\(id)/send", json: ["number": number, "sent_on": "2017-06-07"]).status == 200)
        let answer = try await server.get("/v1/consolidated-reports/\(id)/document")
        #expect(answer.status == 200)
        #expect(answer.header("Content-Type") == "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        #expect(answer.header("Content-Disposition")?.contains(".docx") == true)
        let archive = try Archive(data: answer.body, accessMode: .read)
        #expect(archive["[Content_Types].xml"] != nil)
        var xml = Data()
        _ = try archive.extract(try #require(archive["word/document.xml"])) { xml.append($0) }
        let text = String(decoding: xml, as: UTF8.self)
        for expected in [
            "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "SỞ GIÁO DỤC VÀ ĐÀO TẠO", "Số: \(number)",
            "Hải Phòng, ngày 07 tháng 6 năm 2017", "BÁO CÁO", "Nơi nhận:", "- UBND thành phố", "Nguyễn Văn Thử", "GIÁM ĐỐC",
            "Tổng hợp từ các báo cáo đã được Sở chấp nhận", ">15<", "Phòng GD&amp;ĐT A",
        ] {
            #expect(text.contains(expected), "document.xml lacks \(expected)")
        }
        #expect(text == text.precomposedStringWithCanonicalMapping)
        #expect(!text.contains("DỰ THẢO"))
    }
}
