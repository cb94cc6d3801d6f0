import Foundation
import PQ
import TTDN
import TTDNKit
import TestSupport
import Testing

@Suite("Reporting over time")
struct ReportingOverTimeTests {
    /// One parent with units across the 2025 reform, a period with a 2023 window and one with a
    /// 2025 window: who is expected, on time, late, missing and accepted, in JSON and CSV.
    @Test func fixtureYearAcrossThe2025Reform() async throws {
        let server = try await TestServer.get()
        let today = overTimeToday()
        let p23 = try await overTimePeriod(server, year: "2091", starts: "2022-11-01", ends: "2023-04-30", due: "2023-05-05")
        let p25 = try await overTimePeriod(server, year: "2092", starts: "2024-11-01", ends: "2025-10-31", due: "2025-11-05")
        let parent = try await server.createUnit(["kind": "department_office", "name": "Phòng thử nghiệm \(uniqueCode())"])["id"] as! String
        // A, B, F, G: no dates (expected in both); C ends 2025-06-30, D succeeds it from 2025-07-01; E from 2025-01-01.
        let a = try await overTimeUnit(server, parent: parent, kind: "high_school", "Trường THPT A")
        let b = try await overTimeUnit(server, parent: parent, kind: "high_school", "Trường THPT B")
        let d = try await overTimeUnit(server, parent: parent, kind: "district_office", "Phòng GD mới D", ["valid_from": "2025-07-01"])
        let c = try await overTimeUnit(
            server, parent: parent, kind: "district_office", "Phòng GD cũ C", ["valid_to": "2025-06-30", "successor_id": d.id])
        let e = try await overTimeUnit(server, parent: parent, kind: "high_school", "Trường THPT E", ["valid_from": "2025-01-01"])
        let f = try await overTimeUnit(server, parent: parent, kind: "district_office", "Phòng GD F")
        let g = try await overTimeUnit(server, parent: parent, kind: "district_office", "Phòng GD G")
        let editorA = try await server.token(.editor, unit: a.id)

        // Units outside a window cannot report for it.
        let dIn2023 = try await server.post("/v1/reports", ["unit_id": d.id, "period_id": p23, "values": ["articles_published": 1]])
        #expect(dIn2023.status == 422, "\(dIn2023.text)")
        #expect(dIn2023.errorFields.contains("unit_id"), "\(dIn2023.text)")
        let eIn2023 = try await server.post("/v1/reports", ["unit_id": e.id, "period_id": p23, "values": ["articles_published": 1]])
        #expect(eIn2023.status == 422, "\(eIn2023.text)")
        let cIn2025 = try await server.post("/v1/reports", ["unit_id": c.id, "period_id": p25, "values": ["articles_published": 1]])
        #expect(cIn2025.status == 422, "\(cIn2025.text)")

        // --- The 2023 window ---
        // A: on line (by its editor), received 2023-05-03 (on time), accepted; 5 articles.
        let a23 = try await overTimeReport(server, unit: a.id, period: p23, values: ["articles_published": 5], token: editorA)
        let a23Submitted = try await server.request("POST", "/v1/reports/\(a23)/submit", token: editorA)
        #expect(a23Submitted.status == 200, "\(a23Submitted.text)")
        #expect(a23Submitted.json["received_on"] as? String == today, "\(a23Submitted.text)")
        #expect(a23Submitted.json["received_via"] as? String == "system", "\(a23Submitted.text)")
        try await overTimeBackdate(server, report: a23, receivedOn: "2023-05-03")
        let a23Accepted = try await server.request("POST", "/v1/reports/\(a23)/accept")
        #expect(a23Accepted.status == 200, "\(a23Accepted.text)")
        #expect(a23Accepted.json["on_time"] as? Bool == true, "\(a23Accepted.text)")

        // B: typed in today, but the paper reached the office on 2023-05-04 (on time); accepted; 7 articles.
        let b23 = try await overTimeReport(server, unit: b.id, period: p23, values: ["articles_published": 7])
        let b23Submitted = try await server.request("POST", "/v1/reports/\(b23)/submit")
        #expect(b23Submitted.status == 200, "\(b23Submitted.text)")
        #expect(b23Submitted.json["on_time"] as? Bool == false, "\(b23Submitted.text)")  // received today, long after 2023-05-05
        let b23Receipt = try await server.post(
            "/v1/reports/\(b23)/receipt",
            [
                "received_on": "2023-05-04", "received_via": "paper", "incoming_number": "123/PGD",
                "evidence": "Bản giấy, quét vào e-Office hồ sơ 4567",
            ])
        #expect(b23Receipt.status == 200, "\(b23Receipt.text)")
        #expect(b23Receipt.json["received_on"] as? String == "2023-05-04", "\(b23Receipt.text)")
        #expect(b23Receipt.json["received_via"] as? String == "paper", "\(b23Receipt.text)")
        #expect(b23Receipt.json["incoming_number"] as? String == "123/PGD", "\(b23Receipt.text)")
        #expect(b23Receipt.json["receipt_evidence"] as? String == "Bản giấy, quét vào e-Office hồ sơ 4567", "\(b23Receipt.text)")
        #expect(b23Receipt.json["on_time"] as? Bool == true, "\(b23Receipt.text)")
        let b23Accepted = try await server.request("POST", "/v1/reports/\(b23)/accept")
        #expect(b23Accepted.status == 200, "\(b23Accepted.text)")
        #expect(try await server.auditActions("reports", id: b23) == ["create", "submit", "receipt", "accept"])

        // C: on line, received 2023-05-03, returned, corrected (2 → 3 articles) and resubmitted: keeps its first receipt.
        let c23 = try await overTimeReport(server, unit: c.id, period: p23, values: ["articles_published": 2])
        #expect(try await server.request("POST", "/v1/reports/\(c23)/submit").status == 200)
        try await overTimeBackdate(server, report: c23, receivedOn: "2023-05-03")
        let c23Returned = try await server.request("POST", "/v1/reports/\(c23)/return", json: ["comment": "Bổ sung số liệu bài viết"])
        #expect(c23Returned.status == 200, "\(c23Returned.text)")
        let c23Corrected = try await server.patch("/v1/reports/\(c23)", ["values": ["articles_published": 3]])
        #expect(c23Corrected.status == 200, "\(c23Corrected.text)")
        let c23Resubmitted = try await server.request("POST", "/v1/reports/\(c23)/submit")
        #expect(c23Resubmitted.status == 200, "\(c23Resubmitted.text)")
        #expect(c23Resubmitted.json["received_on"] as? String == "2023-05-03", "\(c23Resubmitted.text)")
        #expect(c23Resubmitted.json["received_via"] as? String == "system", "\(c23Resubmitted.text)")
        #expect(c23Resubmitted.json["on_time"] as? Bool == true, "\(c23Resubmitted.text)")

        // F: on line today, the paper arrived 2023-05-20 (late); accepted; 4 articles.
        let f23 = try await overTimeReport(server, unit: f.id, period: p23, values: ["articles_published": 4])
        #expect(try await server.request("POST", "/v1/reports/\(f23)/submit").status == 200)
        let f23Receipt = try await server.post(
            "/v1/reports/\(f23)/receipt",
            ["received_on": "2023-05-20", "received_via": "paper", "incoming_number": "88/PGD", "evidence": "Sổ công văn đến số 88"])
        #expect(f23Receipt.status == 200, "\(f23Receipt.text)")
        #expect(f23Receipt.json["on_time"] as? Bool == false, "\(f23Receipt.text)")
        #expect(try await server.request("POST", "/v1/reports/\(f23)/accept").status == 200)
        // G sends nothing for 2023.

        // --- The 2025 window ---
        // A: on line, received 2025-11-03 (on time), accepted, then reopened (returned); 10 articles.
        let a25 = try await overTimeReport(server, unit: a.id, period: p25, values: ["articles_published": 10], token: editorA)
        #expect(try await server.request("POST", "/v1/reports/\(a25)/submit", token: editorA).status == 200)
        try await overTimeBackdate(server, report: a25, receivedOn: "2025-11-03")
        #expect(try await server.request("POST", "/v1/reports/\(a25)/accept").status == 200)
        let reopenedWithoutComment = try await server.request("POST", "/v1/reports/\(a25)/return")
        #expect(reopenedWithoutComment.status == 422, "\(reopenedWithoutComment.text)")
        let reopened = try await server.request("POST", "/v1/reports/\(a25)/return", json: ["comment": "Mở lại: số liệu quý IV chưa khớp"])
        #expect(reopened.status == 200, "\(reopened.text)")
        #expect(reopened.json["status"] as? String == "returned", "\(reopened.text)")
        #expect(!(reopened.json["accepted_at"] is String), "\(reopened.text)")
        let history = (reopened.json["history"] as? [[String: Any]] ?? []).map { "\($0["from_status"] ?? "")>\($0["to_status"] ?? "")" }
        #expect(history == ["draft>submitted", "submitted>accepted", "accepted>returned"], "\(reopened.text)")
        #expect((reopened.json["history"] as? [[String: Any]])?.last?["comment"] as? String == "Mở lại: số liệu quý IV chưa khớp")
        #expect(try await server.auditActions("reports", id: a25) == ["create", "submit", "accept", "return"])

        // D: on line today (late: due 2025-11-05), accepted; 6 articles.
        let d25 = try await overTimeReport(server, unit: d.id, period: p25, values: ["articles_published": 6])
        #expect(try await server.request("POST", "/v1/reports/\(d25)/submit").status == 200)
        #expect(try await server.request("POST", "/v1/reports/\(d25)/accept").status == 200)
        // E: on line, received on the due day 2025-11-05 (on time), accepted; 8 articles.
        let e25 = try await overTimeReport(server, unit: e.id, period: p25, values: ["articles_published": 8])
        #expect(try await server.request("POST", "/v1/reports/\(e25)/submit").status == 200)
        try await overTimeBackdate(server, report: e25, receivedOn: "2025-11-05")
        #expect(try await server.request("POST", "/v1/reports/\(e25)/accept").status == 200)
        // F: only a draft (missing); B and G: nothing (missing).
        _ = try await overTimeReport(server, unit: f.id, period: p25, values: ["articles_published": 2])

        /// Compliance and summary of one period for the parent, checked against the literals, JSON and CSV.
        struct Expected {
            let expected, submitted, onTime, late, missing, accepted: Int
            let missingUnits: Set<String>
            let completeness, timeliness: Double
            let articles: Double
            let articleReports: Int
            let articlesWithSubmitted: Double
            let articleReportsWithSubmitted: Int
        }
        func check(_ period: String, _ want: Expected) async throws -> (compliance: String, summary: String) {
            let compliance = try await server.get("/v1/aggregates/report-compliance?period_id=\(period)")
            #expect(compliance.status == 200, "\(compliance.text)")
            #expect(compliance.json["closed"] as? Bool == false, "\(compliance.text)")
            let entry = try overTimeUnwrap(overTimeParentEntry(compliance.json, parent), "\(compliance.text)")
            #expect(entry["expected"] as? Int == want.expected, "\(period): \(entry)")
            #expect(entry["submitted"] as? Int == want.submitted, "\(period): \(entry)")
            #expect(entry["on_time"] as? Int == want.onTime, "\(period): \(entry)")
            #expect(entry["late"] as? Int == want.late, "\(period): \(entry)")
            #expect(entry["missing"] as? Int == want.missing, "\(period): \(entry)")
            #expect(entry["accepted"] as? Int == want.accepted, "\(period): \(entry)")
            #expect(overTimeMissing(entry) == want.missingUnits, "\(period): \(entry)")
            #expect(overTimeNumber(entry["completeness"]) == want.completeness, "\(period): \(entry)")
            #expect(overTimeNumber(entry["timeliness"]) == want.timeliness, "\(period): \(entry)")

            let complianceCSV = try await server.get("/v1/aggregates/report-compliance?period_id=\(period)", headers: ["Accept": "text/csv"])
            #expect(complianceCSV.status == 200, "\(complianceCSV.text)")
            #expect(complianceCSV.header("Content-Type")?.hasPrefix("text/csv") == true)
            let row = try overTimeUnwrap(
                overTimeCSV(complianceCSV.text).first { $0["scope"] == "parent_unit" && $0["key"] == parent }, "\(complianceCSV.text)")
            for column in ["expected", "submitted", "on_time", "late", "missing", "accepted"] {
                #expect(row[column].flatMap { Int($0) } == entry[column] as? Int, "\(period) CSV \(column): \(row)")
            }
            for column in ["completeness", "timeliness"] {
                #expect(row[column].flatMap { Double($0) } == overTimeNumber(entry[column]), "\(period) CSV \(column): \(row)")
            }
            #expect(Set((row["missing_units"] ?? "").split(separator: " ").map(String.init)) == want.missingUnits, "\(period) CSV: \(row)")

            let summary = try await server.get("/v1/aggregates/report-summary?period_id=\(period)")
            #expect(summary.status == 200, "\(summary.text)")
            let articles = try overTimeUnwrap(overTimeSummaryEntry(summary.json, "articles_published", parent), "\(summary.text)")
            #expect(overTimeNumber(articles["total"]) == want.articles, "\(period): \(articles)")
            #expect(articles["reports"] as? Int == want.articleReports, "\(period): \(articles)")
            // Every accepted report has articles_published: both aggregates count the same reports.
            #expect(articles["reports"] as? Int == entry["accepted"] as? Int, "\(period): \(articles) vs \(entry)")
            #expect((articles["report_ids"] as? [String])?.count == want.articleReports, "\(period): \(articles)")

            let summaryCSV = try await server.get("/v1/aggregates/report-summary?period_id=\(period)", headers: ["Accept": "text/csv"])
            #expect(summaryCSV.status == 200, "\(summaryCSV.text)")
            let line = try overTimeUnwrap(
                overTimeCSV(summaryCSV.text).first {
                    $0["indicator"] == "articles_published" && $0["scope"] == "parent_unit" && $0["key"] == parent
                }, "\(summaryCSV.text)")
            #expect(line["total"].flatMap { Double($0) } == want.articles, "\(period) CSV: \(line)")
            #expect(line["reports"].flatMap { Int($0) } == want.articleReports, "\(period) CSV: \(line)")
            #expect(Set((line["report_ids"] ?? "").split(separator: " ").map(String.init)) == Set(articles["report_ids"] as? [String] ?? []))

            let withSubmitted = try await server.get("/v1/aggregates/report-summary?period_id=\(period)&include_submitted=true")
            #expect(withSubmitted.status == 200, "\(withSubmitted.text)")
            let all = try overTimeUnwrap(overTimeSummaryEntry(withSubmitted.json, "articles_published", parent), "\(withSubmitted.text)")
            #expect(overTimeNumber(all["total"]) == want.articlesWithSubmitted, "\(period): \(all)")
            #expect(all["reports"] as? Int == want.articleReportsWithSubmitted, "\(period): \(all)")
            return (overTimeCanonical(entry), overTimeCanonical(articles))
        }

        // 2023: expected A, B, C, F, G = 5; submitted A, B, C, F = 4; on time A (05-03), B (05-04), C (05-03) = 3;
        // late F (05-20) = 1; missing G = 1; accepted A, B, F = 3; completeness 4/5 = 0.8, timeliness 3/5 = 0.6;
        // accepted articles 5 + 7 + 4 = 16 in 3 reports; with submitted C: 16 + 3 = 19 in 4.
        let want23 = Expected(
            expected: 5, submitted: 4, onTime: 3, late: 1, missing: 1, accepted: 3, missingUnits: [g.code], completeness: 0.8,
            timeliness: 0.6, articles: 16, articleReports: 3, articlesWithSubmitted: 19, articleReportsWithSubmitted: 4)
        // 2025: expected A, B, D, E, F, G = 6; submitted A (returned), D, E = 3; on time A (11-03), E (11-05) = 2;
        // late D (today) = 1; missing B, F (draft), G = 3; accepted D, E = 2; completeness 3/6 = 0.5, timeliness 2/6 = 0.3333;
        // accepted articles 6 + 8 = 14 in 2 reports; the returned A is not counted even with submitted ones: 14 in 2.
        let want25 = Expected(
            expected: 6, submitted: 3, onTime: 2, late: 1, missing: 3, accepted: 2, missingUnits: [b.code, f.code, g.code],
            completeness: 0.5, timeliness: 0.3333, articles: 14, articleReports: 2, articlesWithSubmitted: 14, articleReportsWithSubmitted: 2)
        let before23 = try await check(p23, want23)
        let before25 = try await check(p25, want25)

        // By unit in 2025: D 6 and E 8; the reopened A is not there.
        let summary25 = try await server.get("/v1/aggregates/report-summary?period_id=\(p25)")
        let byUnit = overTimeIndicator(summary25.json, "articles_published")?["by_unit"] as? [[String: Any]] ?? []
        #expect(overTimeNumber(byUnit.first { $0["key"] as? String == d.id }?["total"]) == 6, "\(summary25.text)")
        #expect(overTimeNumber(byUnit.first { $0["key"] as? String == e.id }?["total"]) == 8, "\(summary25.text)")
        #expect(byUnit.first { $0["key"] as? String == a.id } == nil, "\(summary25.text)")

        // F closes today: the flag changes nothing of either period.
        let deactivated = try await server.patch("/v1/units/\(f.id)", ["active": false])
        #expect(deactivated.status == 200, "\(deactivated.text)")
        #expect(deactivated.json["active"] as? Bool == false, "\(deactivated.text)")
        let after23 = try await check(p23, want23)
        let after25 = try await check(p25, want25)
        #expect(after23.compliance == before23.compliance)
        #expect(after23.summary == before23.summary)
        #expect(after25.compliance == before25.compliance)
        #expect(after25.summary == before25.summary)
    }

