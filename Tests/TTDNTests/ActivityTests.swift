import Foundation
import PQ
import TTDN
import TTDNKit
import TestSupport
import Testing

/// The id of a task of the seeded 2023 plan, by code.
func seededTask(_ server: TestServer, _ code: String) async throws -> String {
    let rows = try await server.pool.query(
        """
        SELECT t.id FROM plan_tasks t JOIN plans p ON p.id = t.plan_id
        WHERE t.code = \(code) AND p.year = 2023 ORDER BY p.created_at, t.created_at LIMIT 1
        """)
    return try rows[0].decode("id", as: UUID.self).lowercasedString
}

/// A unit of the test's own and a unit below it.
func unitTree(_ server: TestServer) async throws -> (parent: String, child: String) {
    let parent = try await server.createUnit(["kind": "district_office"])["id"] as! String
    let child = try await server.createUnit(["kind": "high_school", "parent_id": parent])["id"] as! String
    return (parent, child)
}

@Suite("Activities of units")
struct ActivityTests {
    @discardableResult
    func activity(_ server: TestServer, _ fields: [String: Any], token: String? = nil) async throws -> [String: Any] {
        var body: [String: Any] = ["kind": "other", "title": "Hoạt động \(uniqueCode())", "starts_on": "2023-05-10"]
        for (key, value) in fields { body[key] = value }
        let answer = try await server.post("/v1/activities", body, token: token)
        guard answer.status == 201 else { throw CLIError("activity: \(answer.status) \(answer.text)") }
        return answer.json
    }

    @Test func editorsWriteOnlyTheirOwnUnitsActivities() async throws {
        let server = try await TestServer.get()
        let (parent, child) = try await unitTree(server)
        let other = try await server.createUnit()["id"] as! String
        let editor = try await server.token(.editor, unit: parent)
        let otherEditor = try await server.token(.editor, unit: other)
        let viewer = try await server.token(.viewer)

        let own = try await activity(server, ["kind": "website_article", "item_count": 3], token: editor)
        #expect(own["unit_id"] as? String == parent)
        let below = try await activity(server, ["unit_id": child], token: editor)
        #expect(below["unit_id"] as? String == child)
        let elsewhere = try await server.post(
            "/v1/activities", ["kind": "other", "title": "X", "starts_on": "2023-01-01", "unit_id": other], token: editor)
        #expect(elsewhere.status == 403)
        #expect(try await server.post("/v1/activities", ["kind": "other", "title": "X", "starts_on": "2023-01-01"], token: viewer).status == 403)
        // An admin names the unit.
        let unnamed = try await server.post("/v1/activities", ["kind": "other", "title": "X", "starts_on": "2023-01-01"])
        #expect(unnamed.status == 422)
        #expect(unnamed.errorFields == ["unit_id"])

        let path = "/v1/activities/\(own["id"] as! String)"
        #expect(try await server.patch(path, ["title": "Đổi"], token: otherEditor).status == 403)
        #expect(try await server.patch(path, ["unit_id": other], token: editor).status == 403)
        #expect(try await server.delete(path, token: otherEditor).status == 403)
        #expect(try await server.get(path, token: otherEditor).status == 200)  // everyone reads
        let changed = try await server.patch(path, ["title": "Bài viết về ASEAN", "item_count": 4], token: editor)
        #expect(changed.status == 200)
        #expect(changed.json["item_count"] as? Int == 4)
        #expect(try await server.delete(path, token: editor).status == 204)
        #expect(try await server.auditActions("activities", id: own["id"] as! String) == ["create", "update", "delete"])
    }

    @Test func inputRulesNameTheField() async throws {
        let server = try await TestServer.get()
        let unit = try await server.createUnit()["id"] as! String
        let form = try await seededTask(server, "II.3.a")
        let cases: [([String: Any], String)] = [
            (["countries": ["XX"]], "countries"),
            (["countries": "LA"], "countries"),
            (["ends_on": "2023-05-01"], "ends_on"),
            (["theme_task_id": form], "theme_task_id"),
            (["theme_task_id": UUID().uuidString.lowercased()], "theme_task_id"),
            (["plan_task_ids": [UUID().uuidString.lowercased()]], "plan_task_ids"),
            (["kind": "picnic"], "kind"),
            (["item_count": 0], "item_count"),
            (["links": ["javascript:alert(1)"]], "links"),
            (["recorded_by": UUID().uuidString.lowercased()], "recorded_by"),
        ]
        for (fields, field) in cases {
            var body: [String: Any] = ["unit_id": unit, "kind": "other", "title": "Sai", "starts_on": "2023-05-10"]
            for (key, value) in fields { body[key] = value }
            let answer = try await server.post("/v1/activities", body)
            #expect(answer.status == 422, "\(fields): \(answer.status)")
            #expect(answer.errorFields == [field], "\(fields): \(answer.text)")
        }
        let count = try await server.pool.query("SELECT count(*)::int8 AS n FROM activities WHERE unit_id = \(UUID(uuidString: unit)!)")
        #expect(try count[0].decode("n", as: Int.self) == 0)
    }

