import Foundation
import PQ
import TTDN
import TTDNKit
import TestSupport
import Testing

/// The fixture year of `PlanProgressTests`: a plan of its own with a heading H (work items W1,
/// W2 below it), W3 fed by a school's own plan, a training task T linked to two sessions and a
/// leaf L reported by hand, assigned in bulk to the schools S1 and S2 of a district office.
private struct FixtureYear {
    let plan: String
    let tasks: [String: String]
    let s1: String, s2: String, s3Abolished: String, office: String
    let editorS1: String, editorS2: String
    var assignments: [String: String] = [:]
    var unitPlan = ""
    var unitTasks: [String: String] = [:]
    var sessions: [String] = []
}

@Suite("Plan progress over time")
struct PlanProgressTests {
    /// Builds the fixture. What happened, in the order it was entered (entries carry their real days):
    /// - S1-W1 done on 2023-06-10; S2-W1 at 60 % from 2023-05-01, done on 2023-07-15 (late: W1 is due 30/06).
    /// - S1-W2 at 30 % from 2023-06-15; S2-W2 never started (W2 is due 30/09).
    /// - W3 (due 31/12) is assigned to S1 only, whose own plan has UT1 (done 2023-03-10) and UT2
    ///   (50 % from 2023-04-01, done 2023-11-20).
    /// - T (Q3, deadline 30/09) is delivered by two sessions, held on 2023-08-10 and 2023-10-05.
    /// - L (due 31/12) at 40 % from 2023-05-15; done on 2023-06-20, entered today with its real date.
    private func fixture(_ server: TestServer) async throws -> FixtureYear {
        let plan = try await makePlan(server)
        let office = try await server.createUnit(["kind": "district_office"])
        let officeID = office["id"] as! String
        let s1 = try await server.createUnit(["parent_id": officeID])["id"] as! String
        let s2 = try await server.createUnit(["parent_id": officeID])["id"] as! String
        let s3 = try await server.createUnit(["parent_id": officeID, "valid_from": "2010-01-01", "valid_to": "2022-12-31"])["id"] as! String
        var tasks: [String: String] = [:]
        tasks["H"] = try await makeTask(server, plan: plan, code: "H", ["year": 2023, "category": "content_theme"])["id"] as? String
        tasks["W1"] =
            try await makeTask(server, plan: plan, code: "H.1", ["parent_id": tasks["H"]!, "year": 2023, "due_on": "2023-06-30"])["id"] as? String
        tasks["W2"] =
            try await makeTask(server, plan: plan, code: "H.2", ["parent_id": tasks["H"]!, "year": 2023, "due_on": "2023-09-30"])["id"] as? String
        tasks["W3"] = try await makeTask(server, plan: plan, code: "W3", ["year": 2023, "due_on": "2023-12-31"])["id"] as? String
        tasks["T"] = try await makeTask(server, plan: plan, code: "T", ["year": 2023, "quarter": 3, "category": "training"])["id"] as? String
        tasks["L"] = try await makeTask(server, plan: plan, code: "L", ["year": 2023, "due_on": "2023-12-31"])["id"] as? String
        var year = FixtureYear(
            plan: plan, tasks: tasks, s1: s1, s2: s2, s3Abolished: s3, office: officeID,
            editorS1: try await server.token(.editor, unit: s1), editorS2: try await server.token(.editor, unit: s2))

        let bulk = try await server.post(
            "/v1/assignments/bulk", ["task_ids": [tasks["W1"]!, tasks["W2"]!], "parent_unit_id": officeID, "valid_on": "2023-01-01"])
        #expect(bulk.status == 201, "\(bulk.text)")
        let created = try #require(bulk.json["created"] as? [[String: Any]])
        for item in created {
            let task = tasks.first { $0.value == item["task_id"] as? String }!.key
            let unit = item["unit_id"] as? String == s1 ? "S1" : "S2"
            year.assignments["\(unit)-\(task)"] = item["id"] as? String
        }
        let single = try await server.post("/v1/assignments/bulk", ["task_ids": [tasks["W3"]!], "unit_ids": [s1]])
        #expect(single.status == 201)
        year.assignments["S1-W3"] = (single.json["created"] as? [[String: Any]])?.first?["id"] as? String

        func report(_ key: String, _ body: [String: Any], token: String) async throws {
            let task = String(key.split(separator: "-")[1])
            let answer = try await server.post(
                "/v1/plan-tasks/\(tasks[task]!)/assignments/\(year.assignments[key]!)/progress", body, token: token)
            #expect(answer.status == 201, "\(key): \(answer.text)")
        }
        try await report("S1-W1", ["status": "done", "completed_on": "2023-06-10", "note": "Đã đăng 5 bài"], token: year.editorS1)
        try await report("S2-W1", ["status": "in_progress", "progress": 60, "effective_on": "2023-05-01"], token: year.editorS2)
        try await report("S2-W1", ["status": "done", "completed_on": "2023-07-15"], token: year.editorS2)
        try await report("S1-W2", ["status": "in_progress", "progress": 30, "effective_on": "2023-06-15"], token: year.editorS1)

        let unitPlan = try await server.post(
            "/v1/unit-plans", ["unit_id": s1, "plan_id": plan, "title": "Kế hoạch thực hiện của trường", "status": "active"],
            token: year.editorS1)
        #expect(unitPlan.status == 201, "\(unitPlan.text)")
        year.unitPlan = unitPlan.json["id"] as! String
        for (key, title) in [("UT1", "Chuyên mục trên website"), ("UT2", "Bản tin đối ngoại")] {
            let task = try await server.post(
                "/v1/unit-plans/\(year.unitPlan)/tasks", ["implements_task_id": tasks["W3"]!, "title": title], token: year.editorS1)
            #expect(task.status == 201, "\(task.text)")
            year.unitTasks[key] = task.json["id"] as? String
        }
        func unitReport(_ key: String, _ body: [String: Any]) async throws {
            let answer = try await server.post(
                "/v1/unit-plans/\(year.unitPlan)/tasks/\(year.unitTasks[key]!)/progress", body, token: year.editorS1)
            #expect(answer.status == 201, "\(key): \(answer.text)")
        }
        try await unitReport("UT1", ["status": "done", "completed_on": "2023-03-10"])
        try await unitReport("UT2", ["status": "in_progress", "progress": 50, "effective_on": "2023-04-01"])
        try await unitReport("UT2", ["status": "done", "completed_on": "2023-11-20"])

        // Two sessions of T; S1 sends two trained people, S2 one (B was absent).
        for (day, people) in [
            ("2023-08-10", [("A", s1, "present"), ("B", s2, "absent")]), ("2023-10-05", [("C", s1, "late"), ("D", s2, "present")]),
        ] {
            let session = try await makeSession(
                server, capacity: 10, ["plan_task_id": tasks["T"]!, "starts_at": "\(day)T08:00:00+07:00", "ends_at": "\(day)T11:00:00+07:00"])
            for (name, unit, mark) in people {
                let person = try await server.post(
                    "/v1/training-sessions/\(session)/participants",
                    ["full_name": "Cán bộ \(name)", "unit_id": unit, "email": "\(name.lowercased())-\(uniqueCode())@e.vn"])
                #expect(person.status == 201, "\(person.text)")
                let marked = try await server.patch("/v1/training-sessions/\(session)/participants/\(person.json["id"]!)", ["attendance": mark])
                #expect(marked.status == 200)
            }
            #expect(try await server.patch("/v1/training-sessions/\(session)", ["status": "held"]).status == 200)
            year.sessions.append(session)
        }

        let own = "/v1/plan-tasks/\(tasks["L"]!)/progress"
        #expect(try await server.post(own, ["status": "in_progress", "progress": 40, "effective_on": "2023-05-15"]).status == 201)
        #expect(try await server.post(own, ["status": "done", "completed_on": "2023-06-20"]).status == 201)
        return year
    }

