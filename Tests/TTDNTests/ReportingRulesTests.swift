import Foundation
import PQ
import TTDN
import TTDNKit
import TestSupport
import Testing

/// The rules of periods, receipts, regimes, the report change feed and targets.
@Suite("Reporting rules over time")
struct ReportingRulesTests {
    @Test func periodRulesAre422s() async throws {
        let server = try await TestServer.get()
        // A report is due after its window ends.
        let id = "2030-FX\(UUID().uuidString.prefix(8))"
        let period: [String: Any] = [
            "id": id, "kind": "ad_hoc", "title": "Báo cáo thử \(id)", "starts_on": "2030-01-01", "ends_on": "2030-03-31",
        ]
        var sameDay = period
        sameDay["due_on"] = "2030-03-31"
        let dueOnEnd = try await server.post("/v1/report-periods", sameDay)
        #expect(dueOnEnd.status == 422, "\(dueOnEnd.text)")
        #expect(dueOnEnd.errorFields.contains("due_on"), "\(dueOnEnd.text)")
        #expect(dueOnEnd.errorFields.contains("ends_on"), "\(dueOnEnd.text)")
        var backwards = period
        backwards["ends_on"] = "2029-12-31"
        backwards["due_on"] = "2030-04-05"
        let endsBeforeStart = try await server.post("/v1/report-periods", backwards)
        #expect(endsBeforeStart.status == 422, "\(endsBeforeStart.text)")
        #expect(endsBeforeStart.errorFields.contains("ends_on"), "\(endsBeforeStart.text)")
        var valid = period
        valid["due_on"] = "2030-04-05"
        let created = try await server.post("/v1/report-periods", valid)
        #expect(created.status == 201, "\(created.text)")
        let dueBeforeEnd = try await server.patch("/v1/report-periods/\(id)", ["due_on": "2030-03-30"])
        #expect(dueBeforeEnd.status == 422, "\(dueBeforeEnd.text)")
        #expect(dueBeforeEnd.errorFields.contains("due_on"), "\(dueBeforeEnd.text)")
        #expect(dueBeforeEnd.errorFields.contains("ends_on"), "\(dueBeforeEnd.text)")
        let endAfterDue = try await server.patch("/v1/report-periods/\(id)", ["ends_on": "2030-04-10"])
        #expect(endAfterDue.status == 422, "\(endAfterDue.text)")
        #expect(endAfterDue.errorFields.contains("due_on"), "\(endAfterDue.text)")
        #expect(try await server.get("/v1/report-periods/\(id)").json["due_on"] as? String == "2030-04-05")

        // A unit that exists only from 2025 has nothing to report for a 2023 window.
        let p23 = try await overTimePeriod(server, year: "2093", starts: "2023-01-01", ends: "2023-03-31", due: "2023-04-05")
        let later = try await overTimeUnit(server, parent: nil, kind: "high_school", "Trường THPT mới", ["valid_from": "2025-01-01"])
        let notExpected = try await server.post("/v1/reports", ["unit_id": later.id, "period_id": p23, "values": ["articles_published": 1]])
        #expect(notExpected.status == 422, "\(notExpected.text)")
        #expect(notExpected.errorFields.contains("unit_id"), "\(notExpected.text)")
        // A unit of a kind that never reports, neither.
        let office = try await server.createUnit(["kind": "department_office"])["id"] as! String
        let neverReports = try await server.post("/v1/reports", ["unit_id": office, "period_id": p23])
        #expect(neverReports.status == 422, "\(neverReports.text)")
        #expect(neverReports.errorFields.contains("unit_id"), "\(neverReports.text)")

        // Unit reporting dates.
        let toWithoutFrom = try await server.post(
            "/v1/units", ["code": uniqueCode(), "name": "Phòng thử \(uniqueCode())", "kind": "department_office", "reporting_to": "2030-01-01"])
        #expect(toWithoutFrom.status == 422, "\(toWithoutFrom.text)")
        let toBeforeFrom = try await server.post(
            "/v1/units",
            [
                "code": uniqueCode(), "name": "Trường thử \(uniqueCode())", "kind": "high_school", "reporting_from": "2030-01-01",
                "reporting_to": "2029-12-31",
            ])
        #expect(toBeforeFrom.status == 422, "\(toBeforeFrom.text)")
        let defaulted = try await overTimeUnit(server, parent: nil, kind: "district_office", "Phòng GD", ["valid_from": "2025-07-01"])
        #expect(try await server.get("/v1/units/\(defaulted.id)").json["reporting_from"] as? String == "2025-07-01")

        // Receipts.
        let school = try await overTimeUnit(server, parent: nil, kind: "high_school", "Trường THPT nhận")
        let editor = try await server.token(.editor, unit: school.id)
        let report = try await overTimeReport(server, unit: school.id, period: p23, values: ["articles_published": 2])
        #expect(try await server.request("POST", "/v1/reports/\(report)/submit").status == 200)
        let path = "/v1/reports/\(report)/receipt"
        let tomorrow = overTimeShift(overTimeToday(), by: 1)
        let future = try await server.post(path, ["received_on": tomorrow, "received_via": "paper", "evidence": "Sổ công văn đến"])
        #expect(future.status == 422, "\(future.text)")
        #expect(future.errorFields.contains("received_on"), "\(future.text)")
        let beforeStart = try await server.post(path, ["received_on": "2022-12-31", "received_via": "paper", "evidence": "Sổ công văn đến"])
        #expect(beforeStart.status == 422, "\(beforeStart.text)")
        #expect(beforeStart.errorFields.contains("received_on"), "\(beforeStart.text)")
        let noEvidence = try await server.post(path, ["received_on": "2023-04-01", "received_via": "paper"])
        #expect(noEvidence.status == 422, "\(noEvidence.text)")
        #expect(noEvidence.errorFields.contains("evidence"), "\(noEvidence.text)")
        let noChannel = try await server.post(path, ["received_on": "2023-04-01", "evidence": "Sổ công văn đến"])
        #expect(noChannel.status == 422, "\(noChannel.text)")
        #expect(noChannel.errorFields.contains("received_via"), "\(noChannel.text)")
        let noDay = try await server.post(path, ["received_via": "paper", "evidence": "Sổ công văn đến"])
        #expect(noDay.status == 422, "\(noDay.text)")
        #expect(noDay.errorFields.contains("received_on"), "\(noDay.text)")
        let byEditor = try await server.post(
            path, ["received_on": "2023-04-01", "received_via": "paper", "evidence": "Sổ công văn đến"], token: editor)
        #expect(byEditor.status == 403, "\(byEditor.text)")
        let draft = try await overTimeReport(
            server, unit: try await overTimeUnit(server, parent: nil, kind: "high_school", "Trường THPT nháp").id, period: p23,
            values: ["articles_published": 1])
        let ofDraft = try await server.post(
            "/v1/reports/\(draft)/receipt", ["received_on": "2023-04-01", "received_via": "paper", "evidence": "Sổ công văn đến"])
        #expect(ofDraft.status == 409, "\(ofDraft.text)")
        #expect((ofDraft.json["type"] as? String)?.contains("report-not-received") == true, "\(ofDraft.text)")
        #expect(try await server.auditActions("reports", id: report) == ["create", "submit"])
        // Through the system, no evidence is needed: received 2023-04-01, on time (due 2023-04-05).
        let bySystem = try await server.post(path, ["received_on": "2023-04-01", "received_via": "system"])
        #expect(bySystem.status == 200, "\(bySystem.text)")
        #expect(bySystem.json["on_time"] as? Bool == true, "\(bySystem.text)")

        // An unknown regime: a query parameter, so 400 like every refused query parameter.
        let nope = try await server.request("POST", "/v1/report-periods/generate?year=2098&regime=nope")
        #expect(nope.status == 400, "\(nope.text)")
        #expect(nope.errorFields.contains("regime"), "\(nope.text)")
        #expect(try await server.get("/v1/report-periods?year=2098").items.isEmpty)
    }