    /// A closed period keeps the units expected when it closed, and none of its reports change.
    @Test func closedPeriodComplianceIgnoresLaterUnitEdits() async throws {
        let server = try await TestServer.get()
        // Closing snapshots every unit expected for the period, city-wide, and a unit in a snapshot can no longer be
        // deleted. A window in 1999 keeps other tests' units (which report from 2000-01-01 or later) out of it: only
        // this test's units, valid (and so reporting) from 1990, are expected.
        let period = try await overTimePeriod(server, year: "2000", starts: "1999-01-01", ends: "1999-06-30", due: "1999-07-05")
        let parent = try await server.createUnit(["kind": "department_office", "name": "Phòng thử nghiệm \(uniqueCode())"])["id"] as! String
        let since1990: [String: Any] = ["valid_from": "1990-01-01"]
        let u1 = try await overTimeUnit(server, parent: parent, kind: "high_school", "Trường THPT U1", since1990)
        let u2 = try await overTimeUnit(server, parent: parent, kind: "high_school", "Trường THPT U2", since1990)
        let u3 = try await overTimeUnit(server, parent: parent, kind: "high_school", "Trường THPT U3", since1990)
        let u4 = try await overTimeUnit(server, parent: parent, kind: "district_office", "Phòng GD U4", since1990)
        // U1 accepted; U2 submitted, its paper received on 1999-07-01 (on time); U3 a draft; U4 nothing.
        let r1 = try await overTimeReport(server, unit: u1.id, period: period, values: ["articles_published": 1])
        #expect(try await server.request("POST", "/v1/reports/\(r1)/submit").status == 200)
        #expect(try await server.request("POST", "/v1/reports/\(r1)/accept").status == 200)
        let r2 = try await overTimeReport(server, unit: u2.id, period: period, values: ["articles_published": 2])
        #expect(try await server.request("POST", "/v1/reports/\(r2)/submit").status == 200)
        let receipt = try await server.post(
            "/v1/reports/\(r2)/receipt",
            ["received_on": "1999-07-01", "received_via": "e_office", "incoming_number": "12/SGD", "evidence": "e-Office văn bản đến 12"])
        #expect(receipt.status == 200, "\(receipt.text)")
        let r3 = try await overTimeReport(server, unit: u3.id, period: period, values: ["articles_published": 3])

        let open = try await server.get("/v1/aggregates/report-compliance?period_id=\(period)")
        #expect(open.status == 200, "\(open.text)")
        let before = try #require(overTimeParentEntry(open.json, parent), "\(open.text)")
        // U1..U4 are the city's only units expected for a 1999 window.
        #expect((open.json["overall"] as? [String: Any])?["expected"] as? Int == 4, "\(open.text)")
        // expected U1..U4 = 4; submitted U1, U2 = 2; on time U2 = 1, late U1 (today) = 1; missing U3, U4 = 2; accepted U1 = 1;
        // completeness 2/4 = 0.5, timeliness 1/4 = 0.25.
        #expect(before["expected"] as? Int == 4, "\(before)")
        #expect(before["submitted"] as? Int == 2, "\(before)")
        #expect(before["on_time"] as? Int == 1, "\(before)")
        #expect(before["late"] as? Int == 1, "\(before)")
        #expect(before["missing"] as? Int == 2, "\(before)")
        #expect(before["accepted"] as? Int == 1, "\(before)")
        #expect(overTimeMissing(before) == [u3.code, u4.code], "\(before)")
        #expect(overTimeNumber(before["completeness"]) == 0.5, "\(before)")
        #expect(overTimeNumber(before["timeliness"]) == 0.25, "\(before)")
        let summaryBefore = try await server.get("/v1/aggregates/report-summary?period_id=\(period)")
        let articlesBefore = overTimeSummaryEntry(summaryBefore.json, "articles_published", parent)
        #expect(overTimeNumber(articlesBefore?["total"]) == 1, "\(summaryBefore.text)")  // U1's accepted 1

        let closed = try await server.post("/v1/report-periods/\(period)/close", ["comment": "Đã tổng hợp gửi UBND thành phố"])
        #expect(closed.status == 200, "\(closed.text)")
        #expect(closed.json["closed_at"] is String, "\(closed.text)")
        #expect(closed.json["closed_comment"] as? String == "Đã tổng hợp gửi UBND thành phố", "\(closed.text)")
        let closedTwice = try await server.request("POST", "/v1/report-periods/\(period)/close")
        #expect(closedTwice.status == 409, "\(closedTwice.text)")
        #expect((closedTwice.json["type"] as? String)?.contains("period-closed") == true, "\(closedTwice.text)")
        let patchedPeriod = try await server.patch("/v1/report-periods/\(period)", ["title": "Đổi tên"])
        #expect(patchedPeriod.status == 409, "\(patchedPeriod.text)")

        // Later unit edits: U1 ends a day before the window ends, U2 stops reporting, U3 is renamed, U5 is new.
        let edits: [(String, [String: Any])] = [
            (u1.id, ["valid_to": "1999-06-29"]), (u2.id, ["reporting_to": "1999-01-31"]), (u3.id, ["name": "Trường THPT đổi tên \(uniqueCode())"]),
        ]
        for (id, body) in edits {
            let edited = try await server.patch("/v1/units/\(id)", body)
            #expect(edited.status == 200, "\(body): \(edited.text)")
        }
        let u5 = try await overTimeUnit(server, parent: parent, kind: "high_school", "Trường THPT U5", since1990)

        let closedCompliance = try await server.get("/v1/aggregates/report-compliance?period_id=\(period)")
        #expect(closedCompliance.status == 200, "\(closedCompliance.text)")
        #expect(closedCompliance.json["closed"] as? Bool == true, "\(closedCompliance.text)")
        let after = overTimeParentEntry(closedCompliance.json, parent)
        #expect(overTimeCanonical(after) == overTimeCanonical(before), "\(closedCompliance.text)")
        let summaryAfter = try await server.get("/v1/aggregates/report-summary?period_id=\(period)")
        #expect(
            overTimeCanonical(overTimeSummaryEntry(summaryAfter.json, "articles_published", parent)) == overTimeCanonical(articlesBefore),
            "\(summaryAfter.text)")