    /// `[status, progress, class, source]` of every task of the plan on `day`, by fixture name.
    private func taskStates(_ server: TestServer, _ year: FixtureYear, on day: String) async throws -> [String: [String]] {
        let answer = try await server.get("/v1/plan-tasks?plan_id=\(year.plan)&as_of=\(day)")
        #expect(answer.status == 200)
        var states: [String: [String]] = [:]
        for item in try #require(answer.json["items"] as? [[String: Any]]) {
            let name = year.tasks.first { $0.value == item["id"] as? String }!.key
            states[name] = [
                item["status"] as! String, String(item["progress"] as! Int), item["progress_class"] as? String ?? "-",
                item["progress_source"] as! String,
            ]
        }
        return states
    }

    private func counts(_ object: Any?) -> [String: Int] {
        let counts = object as? [String: Any] ?? [:]
        var flat: [String: Int] = ["total": counts["total"] as? Int ?? -1]
        for (key, value) in counts["by_status"] as? [String: Int] ?? [:] { flat[key] = value }
        for (key, value) in counts["by_class"] as? [String: Int] ?? [:] { flat[key] = value }
        return flat
    }

    /// One aggregate line: total, four statuses, four classes (in the CSV's column order).
    private func line(_ total: Int, _ statuses: [Int], _ classes: [Int]) -> [String: Int] {
        let keys = ["not_started", "in_progress", "done", "cancelled", "done_on_time", "done_late", "in_progress_on_time", "overdue"]
        return Dictionary(uniqueKeysWithValues: zip(["total"] + keys, [total] + statuses + classes))
    }

    /// The aggregate as JSON and CSV on `day`; the CSV must say the same as the JSON.
    private func aggregate(_ server: TestServer, _ year: FixtureYear, on day: String) async throws -> [String: [String: Int]] {
        let path = "/v1/aggregates/tasks?plan_id=\(year.plan)&as_of=\(day)"
        let json = try await server.get(path)
        #expect(json.status == 200)
        var scopes: [String: [String: Int]] = [
            "tasks": counts(json.json["tasks"]), "headings": counts(json.json["headings"]), "assignments": counts(json.json["assignments"]),
        ]
        for unit in json.json["per_assigned_unit"] as? [[String: Any]] ?? [] {
            scopes[unit["unit_id"] as? String == year.s1 ? "S1" : "S2"] = counts(unit)
        }
        let csv = ColumnListTests.rows(try await server.get(path, headers: ["Accept": "text/csv"]).text)
        let header = csv[0]
        for row in csv.dropFirst() where row.count == header.count {
            let scope: String
            switch row[0] {
            case "assigned_unit": scope = row[1] == year.s1 ? "S1" : "S2"
            case "lead_unit": continue
            default: scope = row[0]
            }
            var values: [String: Int] = [:]
            for (key, value) in zip(header.dropFirst(4), row.dropFirst(4)) { values[key] = Int(value) }
            #expect(values == scopes[scope], "CSV \(scope) on \(day)")
        }
        return scopes
    }

    @Test func tasksRollUpFromTheirHistoryOnAnyDay() async throws {
        let server = try await TestServer.get()
        let year = try await fixture(server)

        // 30 June 2023: W1 = (done, 60 %) → 80 %; W2 = (30 %, 0) → 15 %; W3 = (UT1 100, UT2 50) → 75 %;
        // T: no session held yet; L done on 20/06; H = (W1 80, W2 15) → 47 %.
        let june = try await taskStates(server, year, on: "2023-06-30")
        #expect(june["W1"] == ["in_progress", "80", "in_progress_on_time", "assignments"])
        #expect(june["W2"] == ["in_progress", "15", "in_progress_on_time", "assignments"])
        #expect(june["W3"] == ["in_progress", "75", "in_progress_on_time", "assignments"])
        #expect(june["T"] == ["not_started", "0", "in_progress_on_time", "trainings"])
        #expect(june["L"] == ["done", "100", "done_on_time", "entries"])
        #expect(june["H"] == ["in_progress", "47", "in_progress_on_time", "children"])
        let juneCounts = try await aggregate(server, year, on: "2023-06-30")
        #expect(juneCounts["tasks"] == line(5, [1, 3, 1, 0], [1, 0, 4, 0]))
        #expect(juneCounts["headings"] == line(1, [0, 1, 0, 0], [0, 0, 1, 0]))
        #expect(juneCounts["assignments"] == line(5, [1, 3, 1, 0], [1, 0, 4, 0]))
        #expect(juneCounts["S1"] == line(3, [0, 2, 1, 0], [1, 0, 2, 0]))
        #expect(juneCounts["S2"] == line(2, [1, 1, 0, 0], [0, 0, 2, 0]))

        // 1 September 2023: W1 done on 15/07, after its 30/06 deadline; T half delivered (one of two sessions).
        let september = try await taskStates(server, year, on: "2023-09-01")
        #expect(september["W1"] == ["done", "100", "done_late", "assignments"])
        #expect(september["T"] == ["in_progress", "50", "in_progress_on_time", "trainings"])
        #expect(september["H"] == ["in_progress", "57", "in_progress_on_time", "children"])
        let septemberCounts = try await aggregate(server, year, on: "2023-09-01")
        #expect(septemberCounts["tasks"] == line(5, [0, 3, 2, 0], [1, 1, 3, 0]))
        #expect(septemberCounts["headings"] == line(1, [0, 1, 0, 0], [0, 0, 1, 0]))
        #expect(septemberCounts["assignments"] == line(5, [1, 2, 2, 0], [1, 1, 3, 0]))

        // 15 January 2024 (the day the office looked): W2 and its heading are overdue, T done late on 05/10,
        // W3 done on 20/11 through the school's own plan.
        let january = try await taskStates(server, year, on: "2024-01-15")
        #expect(january["W2"] == ["in_progress", "15", "overdue", "assignments"])
        #expect(january["W3"] == ["done", "100", "done_on_time", "assignments"])
        #expect(january["T"] == ["done", "100", "done_late", "trainings"])
        #expect(january["H"] == ["in_progress", "57", "overdue", "children"])
        let januaryCounts = try await aggregate(server, year, on: "2024-01-15")
        #expect(januaryCounts["tasks"] == line(5, [0, 1, 4, 0], [2, 2, 0, 1]))
        #expect(januaryCounts["headings"] == line(1, [0, 1, 0, 0], [0, 0, 0, 1]))
        #expect(januaryCounts["assignments"] == line(5, [1, 1, 3, 0], [2, 1, 0, 2]))
        #expect(januaryCounts["S1"] == line(3, [0, 1, 2, 0], [2, 0, 0, 1]))
        #expect(januaryCounts["S2"] == line(2, [1, 0, 1, 0], [0, 1, 0, 1]))

        // The history of S2-W1, oldest first; the assignment as it stood on 30 June.
        let s2w1 = "/v1/plan-tasks/\(year.tasks["W1"]!)/assignments/\(year.assignments["S2-W1"]!)"
        let history = try #require(try await server.get("\(s2w1)/progress").json["items"] as? [[String: Any]])
        #expect(history.map { $0["effective_on"] as? String } == ["2023-05-01", "2023-07-15"])
        let onJune30 = try await server.get("\(s2w1)?as_of=2023-06-30")
        #expect(onJune30.json["status"] as? String == "in_progress")
        #expect(onJune30.json["progress"] as? Int == 60)
        #expect(onJune30.json["progress_updated_on"] as? String == "2023-05-01")
        // The validator follows the state shown, not only the stored version: a cache revalidating
        // June's copy on another day gets the new state, not a 304.
        let w1 = "/v1/plan-tasks/\(year.tasks["W1"]!)"
        let juneTag = try #require(try await server.get("\(w1)?as_of=2023-06-30").header("ETag"))
        let revalidated = try await server.get("\(w1)?as_of=2023-09-01", headers: ["If-None-Match": juneTag])
        #expect(revalidated.status == 200)
        #expect(try await server.get("\(w1)?as_of=2023-06-30", headers: ["If-None-Match": juneTag]).status == 304)
        let entry = try await server.get("/v1/progress-entries/\(history[1]["id"] as! String)")
        #expect(entry.json["subject_type"] as? String == "assignment")
        #expect(entry.json["completed_on"] as? String == "2023-07-15")
    }

    @Test func anAdminOverridesARollUpMarkedAsSuch() async throws {
        let server = try await TestServer.get()
        let year = try await fixture(server)
        let w2 = "/v1/plan-tasks/\(year.tasks["W2"]!)"
        // A rolled-up task takes no plain entry, and an editor cannot override.
        let plain = try await server.post("\(w2)/progress", ["status": "done", "completed_on": "2023-12-20"])
        #expect(plain.status == 409)
        #expect(plain.errorFields == ["override"])
        #expect(
            try await server.post("\(w2)/progress", ["status": "done", "completed_on": "2023-12-20", "override": true], token: year.editorS1).status
                == 403)
        let override = try await server.post("\(w2)/progress", ["status": "done", "completed_on": "2023-12-20", "override": true])
        #expect(override.status == 201, "\(override.text)")
        #expect(override.json["override"] as? Bool == true)
        // From 20/12 the admin's value holds, and the heading follows it: H done on 20/12.
        let january = try await taskStates(server, year, on: "2024-01-15")
        #expect(january["W2"] == ["done", "100", "done_late", "override"])
        #expect(january["H"] == ["done", "100", "done_on_time", "children"])
        #expect(try await taskStates(server, year, on: "2023-12-19")["W2"]?[3] == "assignments")
        // Ending the override today returns W2 to its roll-up from today on; the past keeps it.
        #expect(try await server.post("\(w2)/progress", ["override": false]).status == 201)
        #expect(try await server.get(w2).json["progress_source"] as? String == "assignments")
        #expect(try await taskStates(server, year, on: "2024-01-15")["W2"]?[3] == "override")
        // A leaf with no roll-up has none to end.
        #expect(try await server.post("/v1/plan-tasks/\(year.tasks["L"]!)/progress", ["override": false]).status == 409)
    }

    @Test func completionDatesAreNeverAssumed() async throws {
        let server = try await TestServer.get()
        let year = try await fixture(server)
        let path = "/v1/plan-tasks/\(year.tasks["W2"]!)/assignments/\(year.assignments["S2-W2"]!)"
        let undated = try await server.patch(path, ["status": "done"], token: year.editorS2)
        #expect(undated.status == 422)
        #expect(undated.errorFields == ["completed_on"])
        let future = try await server.post(
            "\(path)/progress", ["status": "in_progress", "progress": 10, "effective_on": "2099-01-01"], token: year.editorS2)
        #expect(future.status == 422)
        #expect(future.errorFields == ["effective_on"])
        let beforeCompletion = try await server.post(
            "\(path)/progress", ["status": "done", "completed_on": "2023-09-20", "effective_on": "2023-09-01"], token: year.editorS2)
        #expect(beforeCompletion.status == 422)
        #expect(beforeCompletion.errorFields == ["effective_on"])
        // A September completion entered in December keeps its September date: on time, not late.
        let late = try await server.patch(path, ["status": "done", "completed_on": "2023-09-20"], token: year.editorS2)
        #expect(late.status == 200)
        #expect(late.json["progress_class"] as? String == "done_on_time")
        #expect(try await server.get("\(path)?as_of=2023-09-19").json["status"] as? String == "not_started")
        // Nothing half-written: the refused requests appended nothing.
        let history = try #require(try await server.get("\(path)/progress").json["items"] as? [[String: Any]])
        #expect(history.count == 1)
    }

    @Test func bulkAssignmentIsIdempotentAndEditorsListTheirOwnOnOnePage() async throws {
        let server = try await TestServer.get()
        let year = try await fixture(server)
        // The fixture's bulk request again: nothing new; the abolished school was never included.
        let body: [String: Any] = ["task_ids": [year.tasks["W1"]!, year.tasks["W2"]!], "parent_unit_id": year.office, "valid_on": "2023-01-01"]
        let replay = try await server.post("/v1/assignments/bulk", body)
        #expect(replay.status == 200)
        #expect((replay.json["created"] as? [Any])?.count == 0)
        let existing = try #require(replay.json["existing"] as? [[String: Any]])
        #expect(existing.count == 4)
        #expect(!existing.contains { $0["unit_id"] as? String == year.s3Abolished })
        let abolished = try await server.post(
            "/v1/assignments/bulk", ["task_ids": [year.tasks["L"]!], "unit_ids": [year.s3Abolished], "valid_on": "2023-01-01"])
        #expect(abolished.status == 422)
        #expect(abolished.errorFields == ["unit_ids"])
        #expect(try await server.post("/v1/assignments/bulk", ["task_ids": [year.tasks["L"]!]]).status == 422)
        #expect(
            try await server.post("/v1/assignments/bulk", ["task_ids": [year.tasks["L"]!], "unit_ids": [year.s1]], token: year.editorS1).status == 403
        )
        // By kind under the office, with an Idempotency-Key: the retry gets the first answer.
        let keyed =
            ["task_ids": [year.tasks["L"]!], "parent_unit_id": year.office, "unit_kind": "high_school", "valid_on": "2023-06-01"] as [String: Any]
        let first = try await server.post("/v1/assignments/bulk", keyed, headers: ["Idempotency-Key": "bulk-\(uniqueCode())"])
        #expect(first.status == 201)
        #expect((first.json["created"] as? [Any])?.count == 2)

        // Each editor's assignments across the plan's tasks on one page, in plan order.
        let mine = try await server.get("/v1/assignments?plan_id=\(year.plan)", token: year.editorS1)
        let items = try #require(mine.json["items"] as? [[String: Any]])
        #expect(items.map { $0["task_id"] as? String } == [year.tasks["W1"], year.tasks["W2"], year.tasks["W3"], year.tasks["L"]])
        #expect(items.allSatisfy { $0["unit_id"] as? String == year.s1 })
        #expect(items[2]["progress_source"] as? String == "unit_plan")
        let theirs = try await server.get("/v1/assignments?plan_id=\(year.plan)&as_of=2023-06-30&status=in_progress", token: year.editorS2)
        #expect((theirs.json["items"] as? [[String: Any]])?.map { $0["task_id"] as? String } == [year.tasks["W1"]])
        let all = try await server.get("/v1/assignments?plan_id=\(year.plan)")
        #expect((all.json["items"] as? [Any])?.count == 7)
        let csv = ColumnListTests.rows(try await server.get("/v1/assignments?plan_id=\(year.plan)", headers: ["Accept": "text/csv"]).text)
        #expect(csv.filter { $0.count > 1 }.count == 8)
    }

    @Test func unitPlansFeedTheirAssignmentAndTheOfficeSeesWhoHasNone() async throws {
        let server = try await TestServer.get()
        let year = try await fixture(server)
        // S1's W3 assignment is its plan's roll-up: reporting on it directly is refused.
        let w3 = "/v1/plan-tasks/\(year.tasks["W3"]!)/assignments/\(year.assignments["S1-W3"]!)"
        let direct = try await server.post("\(w3)/progress", ["status": "in_progress", "progress": 10], token: year.editorS1)
        #expect(direct.status == 409)
        let assignment = try await server.get("\(w3)?as_of=2023-06-30")
        #expect(assignment.json["progress"] as? Int == 75)
        #expect(assignment.json["progress_source"] as? String == "unit_plan")
        // Another unit's editor cannot write S1's plan; a plan of another Department plan's task is refused.
        #expect(
            try await server.post(
                "/v1/unit-plans/\(year.unitPlan)/tasks", ["implements_task_id": year.tasks["W1"]!, "title": "X"], token: year.editorS2
            ).status == 403)
        #expect(
            try await server.post("/v1/unit-plans", ["unit_id": year.s1, "plan_id": year.plan, "title": "Y"], token: year.editorS2).status == 403)
        let other = try await makeTask(server, plan: try await makePlan(server), code: "Z")
        let foreign = try await server.post(
            "/v1/unit-plans/\(year.unitPlan)/tasks", ["implements_task_id": other["id"]!, "title": "Z"], token: year.editorS1)
        #expect(foreign.status == 422)
        #expect(foreign.errorFields == ["implements_task_id"])
        let twice = try await server.post("/v1/unit-plans", ["unit_id": year.s1, "plan_id": year.plan, "title": "Lần hai"], token: year.editorS1)
        #expect(twice.status == 422)
        // A task with progress history cannot be deleted (its history would go).
        #expect(try await server.delete("/v1/unit-plans/\(year.unitPlan)/tasks/\(year.unitTasks["UT1"]!)", token: year.editorS1).status == 409)
        let unitTask = try await server.get("/v1/unit-plans/\(year.unitPlan)/tasks/\(year.unitTasks["UT2"]!)?as_of=2023-06-30")
        #expect(unitTask.json["status"] as? String == "in_progress")
        #expect(unitTask.json["deadline"] as? String == "2023-12-31")

        let coverage = try await server.get("/v1/aggregates/unit-plans?plan_id=\(year.plan)")
        #expect(coverage.status == 200)
        #expect(coverage.json["expected"] as? Int == 2)
        #expect((coverage.json["with_plan"] as? [[String: Any]])?.map { $0["unit_id"] as? String } == [year.s1])
        #expect((coverage.json["with_plan"] as? [[String: Any]])?.first?["task_count"] as? Int == 2)
        #expect((coverage.json["without_plan"] as? [[String: Any]])?.map { $0["unit_id"] as? String } == [year.s2])
        let csv = ColumnListTests.rows(try await server.get("/v1/aggregates/unit-plans?plan_id=\(year.plan)", headers: ["Accept": "text/csv"]).text)
        #expect(csv.dropFirst().filter { $0.count > 1 }.map { [$0[0], $0[1]] } == [["with_plan", year.s1], ["without_plan", year.s2]])
    }

    @Test func aUnitPlanMadeLaterKeepsWhatWasReportedBefore() async throws {
        let server = try await TestServer.get()
        let year = try await fixture(server)
        // S2 reported W1 done on 15/07, then made its plan with a task implementing W1.
        let plan = try await server.post(
            "/v1/unit-plans", ["unit_id": year.s2, "plan_id": year.plan, "title": "Kế hoạch của trường S2"], token: year.editorS2)
        #expect(plan.status == 201)
        let task = try await server.post(
            "/v1/unit-plans/\(plan.json["id"]!)/tasks", ["implements_task_id": year.tasks["W1"]!, "title": "Bổ sung"], token: year.editorS2)
        #expect(task.status == 201)
        let s2w1 = "/v1/plan-tasks/\(year.tasks["W1"]!)/assignments/\(year.assignments["S2-W1"]!)"
        let unchanged = try await server.get("\(s2w1)?as_of=2023-07-20")
        #expect(unchanged.json["status"] as? String == "done")
        #expect(unchanged.json["progress_source"] as? String == "entries")
        // What the unit's task reports on a later day decides from that day on.
        let later = try await server.post(
            "/v1/unit-plans/\(plan.json["id"]!)/tasks/\(task.json["id"]!)/progress",
            ["status": "in_progress", "progress": 50, "effective_on": "2023-08-01"], token: year.editorS2)
        #expect(later.status == 201)
        #expect(try await server.get("\(s2w1)?as_of=2023-07-20").json["status"] as? String == "done")
        let august = try await server.get("\(s2w1)?as_of=2023-09-01")
        #expect(august.json["status"] as? String == "in_progress")
        #expect(august.json["progress"] as? Int == 50)
        #expect(august.json["progress_source"] as? String == "unit_plan")
    }

    @Test func trainedHasOneMeaning() async throws {
        let server = try await TestServer.get()
        let year = try await fixture(server)
        // A held session with attendance stays held.
        let cancel = try await server.patch("/v1/training-sessions/\(year.sessions[0])", ["status": "cancelled"])
        #expect(cancel.status == 409)
        #expect(cancel.errorFields == ["status"])
        // The same people trained in the training aggregate and in S1's report prefill (and T's roll-up above).
        let aggregate = try await server.get("/v1/aggregates/trainings?year=2023")
        let perUnit = try #require(aggregate.json["per_unit"] as? [[String: Any]])
        #expect(perUnit.first { $0["unit_id"] as? String == year.s1 }?["trained"] as? Int == 2)
        #expect(perUnit.first { $0["unit_id"] as? String == year.s2 }?["trained"] as? Int == 1)
        let period = try await overTimePeriod(server, year: "2047", starts: "2023-07-01", ends: "2023-12-31", due: "2024-01-10")
        for (unit, trained, sessions) in [(year.s1, 2.0, 2.0), (year.s2, 1.0, 1.0)] {
            let report = try await overTimeReport(server, unit: unit, period: period, values: [:])
            let prefilled = try await server.post("/v1/reports/\(report)/prefill", [:] as [String: Any])
            #expect(prefilled.status == 200, "\(prefilled.text)")
            let values = prefilled.json["values"] as? [String: Any] ?? [:]
            #expect(overTimeNumber(values["people_trained"]) == trained)
            #expect(overTimeNumber(values["trainings_attended"]) == sessions)
        }
        // S1 finished one assigned task in the window (W1 on 10/06 is outside it): S1-W3 on 20/11.
        let s1Report = try await server.get("/v1/reports?period_id=\(period)&unit_id=\(year.s1)")
        let values = (s1Report.json["items"] as? [[String: Any]])?.first?["values"] as? [String: Any] ?? [:]
        #expect(overTimeNumber(values["assigned_tasks_done"]) == 1)
    }
}