    @Test func generatedPeriodsTileTheYear() async throws {
        let server = try await TestServer.get()
        let regimes = try await server.get("/v1/report-regimes", token: try await server.token(.viewer))
        #expect(regimes.status == 200, "\(regimes.text)")
        let byCode = Dictionary(regimes.items.map { ($0["code"] as? String ?? "", $0) }, uniquingKeysWith: { first, _ in first })
        #expect(byCode["plan"] != nil, "\(regimes.text)")
        #expect(byCode["decree_09"] != nil, "\(regimes.text)")
        #expect(byCode["plan"]?["is_default"] as? Bool == true, "\(regimes.text)")
        #expect(byCode["decree_09"]?["is_default"] as? Bool == false, "\(regimes.text)")
        for code in ["plan", "decree_09"] {
            let suffixes = Set((byCode[code]?["periods"] as? [[String: Any]] ?? []).compactMap { $0["suffix"] as? String })
            #expect(suffixes == ["Q1", "Q2", "Q3", "Q4", "H1", "Y"], "\(code): \(regimes.text)")
        }
        let planQ1 = (byCode["plan"]?["periods"] as? [[String: Any]])?.first { $0["suffix"] as? String == "Q1" }
        #expect(planQ1?["start_month_offset"] as? Int == -2, "\(regimes.text)")
        #expect(planQ1?["end_day"] as? Int == 0, "\(regimes.text)")
        #expect(planQ1?["kind"] as? String == "quarterly", "\(regimes.text)")

        typealias Window = (starts: String, ends: String, due: String)
        func generate(_ year: Int, _ regime: String) async throws -> [String: Window] {
            let answer = try await server.request("POST", "/v1/report-periods/generate?year=\(year)&regime=\(regime)")
            #expect(answer.status == 200, "\(year) \(regime): \(answer.text)")
            var windows: [String: Window] = [:]
            let kinds = ["Q1": "quarterly", "Q2": "quarterly", "Q3": "quarterly", "Q4": "quarterly", "H1": "semiannual", "Y": "annual"]
            for (suffix, kind) in kinds {
                let item = try #require(answer.items.first { $0["id"] as? String == "\(year)-\(suffix)" }, "\(year)-\(suffix): \(answer.text)")
                #expect(item["kind"] as? String == kind, "\(item)")
                #expect(item["regime"] as? String == regime, "\(item)")
                #expect(item["year"] as? Int == year, "\(item)")
                #expect(item["closed_at"] == nil || item["closed_at"] is NSNull, "\(item)")
                windows[suffix] = (item["starts_on"] as? String ?? "", item["ends_on"] as? String ?? "", item["due_on"] as? String ?? "")
            }
            // Generating again creates nothing new and answers the same periods.
            let again = try await server.request("POST", "/v1/report-periods/generate?year=\(year)&regime=\(regime)")
            #expect(again.status == 200, "\(again.text)")
            #expect(again.items.filter { ($0["id"] as? String)?.hasPrefix("\(year)-") == true }.count == answer.items.count, "\(again.text)")
            return windows
        }
        func checkTiling(_ first: [String: Window], _ second: [String: Window], _ label: String) {
            for year in [first, second] {
                for (previous, next) in [("Q1", "Q2"), ("Q2", "Q3"), ("Q3", "Q4")] {
                    #expect(
                        overTimeShift(year[previous]!.ends, by: 1) == year[next]!.starts,
                        "\(label): \(previous) \(year[previous]!) → \(next) \(year[next]!)")
                }
                #expect(year["H1"]!.starts == year["Q1"]!.starts, "\(label) H1 \(year["H1"]!)")
                #expect(year["H1"]!.ends == year["Q2"]!.ends, "\(label) H1 \(year["H1"]!)")
                #expect(year["Y"]!.starts == year["Q1"]!.starts, "\(label) Y \(year["Y"]!)")
                #expect(year["Y"]!.ends == year["Q4"]!.ends, "\(label) Y \(year["Y"]!)")
                for (suffix, window) in year {
                    #expect(window.due > window.ends, "\(label) \(suffix): \(window)")
                    #expect(window.ends >= window.starts, "\(label) \(suffix): \(window)")
                }
            }
            #expect(overTimeShift(first["Q4"]!.ends, by: 1) == second["Q1"]!.starts, "\(label): Q4 \(first["Q4"]!) → Q1 \(second["Q1"]!)")
            #expect(overTimeShift(first["Y"]!.ends, by: 1) == second["Y"]!.starts, "\(label): Y \(first["Y"]!) → Y \(second["Y"]!)")
        }

