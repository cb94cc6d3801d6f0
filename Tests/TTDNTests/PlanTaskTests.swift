import Foundation
import PQ
import TTDN
import TTDNKit
import TestSupport
import Testing

/// A plan of its own for one test, issued by a fresh unit.
func makePlan(_ server: TestServer, year: Int = 2023) async throws -> String {
    let unit = try await server.createUnit(["kind": "department"])
    let plan = try await server.post(
        "/v1/plans",
        [
            "year": year, "title": "Kế hoạch thử \(uniqueCode())", "issuing_unit_id": unit["id"]!,
            "legal_bases": [["number": "72/2015/NĐ-CP", "date": "2015-08-07", "issuer": "Chính phủ"]],
        ])
    guard plan.status == 201 else { throw CLIError("plan: \(plan.status) \(plan.text)") }
    return plan.json["id"] as! String
}

func makeTask(_ server: TestServer, plan: String, code: String, _ extra: [String: Any] = [:]) async throws -> [String: Any] {
    var body: [String: Any] = ["plan_id": plan, "code": code, "title": "Nhiệm vụ \(code)", "category": "core_task"]
    for (k, v) in extra { body[k] = v }
    let answer = try await server.post("/v1/plan-tasks", body)
    guard answer.status == 201 else { throw CLIError("task \(code): \(answer.status) \(answer.text)") }
    return answer.json
}

@Suite("Plans and plan tasks")
struct PlanTaskTests {
    @Test func seededPlanListsItsTasksInPlanOrder() async throws {
        let server = try await TestServer.get()
        let plans = try await server.get("/v1/plans?year=2023&status=active")
        let plan = try #require(plans.items.first { ($0["title"] as? String)?.hasPrefix("Kế hoạch công tác thông tin đối ngoại") == true })
        #expect((plan["legal_bases"] as? [[String: Any]])?.count == 8)
        #expect(plan["signer"] as? String == "Phạm Quốc Hiệu")
        let tasks = try await server.get("/v1/plan-tasks?plan_id=\(plan["id"]!)&limit=100")
        let codes = tasks.items.compactMap { $0["code"] as? String }
        #expect(codes.first == "II.1")
        #expect(codes.contains("III.2.5"))
        #expect(codes.firstIndex(of: "III.1.1")! < codes.firstIndex(of: "III.1.3")!)
        #expect(codes.firstIndex(of: "III.1.3")! < codes.firstIndex(of: "III.2.1")!)
        let guidance = try #require(tasks.items.first { $0["code"] as? String == "III.1.3" })
        #expect(guidance["quarter"] as? Int == 3)
        #expect(guidance["deadline"] as? String == "2023-09-30")
        #expect((guidance["cooperating_unit_ids"] as? [String])?.count == 1)
    }

    @Test func tasksFormATreeWithinOnePlan() async throws {
        let server = try await TestServer.get()
        let plan = try await makePlan(server)
        let parent = try await makeTask(server, plan: plan, code: "III.2")
        let child = try await makeTask(server, plan: plan, code: "III.2.1", ["parent_id": parent["id"]!])
        #expect(child["parent_id"] as? String == parent["id"] as? String)
        let children = try await server.get("/v1/plan-tasks?parent_id=\(parent["id"]!)")
        #expect(children.items.map { $0["code"] as? String } == ["III.2.1"])
        let cycle = try await server.patch("/v1/plan-tasks/\(parent["id"]!)", ["parent_id": child["id"]!])
        #expect(cycle.status == 422)
        #expect(cycle.errorFields == ["parent_id"])
        let otherPlan = try await makePlan(server)
        let foreign = try await server.post(
            "/v1/plan-tasks",
            [
                "plan_id": otherPlan, "code": "I.1", "title": "x", "category": "core_task",
                "parent_id": parent["id"]!,
            ])
        #expect(foreign.status == 422)
        #expect(foreign.errorFields == ["parent_id"])
        let duplicate = try await server.post("/v1/plan-tasks", ["plan_id": plan, "code": "III.2", "title": "x", "category": "core_task"])
        #expect(duplicate.status == 422)
        #expect(duplicate.errorFields == ["code"])
        #expect(try await server.delete("/v1/plan-tasks/\(parent["id"]!)").status == 409)
    }