    @Test func searchAndFiltersFindWhatUnitsDid() async throws {
        let server = try await TestServer.get()
        let (parent, child) = try await unitTree(server)
        let task = try await seededTask(server, "II.3.b")
        let laos = try await activity(
            server,
            [
                "unit_id": child, "kind": "international_cooperation", "title": "Giao lưu với học sinh Lào tại Hải Phòng",
                "countries": ["la", "VN"], "starts_on": "2023-04-10", "ends_on": "2023-04-12", "plan_task_ids": [task],
            ])
        #expect(laos["countries"] as? [String] == ["LA", "VN"])
        let article = try await activity(
            server, ["unit_id": parent, "kind": "website_article", "title": "Tin về Tuần lễ ASEAN", "starts_on": "2023-08-01"])
        let ids = { (answer: HTTPAnswer) in Set(answer.items.compactMap { $0["id"] as? String }) }
        let laosID = laos["id"] as! String, articleID = article["id"] as! String
        #expect(ids(try await server.get("/v1/activities?unit_id=\(parent)")) == [laosID, articleID])
        #expect(ids(try await server.get("/v1/activities?unit_id=\(child)")) == [laosID])
        #expect(ids(try await server.get("/v1/activities?unit_id=\(parent)&q=giao+luu+hoc+sinh+lao")) == [laosID])
        #expect(ids(try await server.get("/v1/activities?unit_id=\(parent)&country=LA")) == [laosID])
        #expect(ids(try await server.get("/v1/activities?unit_id=\(parent)&kind=website_article")) == [articleID])
        #expect(ids(try await server.get("/v1/activities?unit_id=\(parent)&task_id=\(task)")) == [laosID])
        // Under way in the window: the visit ends on 12 April.
        #expect(ids(try await server.get("/v1/activities?unit_id=\(parent)&from=2023-04-12&to=2023-07-31")) == [laosID])
        #expect(ids(try await server.get("/v1/activities?unit_id=\(parent)&from=2023-04-13")) == [articleID])
        #expect(try await server.get("/v1/activities?country=XX").status == 400)
        #expect(try await server.get("/v1/activities?from=2023-05-01&to=2023-04-01").status == 400)
        // Latest first, page by page.
        let first = try await server.get("/v1/activities?unit_id=\(parent)&limit=1")
        #expect(first.items.first?["id"] as? String == articleID)
        let cursor = try #require(first.json["next_cursor"] as? String)
        let second = try await server.get("/v1/activities?unit_id=\(parent)&limit=1&cursor=\(cursor)")
        #expect(second.items.first?["id"] as? String == laosID)
    }