        let plan61 = try await generate(2061, "plan")
        let plan62 = try await generate(2062, "plan")
        checkTiling(plan61, plan62, "plan")
        func expectWindow(_ window: Window?, _ starts: String, _ ends: String, _ due: String, _ label: String) {
            #expect(window?.starts == starts, "\(label): \(String(describing: window))")
            #expect(window?.ends == ends, "\(label): \(String(describing: window))")
            #expect(window?.due == due, "\(label): \(String(describing: window))")
        }
        expectWindow(plan62["Q1"], "2061-11-01", "2062-01-31", "2062-02-05", "plan 2062-Q1")
        expectWindow(plan62["Q2"], "2062-02-01", "2062-04-30", "2062-05-05", "plan 2062-Q2")
        expectWindow(plan62["Q3"], "2062-05-01", "2062-07-31", "2062-08-05", "plan 2062-Q3")
        expectWindow(plan62["Q4"], "2062-08-01", "2062-10-31", "2062-11-05", "plan 2062-Q4")
        expectWindow(plan62["H1"], "2061-11-01", "2062-04-30", "2062-05-05", "plan 2062-H1")
        expectWindow(plan62["Y"], "2061-11-01", "2062-10-31", "2062-11-05", "plan 2062-Y")

        let decree71 = try await generate(2071, "decree_09")
        let decree72 = try await generate(2072, "decree_09")
        checkTiling(decree71, decree72, "decree_09")
        expectWindow(decree72["Q1"], "2071-12-15", "2072-03-14", "2072-03-20", "decree_09 2072-Q1")
        expectWindow(decree72["Q2"], "2072-03-15", "2072-06-14", "2072-06-20", "decree_09 2072-Q2")
        expectWindow(decree72["Q3"], "2072-06-15", "2072-09-14", "2072-09-20", "decree_09 2072-Q3")
        expectWindow(decree72["Q4"], "2072-09-15", "2072-12-14", "2072-12-20", "decree_09 2072-Q4")
        expectWindow(decree72["H1"], "2071-12-15", "2072-06-14", "2072-06-20", "decree_09 2072-H1")
        expectWindow(decree72["Y"], "2071-12-15", "2072-12-14", "2072-12-20", "decree_09 2072-Y")