    @Test func fourClassesAtChosenDates() async throws {
        let server = try await TestServer.get()
        let plan = try await makePlan(server)
        let onTime = try await makeTask(server, plan: plan, code: "A.1", ["due_on": "2023-05-05", "status": "done", "completed_on": "2023-05-05"])
        let late = try await makeTask(server, plan: plan, code: "A.2", ["due_on": "2023-05-05", "status": "done", "completed_on": "2023-05-06"])
        let running = try await makeTask(
            server, plan: plan, code: "A.3", ["year": 2023, "quarter": 3, "status": "in_progress", "progress": 40, "effective_on": "2023-07-01"])
        _ = try await makeTask(server, plan: plan, code: "A.4", ["status": "cancelled", "effective_on": "2023-01-10"])
        func classes(_ day: String) async throws -> [String: String] {
            let list = try await server.get("/v1/plan-tasks?plan_id=\(plan)&as_of=\(day)")
            var out: [String: String] = [:]
            for item in list.items { out[item["code"] as! String] = item["progress_class"] as? String ?? "none" }
            return out
        }
        #expect(try await classes("2023-09-30") == ["A.1": "done_on_time", "A.2": "done_late", "A.3": "in_progress_on_time", "A.4": "none"])
        #expect(try await classes("2023-10-01")["A.3"] == "overdue")
        // Before it was done, a done task is judged as still running on that day.
        #expect(try await classes("2023-05-05")["A.2"] == "in_progress_on_time")
        #expect(try await classes("2023-05-06")["A.2"] == "done_late")
        let overdue = try await server.get("/v1/plan-tasks?plan_id=\(plan)&as_of=2023-10-01&overdue=true")
        #expect(overdue.items.map { $0["id"] as? String } == [running["id"] as? String])
        _ = (onTime, late)
    }

    @Test func invalidTransitionsAre409() async throws {
        let server = try await TestServer.get()
        let plan = try await makePlan(server)
        let task = try await makeTask(server, plan: plan, code: "B.1")
        let id = task["id"] as! String
        let notStarted = try await server.patch("/v1/plan-tasks/\(id)", ["progress": 100])
        #expect(notStarted.status == 409)
        let halfDone = try await server.patch("/v1/plan-tasks/\(id)", ["status": "done", "progress": 50])
        #expect(halfDone.status == 409)
        // ttdn never assumes the completion day: work entered months later keeps its real date.
        let undated = try await server.patch("/v1/plan-tasks/\(id)", ["status": "done"])
        #expect(undated.status == 422)
        #expect(undated.errorFields == ["completed_on"])
        let future = try await server.patch("/v1/plan-tasks/\(id)", ["status": "done", "completed_on": "2099-01-01"])
        #expect(future.status == 422)
        #expect(future.errorFields == ["completed_on"])
        let done = try await server.patch("/v1/plan-tasks/\(id)", ["status": "done", "completed_on": "2023-05-05"])
        #expect(done.status == 200)
        #expect(done.json["progress"] as? Int == 100)
        #expect(done.json["completed_on"] as? String == "2023-05-05")
        #expect(done.json["progress_updated_on"] as? String == "2023-05-05")
        let cancelled = try await server.patch("/v1/plan-tasks/\(id)", ["status": "cancelled", "reopen": true])
        #expect(cancelled.status == 200)
        let reopenSilently = try await server.patch("/v1/plan-tasks/\(id)", ["status": "in_progress", "progress": 10])
        #expect(reopenSilently.status == 409)
        let reopened = try await server.patch("/v1/plan-tasks/\(id)", ["status": "in_progress", "progress": 10, "reopen": true])
        #expect(reopened.status == 200)
        #expect(reopened.json["completed_on"] is NSNull)
        #expect(try await server.auditActions("plan_tasks", id: id) == ["create", "update", "update", "update"])
    }

    @Test func onlyTheUnitsEditorUpdatesItsAssignment() async throws {
        let server = try await TestServer.get()
        let plan = try await makePlan(server)
        let task = try await makeTask(server, plan: plan, code: "C.1", ["due_on": "2023-11-05"])
        let taskID = task["id"] as! String
        let unitA = try await server.createUnit(["kind": "district_office"])
        let unitB = try await server.createUnit(["kind": "district_office"])
        let assignment = try await server.post("/v1/plan-tasks/\(taskID)/assignments", ["unit_id": unitA["id"]!])
        #expect(assignment.status == 201)
        let path = "/v1/plan-tasks/\(taskID)/assignments/\(assignment.json["id"] as! String)"
        let again = try await server.post("/v1/plan-tasks/\(taskID)/assignments", ["unit_id": unitA["id"]!])
        #expect(again.status == 422)
        let editorA = try await server.token(.editor, unit: unitA["id"] as? String)
        let editorB = try await server.token(.editor, unit: unitB["id"] as? String)
        let viewer = try await server.token(.viewer)
        #expect(try await server.patch(path, ["progress": 30, "status": "in_progress"], token: editorB).status == 403)
        #expect(try await server.patch(path, ["progress": 30, "status": "in_progress"], token: viewer).status == 403)
        #expect(try await server.post("/v1/plan-tasks/\(taskID)/assignments", ["unit_id": unitB["id"]!], token: editorB).status == 403)
        let mine = try await server.patch(
            path,
            [
                "progress": 30, "status": "in_progress", "note": "Đã đăng 3 bài",
                "evidence_urls": ["https://lechan.haiphong.edu.vn/tin-tuc/1"],
            ], token: editorA)
        #expect(mine.status == 200)
        #expect(mine.json["progress"] as? Int == 30)
        #expect(try await server.patch(path, ["due_on": "2023-12-31"], token: editorA).status == 422)
        let list = try await server.get("/v1/plan-tasks?assigned_unit_id=\(unitA["id"]!)")
        #expect(list.items.map { $0["id"] as? String } == [taskID])
    }