        // Nothing of the closed period's reports changes.
        let refused: [(String, String, Any?)] = [
            ("PATCH", "/v1/reports/\(r3)", ["values": ["articles_published": 4]]),
            ("POST", "/v1/reports/\(r3)/submit", nil),
            ("POST", "/v1/reports/\(r3)/prefill", nil),
            ("DELETE", "/v1/reports/\(r3)", nil),
            ("POST", "/v1/reports/\(r2)/accept", nil),
            ("POST", "/v1/reports/\(r2)/return", ["comment": "Bổ sung"]),
            ("POST", "/v1/reports/\(r1)/return", ["comment": "Mở lại"]),
            (
                "POST", "/v1/reports/\(r2)/receipt",
                ["received_on": "1999-07-02", "received_via": "paper", "incoming_number": "13/SGD", "evidence": "Sổ công văn đến"]
            ),
            ("POST", "/v1/reports", ["unit_id": u4.id, "period_id": period, "values": ["articles_published": 1]]),
        ]
        for (method, path, body) in refused {
            let answer = try await server.request(
                method, path, json: body, headers: method == "PATCH" ? ["Content-Type": "application/merge-patch+json"] : [:])
            #expect(answer.status == 409, "\(method) \(path): \(answer.status) \(answer.text)")
            #expect((answer.json["type"] as? String)?.contains("period-closed") == true, "\(method) \(path): \(answer.text)")
        }
        #expect(try await server.auditActions("reports", id: r3) == ["create"])