    /// The fixture, counted by hand (P is a district office, C a school below it):
    ///
    /// | # | unit | kind | starts | items | participants | countries | tasks | theme |
    /// |---|---|---|---|---|---|---|---|---|
    /// | a1 | P | website_article | 2041-02-10 | 5 | – | – | II.3.a | II.2.6 |
    /// | a2 | C | website_article | 2041-06-01 | 3 | – | – | – | II.2.1 |
    /// | a3 | C | international_cooperation | 2041-03-15 | 1 | 40 | LA | II.3.b | – |
    /// | a4 | P | study_tour | 2041-09-20 | 1 | 25 | KH, VN | – | – |
    /// | a5 | P | event_held | 2041-03-02 | 1 | 100 | – | II.3.a, II.3.b | – |
    /// | a6 | P | exemplary_person | 2042-01-05 | 2 | – | – | – | – |
    @Test func aggregatesMatchAHandCountedFixtureOnTwoDaysAndCSVAgrees() async throws {
        let server = try await TestServer.get()
        let (p, c) = try await unitTree(server)
        let formA = try await seededTask(server, "II.3.a"), formB = try await seededTask(server, "II.3.b")
        let theme1 = try await seededTask(server, "II.2.1"), theme6 = try await seededTask(server, "II.2.6")
        try await activity(
            server,
            ["unit_id": p, "kind": "website_article", "starts_on": "2041-02-10", "item_count": 5, "plan_task_ids": [formA], "theme_task_id": theme6])
        try await activity(server, ["unit_id": c, "kind": "website_article", "starts_on": "2041-06-01", "item_count": 3, "theme_task_id": theme1])
        try await activity(
            server,
            [
                "unit_id": c, "kind": "international_cooperation", "starts_on": "2041-03-15", "participants": 40, "countries": ["LA"],
                "plan_task_ids": [formB],
            ])
        try await activity(server, ["unit_id": p, "kind": "study_tour", "starts_on": "2041-09-20", "participants": 25, "countries": ["KH", "VN"]])
        try await activity(
            server, ["unit_id": p, "kind": "event_held", "starts_on": "2041-03-02", "participants": 100, "plan_task_ids": [formA, formB]])
        try await activity(server, ["unit_id": p, "kind": "exemplary_person", "starts_on": "2042-01-05", "item_count": 2])

        // [key: [activities, items, participants, international, with_laos, with_cambodia]]
        func groups(_ by: String, asOf: String, unit: String = p) async throws -> (groups: [String: [Int]], total: [Int]) {
            let path = "/v1/aggregates/activities?year=2041&group_by=\(by)&unit_id=\(unit)&as_of=\(asOf)"
            let json = try await server.get(path)
            #expect(json.status == 200, "\(json.text)")
            #expect(json.json["as_of"] as? String == asOf)
            func counts(_ g: [String: Any]) -> [Int] {
                ["activities", "items", "participants", "international", "with_laos", "with_cambodia"].map { g[$0] as? Int ?? -1 }
            }
            var out: [String: [Int]] = [:]
            for g in json.json["groups"] as? [[String: Any]] ?? [] { out[g["key"] as? String ?? "none"] = counts(g) }
            // The CSV carries the same groups.
            let csv = try await server.get(path, headers: ["Accept": "text/csv"])
            #expect(csv.header("Content-Type")?.hasPrefix("text/csv") == true)
            let lines = csv.text.split(separator: "\r\n").map(String.init)
            #expect(lines.first == "key,label,activities,items,participants,international,with_laos,with_cambodia")
            var fromCSV: [String: [Int]] = [:]
            for line in lines.dropFirst() {
                let cells = parseCSVLine(line)
                fromCSV[cells[0].isEmpty ? "none" : cells[0]] = cells.suffix(6).map { Int($0) ?? -1 }
            }
            #expect(fromCSV == out, "\(path)")
            return (out, counts(json.json["total"] as? [String: Any] ?? [:]))
        }

        let byKind = try await groups("kind", asOf: "2041-12-31")
        #expect(
            byKind.groups == [
                "website_article": [2, 8, 0, 0, 0, 0], "international_cooperation": [1, 1, 40, 1, 1, 0],
                "study_tour": [1, 1, 25, 1, 0, 1], "event_held": [1, 1, 100, 0, 0, 0],
            ])
        #expect(byKind.total == [5, 11, 165, 2, 1, 1])
        let byKindInMarch = try await groups("kind", asOf: "2041-03-31")
        #expect(
            byKindInMarch.groups == [
                "website_article": [1, 5, 0, 0, 0, 0], "international_cooperation": [1, 1, 40, 1, 1, 0], "event_held": [1, 1, 100, 0, 0, 0],
            ])
        #expect(byKindInMarch.total == [3, 7, 140, 1, 1, 0])
        #expect(try await groups("kind", asOf: "2040-12-31").total == [0, 0, 0, 0, 0, 0])

        let byMonth = try await groups("month", asOf: "2041-12-31")
        #expect(
            byMonth.groups == [
                "2041-02": [1, 5, 0, 0, 0, 0], "2041-03": [2, 2, 140, 1, 1, 0], "2041-06": [1, 3, 0, 0, 0, 0], "2041-09": [1, 1, 25, 1, 0, 1],
            ])
        let byUnit = try await groups("unit", asOf: "2041-12-31")
        #expect(byUnit.groups.values.sorted { $0[0] > $1[0] } == [[3, 7, 125, 1, 0, 1], [2, 4, 40, 1, 1, 0]])
        let byTask = try await groups("task", asOf: "2041-12-31")
        #expect(byTask.groups == ["II.3.a": [2, 6, 100, 0, 0, 0], "II.3.b": [2, 2, 140, 1, 1, 0], "none": [2, 4, 25, 1, 0, 1]])
        #expect(byTask.total == [5, 11, 165, 2, 1, 1])  // a5 serves two tasks, counted once in the total
        let byTheme = try await groups("theme", asOf: "2041-06-30")
        #expect(byTheme.groups == ["II.2.6": [1, 5, 0, 0, 0, 0], "II.2.1": [1, 3, 0, 0, 0, 0], "none": [2, 2, 140, 1, 1, 0]])
        let school = try await groups("kind", asOf: "2041-12-31", unit: c)
        #expect(school.groups == ["website_article": [1, 3, 0, 0, 0, 0], "international_cooperation": [1, 1, 40, 1, 1, 0]])

        #expect(try await server.get("/v1/aggregates/activities").status == 400)
        #expect(try await server.get("/v1/aggregates/activities?year=2041&group_by=colour").status == 400)
    }

    /// Period 2038-12-15 … 2039-04-30 (`makePeriod`); one activity outside it, one of a kind no
    /// indicator counts.
    @Test func prefillCountsActivitiesWithLaosAndCambodia() async throws {
        let server = try await TestServer.get()
        let period = try await makePeriod(server)
        let unit = try await server.createUnit(["kind": "district_office"])["id"] as! String
        let fixture: [[String: Any]] = [
            ["kind": "website_article", "starts_on": "2039-01-10", "item_count": 4],
            ["kind": "website_article", "starts_on": "2039-03-01", "item_count": 2],
            ["kind": "exemplary_person", "starts_on": "2039-02-01", "item_count": 3],
            ["kind": "event_held", "starts_on": "2039-02-10"],
            ["kind": "cultural_sport", "starts_on": "2039-04-01"],
            ["kind": "extracurricular", "starts_on": "2039-05-15"],
            ["kind": "press_information", "starts_on": "2039-03-03", "item_count": 2],
            ["kind": "international_cooperation", "starts_on": "2039-01-20", "countries": ["LA"]],
            ["kind": "conference", "starts_on": "2039-02-20", "countries": ["KH"]],
            ["kind": "study_tour", "starts_on": "2039-03-30", "countries": ["LA", "KH"]],
            ["kind": "website_section", "starts_on": "2039-01-05"],
        ]
        for fields in fixture { try await activity(server, fields.merging(["unit_id": unit]) { $1 }) }
        let report = try await server.post("/v1/reports", ["unit_id": unit, "period_id": period, "values": ["events_held": 9]])
        #expect(report.status == 201, "\(report.text)")
        let filled = try await server.request("POST", "/v1/reports/\(report.json["id"] as! String)/prefill")
        #expect(filled.status == 200, "\(filled.text)")
        let values = filled.json["values"] as? [String: Any] ?? [:]
        #expect(values["articles_published"] as? Double == 6)
        #expect(values["exemplary_people_featured"] as? Double == 3)
        #expect(values["press_information_provided"] as? Double == 2)
        #expect(values["international_cooperation_activities"] as? Double == 3)
        #expect(values["international_cooperation_with_laos"] as? Double == 2)
        #expect(values["international_cooperation_with_cambodia"] as? Double == 2)
        #expect(values["events_held"] as? Double == 9)  // entered by a person, kept
        let prefilled = Set(filled.json["prefilled"] as? [String] ?? [])
        #expect(
            prefilled == [
                "articles_published", "exemplary_people_featured", "press_information_provided", "international_cooperation_activities",
                "international_cooperation_with_laos", "international_cooperation_with_cambodia", "people_trained", "trainings_attended",
                "misinformation_rebutted", "assigned_tasks_done",
            ])

        // A unit that recorded nothing gets no activity figures, not zeros.
        let quiet = try await server.createUnit(["kind": "district_office"])["id"] as! String
        let empty = try await server.post("/v1/reports", ["unit_id": quiet, "period_id": period])
        let emptyFilled = try await server.request("POST", "/v1/reports/\(empty.json["id"] as! String)/prefill")
        #expect(!(emptyFilled.json["prefilled"] as? [String] ?? []).contains("articles_published"))
    }
}

/// One line of RFC 4180 CSV.
func parseCSVLine(_ line: String) -> [String] {
    var cells: [String] = [], cell = "", quoted = false
    var characters = Array(line)[...]
    while let c = characters.popFirst() {
        if quoted {
            if c == "\"" {
                if characters.first == "\"" { cell.append("\""); characters = characters.dropFirst() } else { quoted = false }
            } else {
                cell.append(c)
            }
        } else if c == "\"" {
            quoted = true
        } else if c == "," {
            cells.append(cell)
            cell = ""
        } else {
            cell.append(c)
        }
    }
    cells.append(cell)
    return cells
}
