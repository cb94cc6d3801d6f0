import Foundation
import TTDN
import TTDNKit
import TestSupport
import Testing

@Suite("Events calendar")
struct EventTests {
    @Test func anniversariesOf2023MatchThePlan() async throws {
        let server = try await TestServer.get()
        let answer = try await server.get("/v1/events/occurrences?from=2023-01-01&to=2023-12-31")
        #expect(answer.status == 200)
        var byCode: [String: [String: Any]] = [:]
        for item in answer.items { if let code = item["code"] as? String { byCode[code] = item } }
        #expect(byCode["DCSVN-0302"]?["anniversary"] as? Int == 93)
        #expect(byCode["HCM-1905"]?["anniversary"] as? Int == 133)
        #expect(byCode["CMT8-1908"]?["anniversary"] as? Int == 78)
        #expect(byCode["GPHP-1305"]?["anniversary"] as? Int == 68)
        #expect(byCode["ASEAN-0808"]?["anniversary"] as? Int == 56)
        #expect(byCode["ASEAN-WEEK"]?["date"] as? String == "2023-07-28")
        #expect(byCode["ASEAN-WEEK"]?["end_date"] as? String == "2023-08-08")
        #expect(byCode["TET-QUYMAO-2023"]?["date"] as? String == "2023-01-22")
        let dates = answer.items.compactMap { $0["date"] as? String }
        #expect(dates == dates.sorted())
        let in2024 = try await server.get("/v1/events/occurrences?from=2024-01-01&to=2024-12-31")
        #expect(!in2024.items.contains { $0["code"] as? String == "TET-QUYMAO-2023" })
        #expect(in2024.items.first { $0["code"] as? String == "DCSVN-0302" }?["anniversary"] as? Int == 94)
    }

    @Test func yearlyRangesAndOneOffEventsExpand() async throws {
        let server = try await TestServer.get()
        let wrap = try await server.post(
            "/v1/events",
            [
                "title": "Chiến dịch cuối năm", "kind": "campaign", "recurrence": "yearly",
                "month": 12, "day": 20, "end_month": 1, "end_day": 10,
            ])
        #expect(wrap.status == 201)
        let conference = try await server.post(
            "/v1/events",
            [
                "title": "Hội thảo hợp tác Lào - Campuchia", "kind": "conference",
                "recurrence": "once", "starts_on": "2023-10-02", "ends_on": "2023-10-03",
                "founding_year": 2023,
            ])
        #expect(conference.status == 201)
        let january = try await server.get("/v1/events/occurrences?from=2024-01-05&to=2024-01-06")
        let wrapped = january.items.first { $0["event_id"] as? String == wrap.json["id"] as? String }
        #expect(wrapped?["date"] as? String == "2023-12-20")
        #expect(wrapped?["end_date"] as? String == "2024-01-10")
        let october = try await server.get("/v1/events/occurrences?from=2023-10-03&to=2023-10-03")
        #expect(october.items.contains { $0["event_id"] as? String == conference.json["id"] as? String })
        let badSchedule = try await server.post("/v1/events", ["title": "Sai", "kind": "campaign", "recurrence": "yearly", "month": 2, "day": 30])
        #expect(badSchedule.status == 422)
        #expect(badSchedule.errorFields == ["recurrence"])
        let onceWithoutDate = try await server.post("/v1/events", ["title": "Sai", "kind": "conference", "recurrence": "once"])
        #expect(onceWithoutDate.status == 422)
        #expect(try await server.get("/v1/events/occurrences?from=2023-05-01&to=2023-01-01").status == 400)
    }

    @Test func icsFeedIsICalendar() async throws {
        let server = try await TestServer.get()
        let feed = try await server.get("/v1/events.ics?from=2023-01-01&to=2023-12-31")
        #expect(feed.status == 200)
        #expect(feed.header("Content-Type")?.hasPrefix("text/calendar") == true)
        #expect(feed.text.hasPrefix("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"))
        #expect(feed.text.contains("DTSTART;VALUE=DATE:20230203\r\n"))
        #expect(feed.text.contains("DTSTART;VALUE=DATE:20230728\r\nDTEND;VALUE=DATE:20230809\r\n"))
        #expect(feed.text.split(separator: "\r\n").allSatisfy { $0.utf8.count <= 75 })
    }

    @Test func editorsKeepTheirOwnUnitsEventsBesideTheCityWideCalendar() async throws {
        let server = try await TestServer.get()
        let school = try await server.createUnit()["id"] as! String
        let other = try await server.createUnit()["id"] as! String
        let editor = try await server.token(.editor, unit: school)
        let otherEditor = try await server.token(.editor, unit: other)
        let asean = ["title": "Tuần lễ ASEAN tại trường", "kind": "festival", "recurrence": "once", "starts_on": "2023-08-07"]
        let own = try await server.post("/v1/events", asean, token: editor)
        #expect(own.status == 201, "\(own.text)")
        #expect(own.json["organiser_unit_id"] as? String == school)
        let theirs = try await server.post("/v1/events", asean.merging(["title": "Ngày hội khác"]) { $1 }, token: otherEditor)
        #expect(theirs.status == 201)
        var cityWide = asean as [String: Any]
        cityWide["organiser_unit_id"] = NSNull()
        #expect(try await server.post("/v1/events", cityWide, token: editor).status == 403)
        #expect(try await server.post("/v1/events", asean.merging(["organiser_unit_id": other]) { $1 }, token: editor).status == 403)
        let path = "/v1/events/\(own.json["id"] as! String)"
        #expect(try await server.patch(path, ["title": "Đổi"], token: otherEditor).status == 403)
        #expect(try await server.patch(path, ["organiser_unit_id": NSNull()], token: editor).status == 403)
        #expect(try await server.patch(path, ["description": "Triển lãm ảnh ASEAN"], token: editor).status == 200)
        let seeded = try await server.get("/v1/events?limit=100").items.first { $0["code"] as? String == "ASEAN-0808" }
        #expect(try await server.patch("/v1/events/\(seeded?["id"] as! String)", ["title": "X"], token: editor).status == 403)

        // The school's calendar: its own event and the city-wide ones, not another school's.
        let calendar = try await server.get("/v1/events/occurrences?from=2023-08-01&to=2023-08-31&unit_id=\(school)")
        let titles = Set(calendar.items.compactMap { $0["title"] as? String })
        #expect(titles.contains("Tuần lễ ASEAN tại trường"))
        #expect(!titles.contains("Ngày hội khác"))
        #expect(calendar.items.contains { $0["code"] as? String == "ASEAN-0808" })
        let feed = try await server.get("/v1/events.ics?from=2023-08-01&to=2023-08-31&unit_id=\(school)")
        #expect(feed.text.contains("Tuần lễ ASEAN tại trường"))
        #expect(!feed.text.contains("Ngày hội khác"))
        #expect(try await server.delete(path, token: otherEditor).status == 403)
        #expect(try await server.delete(path, token: editor).status == 204)
    }
}