        // Reopening needs a reason.
        let noComment = try await server.request("POST", "/v1/report-periods/\(period)/reopen")
        #expect(noComment.status == 422, "\(noComment.text)")
        #expect(noComment.errorFields.contains("comment"), "\(noComment.text)")
        let emptyBody = try await server.post("/v1/report-periods/\(period)/reopen", [String: Any]())
        #expect(emptyBody.status == 422, "\(emptyBody.text)")
        #expect(emptyBody.errorFields.contains("comment"), "\(emptyBody.text)")
        let reopened = try await server.post("/v1/report-periods/\(period)/reopen", ["comment": "Trường U3 xin bổ sung số liệu"])
        #expect(reopened.status == 200, "\(reopened.text)")
        #expect(reopened.json["closed_at"] == nil || reopened.json["closed_at"] is NSNull, "\(reopened.text)")
        let reopenedTwice = try await server.post("/v1/report-periods/\(period)/reopen", ["comment": "Lần nữa"])
        #expect(reopenedTwice.status == 409, "\(reopenedTwice.text)")
        #expect((reopenedTwice.json["type"] as? String)?.contains("period-open") == true, "\(reopenedTwice.text)")

        let changed = try await server.patch("/v1/reports/\(r3)", ["values": ["articles_published": 4]])
        #expect(changed.status == 200, "\(changed.text)")
        #expect(try await server.auditActions("reports", id: r3) == ["create", "update"])
        #expect(try await server.auditActions("report_periods", id: period) == ["create", "close", "reopen"])

        // Open again, the live definition counts: U1 and U2 are gone, U5 is new: expected U3, U4, U5 = 3, none submitted.
        let live = try await server.get("/v1/aggregates/report-compliance?period_id=\(period)")
        #expect(live.json["closed"] as? Bool == false, "\(live.text)")
        let liveEntry = overTimeParentEntry(live.json, parent)
        #expect(liveEntry?["expected"] as? Int == 3, "\(live.text)")
        #expect(liveEntry?["submitted"] as? Int == 0, "\(live.text)")
        #expect(overTimeMissing(liveEntry) == [u3.code, u4.code, u5.code], "\(live.text)")
        // Closing again retakes the snapshot: still 3.
        #expect(try await server.post("/v1/report-periods/\(period)/close", [String: Any]()).status == 200)
        let reclosed = try await server.get("/v1/aggregates/report-compliance?period_id=\(period)")
        #expect(reclosed.json["closed"] as? Bool == true, "\(reclosed.text)")
        #expect(overTimeParentEntry(reclosed.json, parent)?["expected"] as? Int == 3, "\(reclosed.text)")
    }
}