    @Test func aggregateMatchesAHandCountedFixture() async throws {
        let server = try await TestServer.get()
        let plan = try await makePlan(server)
        let lead = try await server.createUnit(["kind": "department_office"])
        let school = try await server.createUnit()
        let leadID = lead["id"] as! String
        // As of 2023-07-01: D.1 done on time (through its assignment), D.2 done late, D.3 running
        // within Q3, D.4 overdue (its assignment at 20 %), D.5 cancelled.
        let d1 = try await makeTask(server, plan: plan, code: "D.1", ["due_on": "2023-05-05", "lead_unit_ids": [leadID]])
        _ = try await makeTask(
            server, plan: plan, code: "D.2", ["due_on": "2023-05-05", "status": "done", "completed_on": "2023-06-01", "lead_unit_ids": [leadID]])
        _ = try await makeTask(server, plan: plan, code: "D.3", ["year": 2023, "quarter": 3, "lead_unit_ids": [leadID]])
        let d4 = try await makeTask(server, plan: plan, code: "D.4", ["due_on": "2023-06-30"])
        _ = try await makeTask(server, plan: plan, code: "D.5", ["status": "cancelled", "progress": 0, "effective_on": "2023-02-01"])
        let reports: [[String: Any]] = [
            ["status": "done", "completed_on": "2023-05-01"], ["status": "in_progress", "progress": 20, "effective_on": "2023-06-01"],
        ]
        for (task, report) in zip([d1, d4], reports) {
            let created = try await server.post("/v1/plan-tasks/\(task["id"]!)/assignments", ["unit_id": school["id"]!])
            #expect(created.status == 201)
            let path = "/v1/plan-tasks/\(task["id"]!)/assignments/\(created.json["id"]!)/progress"
            #expect(try await server.post(path, report).status == 201)
        }
        let answer = try await server.get("/v1/aggregates/tasks?plan_id=\(plan)&as_of=2023-07-01")
        #expect(answer.status == 200)
        let tasks = try #require(answer.json["tasks"] as? [String: Any])
        #expect(tasks["total"] as? Int == 5)
        #expect(tasks["by_status"] as? [String: Int] == ["not_started": 1, "in_progress": 1, "done": 2, "cancelled": 1])
        #expect(tasks["by_class"] as? [String: Int] == ["done_on_time": 1, "done_late": 1, "in_progress_on_time": 1, "overdue": 1])
        let assignments = try #require(answer.json["assignments"] as? [String: Any])
        // D.1's assignment was done on 01/05 (deadline 05/05); D.4's is at 20 % past 30/06.
        #expect(assignments["by_class"] as? [String: Int] == ["done_on_time": 1, "done_late": 0, "in_progress_on_time": 0, "overdue": 1])
        let perLead = try #require(answer.json["per_lead_unit"] as? [[String: Any]])
        #expect(perLead.count == 1)
        #expect(perLead[0]["total"] as? Int == 3)
        #expect(perLead[0]["by_class"] as? [String: Int] == ["done_on_time": 1, "done_late": 1, "in_progress_on_time": 1, "overdue": 0])
        let perAssigned = try #require(answer.json["per_assigned_unit"] as? [[String: Any]])
        #expect(perAssigned.first?["unit_id"] as? String == school["id"] as? String)
        #expect(perAssigned.first?["total"] as? Int == 2)
        let csv = try await server.get("/v1/aggregates/tasks?plan_id=\(plan)&as_of=2023-07-01", headers: ["Accept": "text/csv"])
        #expect(
            csv.text.hasPrefix(
                "scope,unit_id,unit_code,unit_name,total,not_started,in_progress,done,cancelled,done_on_time,done_late,in_progress_on_time,overdue\r\n"
            ))
        #expect(csv.text.contains("tasks,,,,5,1,1,2,1,1,1,1,1\r\n"))
        #expect(csv.text.contains("headings,,,,0,0,0,0,0,0,0,0,0\r\n"))
        #expect(try await server.get("/v1/aggregates/tasks").status == 400)
    }

    @Test func onlyOneActivePlanPerUnitAndYear() async throws {
        let server = try await TestServer.get()
        let unit = try await server.createUnit(["kind": "department"])
        let first = try await server.post("/v1/plans", ["year": 2024, "title": "Kế hoạch 2024", "issuing_unit_id": unit["id"]!, "status": "active"])
        #expect(first.status == 201)
        let second = try await server.post(
            "/v1/plans", ["year": 2024, "title": "Kế hoạch 2024 (bổ sung)", "issuing_unit_id": unit["id"]!, "status": "active"])
        #expect(second.status == 422)
        #expect(second.errorFields == ["status"])
        let draft = try await server.post("/v1/plans", ["year": 2024, "title": "Dự thảo", "issuing_unit_id": unit["id"]!])
        #expect(draft.status == 201)
        #expect(draft.json["status"] as? String == "draft")
        let closed = try await server.patch("/v1/plans/\(first.json["id"]!)", ["status": "closed"])
        #expect(closed.status == 200)
        #expect(try await server.patch("/v1/plans/\(first.json["id"]!)", ["status": "draft"]).status == 409)
    }
}