        // Generating needs an admin.
        let asEditor = try await server.request(
            "POST", "/v1/report-periods/generate?year=2063&regime=plan",
            token: try await server.token(.editor, unit: try await server.createUnit()["id"] as? String))
        #expect(asEditor.status == 403, "\(asEditor.text)")
    }

    @Test func reportsChangeFeedForViewersAndScopedEditors() async throws {
        let server = try await TestServer.get()
        let period = try await overTimePeriod(server, year: "2039", starts: "2038-11-01", ends: "2039-04-30", due: "2039-05-05")
        let parent = try await server.createUnit(["kind": "department_office", "name": "Phòng thử nghiệm \(uniqueCode())"])["id"] as! String
        let unitA = try await overTimeUnit(server, parent: parent, kind: "high_school", "Trường THPT A")
        let unitB = try await overTimeUnit(server, parent: parent, kind: "high_school", "Trường THPT B")
        let viewer = try await server.token(.viewer)
        let editorA = try await server.token(.editor, unit: unitA.id)
        let editorOfParent = try await server.token(.editor, unit: parent)
        let editorB = try await server.token(.editor, unit: unitB.id)

        let asViewer = try await server.get("/v1/changes?types=reports", token: viewer)
        #expect(asViewer.status == 200, "\(asViewer.text)")
        let asEditor = try await server.get("/v1/changes?types=reports", token: editorA)
        #expect(asEditor.status == 200, "\(asEditor.text)")

        let viewerCursor = try await overTimeEndOfReportFeed(server, token: viewer)
        let editorACursor = try await overTimeEndOfReportFeed(server, token: editorA)
        let parentCursor = try await overTimeEndOfReportFeed(server, token: editorOfParent)
        let editorBCursor = try await overTimeEndOfReportFeed(server, token: editorB)

        // B's report first, then A's: once A's change shows, B's (committed before it) has its number too.
        let reportB = try await overTimeReport(server, unit: unitB.id, period: period, values: ["articles_published": 2])
        let reportA = try await overTimeReport(server, unit: unitA.id, period: period, values: ["articles_published": 1], token: editorA)
        #expect(try await server.request("POST", "/v1/reports/\(reportA)/submit", token: editorA).status == 200)

        let seenByA = try await overTimeReportChanges(server, token: editorA, after: editorACursor, awaiting: reportA)
        #expect(seenByA.filter { $0 == reportA }.count == 2, "\(seenByA)")  // create, submit
        #expect(!seenByA.contains(reportB), "\(seenByA)")
        let seenByViewer = try await overTimeReportChanges(server, token: viewer, after: viewerCursor, awaiting: reportA)
        #expect(seenByViewer.contains(reportA), "\(seenByViewer)")
        #expect(seenByViewer.contains(reportB), "\(seenByViewer)")
        let seenByParent = try await overTimeReportChanges(server, token: editorOfParent, after: parentCursor, awaiting: reportA)
        #expect(seenByParent.contains(reportA), "\(seenByParent)")
        #expect(seenByParent.contains(reportB), "\(seenByParent)")
        let seenByB = try await overTimeReportChanges(server, token: editorB, after: editorBCursor, awaiting: reportB)
        #expect(seenByB.contains(reportB), "\(seenByB)")
        #expect(!seenByB.contains(reportA), "\(seenByB)")

        // A's deletion is a change of A's report only.
        let secondPeriod = try await overTimePeriod(server, year: "2039", starts: "2038-11-01", ends: "2039-04-30", due: "2039-05-05")
        let other = try await overTimeReport(server, unit: unitA.id, period: secondPeriod, values: ["articles_published": 3])
        let afterB = try await overTimeEndOfReportFeed(server, token: editorB)
        let deleted = try await server.delete("/v1/reports/\(other)")
        #expect(deleted.status == 204, "\(deleted.text)")
        let marker = try await overTimeReport(server, unit: unitB.id, period: secondPeriod, values: ["articles_published": 4])
        let afterDelete = try await overTimeReportChanges(server, token: editorB, after: afterB, awaiting: marker)
        #expect(afterDelete.contains(marker), "\(afterDelete)")
        #expect(!afterDelete.contains(other), "\(afterDelete)")
    }

    @Test func targetsShowActualAgainstTarget() async throws {
        let server = try await TestServer.get()
        let period = try await overTimePeriod(server, year: "2044", starts: "2043-11-01", ends: "2044-10-31", due: "2044-11-05")
        let parent = try await server.createUnit(["kind": "department_office", "name": "Phòng thử nghiệm \(uniqueCode())"])["id"] as! String
        let h1 = try await overTimeUnit(server, parent: parent, kind: "high_school", "Trường THPT H1")
        let h2 = try await overTimeUnit(server, parent: parent, kind: "high_school", "Trường THPT H2")
        let h3 = try await overTimeUnit(server, parent: parent, kind: "high_school", "Trường THPT H3")
        let d1 = try await overTimeUnit(server, parent: parent, kind: "district_office", "Phòng GD D1")

        func target(_ body: [String: Any], token: String? = nil) async throws -> HTTPAnswer {
            try await server.post("/v1/report-targets", body, token: token)
        }
        // Every high school: 10 articles in 2044; H2 its own 4; D1 its own 3; people trained: H1 20.
        let kindTarget = try await target(["year": 2044, "indicator_code": "articles_published", "unit_kind": "high_school", "target": 10])
        #expect(kindTarget.status == 201, "\(kindTarget.text)")
        #expect(kindTarget.json["unit_kind"] as? String == "high_school", "\(kindTarget.text)")
        #expect(!(kindTarget.json["unit_id"] is String), "\(kindTarget.text)")
        #expect(overTimeNumber(kindTarget.json["target"]) == 10, "\(kindTarget.text)")
        #expect(kindTarget.json["year"] as? Int == 2044, "\(kindTarget.text)")
        let h2Target = try await target(["year": 2044, "indicator_code": "articles_published", "unit_id": h2.id, "target": 4])
        #expect(h2Target.status == 201, "\(h2Target.text)")
        #expect(h2Target.json["unit_id"] as? String == h2.id, "\(h2Target.text)")
        let d1Target = try await target(["year": 2044, "indicator_code": "articles_published", "unit_id": d1.id, "target": 3])
        #expect(d1Target.status == 201, "\(d1Target.text)")
        let trainedTarget = try await target(
            ["year": 2044, "indicator_code": "people_trained", "unit_id": h1.id, "target": 20, "note": "Theo kế hoạch năm"])
        #expect(trainedTarget.status == 201, "\(trainedTarget.text)")

        // Refused targets.
        let duplicateKind = try await target(["year": 2044, "indicator_code": "articles_published", "unit_kind": "high_school", "target": 11])
        #expect([409, 422].contains(duplicateKind.status), "\(duplicateKind.text)")
        let duplicateUnit = try await target(["year": 2044, "indicator_code": "articles_published", "unit_id": h2.id, "target": 5])
        #expect([409, 422].contains(duplicateUnit.status), "\(duplicateUnit.text)")
        let both = try await target(
            ["year": 2044, "indicator_code": "people_trained", "unit_id": h3.id, "unit_kind": "high_school", "target": 1])
        #expect(both.status == 422, "\(both.text)")
        let neither = try await target(["year": 2044, "indicator_code": "people_trained", "target": 1])
        #expect(neither.status == 422, "\(neither.text)")
        let negative = try await target(["year": 2044, "indicator_code": "people_trained", "unit_id": h3.id, "target": -1])
        #expect(negative.status == 422, "\(negative.text)")
        let byEditor = try await target(
            ["year": 2044, "indicator_code": "people_trained", "unit_id": h3.id, "target": 1], token: try await server.token(.editor, unit: h3.id))
        #expect(byEditor.status == 403, "\(byEditor.text)")

        // Every token reads them.
        let viewer = try await server.token(.viewer)
        let listed = try await server.get("/v1/report-targets?year=2044&indicator_code=articles_published&unit_id=\(h2.id)", token: viewer)
        #expect(listed.status == 200, "\(listed.text)")
        #expect(listed.items.map { $0["id"] as? String } == [h2Target.json["id"] as? String], "\(listed.text)")
        let one = try await server.get("/v1/report-targets/\(trainedTarget.json["id"] as! String)", token: viewer)
        #expect(one.status == 200, "\(one.text)")
        #expect(one.json["note"] as? String == "Theo kế hoạch năm", "\(one.text)")

        // Accepted reports: H1 12 articles and 15 people trained; H2 3 articles; D1 5 articles; H3 nothing.
        for (unit, values) in [
            (h1.id, ["articles_published": 12, "people_trained": 15]), (h2.id, ["articles_published": 3]), (d1.id, ["articles_published": 5]),
        ] {
            let report = try await overTimeReport(server, unit: unit, period: period, values: values)
            #expect(try await server.request("POST", "/v1/reports/\(report)/submit").status == 200)
            #expect(try await server.request("POST", "/v1/reports/\(report)/accept").status == 200)
        }

        let summary = try await server.get("/v1/aggregates/report-summary?period_id=\(period)")
        #expect(summary.status == 200, "\(summary.text)")
        let articles = try #require(overTimeIndicator(summary.json, "articles_published"), "\(summary.text)")
        let byUnit = articles["by_unit"] as? [[String: Any]] ?? []
        func line(_ unit: String, in list: [[String: Any]]) -> [String: Any]? { list.first { $0["key"] as? String == unit } }
        // H1: 12 against the kind's 10; H2: 3 against its own 4; H3: nothing against the kind's 10; D1: 5 against its own 3.
        #expect(overTimeNumber(line(h1.id, in: byUnit)?["total"]) == 12, "\(articles)")
        #expect(overTimeNumber(line(h1.id, in: byUnit)?["target"]) == 10, "\(articles)")
        #expect(line(h1.id, in: byUnit)?["reports"] as? Int == 1, "\(articles)")
        #expect(line(h1.id, in: byUnit)?["code"] as? String == h1.code, "\(articles)")
        #expect(overTimeNumber(line(h2.id, in: byUnit)?["total"]) == 3, "\(articles)")
        #expect(overTimeNumber(line(h2.id, in: byUnit)?["target"]) == 4, "\(articles)")
        #expect(line(h3.id, in: byUnit) != nil, "\(articles)")
        #expect(overTimeNumber(line(h3.id, in: byUnit)?["target"]) == 10, "\(articles)")
        #expect(line(h3.id, in: byUnit)?["reports"] as? Int == 0, "\(articles)")
        #expect(overTimeNumber(line(h3.id, in: byUnit)?["total"]) ?? 0 == 0, "\(articles)")
        #expect(overTimeNumber(line(d1.id, in: byUnit)?["total"]) == 5, "\(articles)")
        #expect(overTimeNumber(line(d1.id, in: byUnit)?["target"]) == 3, "\(articles)")
        // The parent's units: 12 + 3 + 5 = 20 articles.
        #expect(overTimeNumber(overTimeSummaryEntry(summary.json, "articles_published", parent)?["total"]) == 20, "\(articles)")
        // Every expected high school of the whole city has the kind's target, so the overall target is the sum of the
        // by_unit targets, at least 10 + 4 + 10 + 3 = 27 (the other high schools add 10 each).
        let overall = articles["overall"] as? [String: Any]
        let sumOfTargets = byUnit.compactMap { overTimeNumber($0["target"]) }.reduce(0, +)
        #expect(overTimeNumber(overall?["target"]) == sumOfTargets, "\(articles)")
        #expect((overTimeNumber(overall?["target"]) ?? 0) >= 27, "\(articles)")

        // People trained: only H1 has a target (20) and a value (15).
        let trained = try #require(overTimeIndicator(summary.json, "people_trained"), "\(summary.text)")
        let trainedByUnit = trained["by_unit"] as? [[String: Any]] ?? []
        #expect(trainedByUnit.count == 1, "\(trained)")
        #expect(overTimeNumber(line(h1.id, in: trainedByUnit)?["total"]) == 15, "\(trained)")
        #expect(overTimeNumber(line(h1.id, in: trainedByUnit)?["target"]) == 20, "\(trained)")
        #expect(overTimeNumber((trained["overall"] as? [String: Any])?["target"]) == 20, "\(trained)")

        // The CSV has the unit rows with their targets.
        let csv = try await server.get("/v1/aggregates/report-summary?period_id=\(period)", headers: ["Accept": "text/csv"])
        #expect(csv.status == 200, "\(csv.text)")
        let rows = overTimeCSV(csv.text)
        let h2Row = rows.first { $0["indicator"] == "articles_published" && $0["scope"] == "unit" && $0["key"] == h2.id }
        #expect(h2Row?["total"].flatMap { Double($0) } == 3, "\(csv.text)")
        #expect(h2Row?["target"].flatMap { Double($0) } == 4, "\(csv.text)")
        let h3Row = rows.first { $0["indicator"] == "articles_published" && $0["scope"] == "unit" && $0["key"] == h3.id }
        #expect(h3Row?["target"].flatMap { Double($0) } == 10, "\(csv.text)")
        let trainedOverall = rows.first { $0["indicator"] == "people_trained" && $0["scope"] == "overall" }
        #expect(trainedOverall?["target"].flatMap { Double($0) } == 20, "\(csv.text)")

        // A unit's own target changes, and the summary follows.
        let h2ID = h2Target.json["id"] as! String
        let raised = try await server.patch("/v1/report-targets/\(h2ID)", ["target": 6])
        #expect(raised.status == 200, "\(raised.text)")
        let raisedSummary = try await server.get("/v1/aggregates/report-summary?period_id=\(period)")
        let raisedLine = line(h2.id, in: overTimeIndicator(raisedSummary.json, "articles_published")?["by_unit"] as? [[String: Any]] ?? [])
        #expect(overTimeNumber(raisedLine?["target"]) == 6, "\(raisedSummary.text)")
        // Without its own target, H2 falls back to the kind's 10.
        let removed = try await server.delete("/v1/report-targets/\(h2ID)")
        #expect([200, 204].contains(removed.status), "\(removed.text)")
        let fallback = try await server.get("/v1/aggregates/report-summary?period_id=\(period)")
        let fallbackLine = line(h2.id, in: overTimeIndicator(fallback.json, "articles_published")?["by_unit"] as? [[String: Any]] ?? [])
        #expect(overTimeNumber(fallbackLine?["target"]) == 10, "\(fallback.text)")
    }
}
