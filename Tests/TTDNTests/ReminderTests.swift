import Foundation
import PQ
import TTDN
import TTDNKit
import TestSupport
import Testing

/// Reminders on a fixture calendar: the scheduler's clock is a given day, not the wall clock.
/// Serialized: a pass emits for every unit on its day, and passes take turns (the advisory
/// lock), so each test's days stay its own and its passes do not wait for another's.
@Suite("Reminders and the units' inbox", .serialized)
struct ReminderTests {
    func scheduler(_ server: TestServer, on day: String) -> ReminderScheduler {
        ReminderScheduler(pool: server.pool, settings: ReminderSettings(), logger: .init(label: "test"), today: { CalendarDate(day)! })
    }

    /// The reminders emitted so far about `units`, as `type:unit` occasions, sorted.
    func reminders(_ server: TestServer, units: [String], types: [String]) async throws -> [String] {
        let ids = units.map { UUID(uuidString: $0)! }
        return try await server.pool.query(
            """
            SELECT occasion FROM outbox_events WHERE unit_id = ANY(\(ids)) AND type = ANY(\(types)) AND occasion IS NOT NULL ORDER BY occasion
            """
        ).map { try $0.decode("occasion", as: String.self) }
    }

    /// Period due 2039-05-05 (`makePeriod`): unit A submitted, unit B did not.
    @Test func reportRemindersAreEmittedOncePerUnitAndOccasion() async throws {
        let server = try await TestServer.get()
        let period = try await makePeriod(server)
        let a = try await server.createUnit(["kind": "district_office"])["id"] as! String
        let b = try await server.createUnit(["kind": "district_office"])["id"] as! String
        let report = try await server.post("/v1/reports", ["unit_id": a, "period_id": period])
        #expect(try await server.request("POST", "/v1/reports/\(report.json["id"] as! String)/submit").status == 200)
        let types = ["report.due_soon", "report.overdue"]
        let mine = { try await self.reminders(server, units: [a, b], types: types).filter { $0.contains(period) } }

        try await scheduler(server, on: "2039-04-27").runOnce()
        #expect(try await mine().isEmpty)  // eight days before
        // Seven days before, twice, and by two processes at once: one reminder.
        try await scheduler(server, on: "2039-04-28").runOnce()
        async let first = scheduler(server, on: "2039-04-28").runOnce()
        async let second = scheduler(server, on: "2039-04-29").runOnce()
        _ = try await (first, second)
        #expect(try await mine() == ["report.due_soon:\(period):\(b):7"])
        try await scheduler(server, on: "2039-05-03").runOnce()
        try await scheduler(server, on: "2039-05-05").runOnce()
        #expect(try await mine() == ["report.due_soon:\(period):\(b):2", "report.due_soon:\(period):\(b):7"])
        try await scheduler(server, on: "2039-05-06").runOnce()
        try await scheduler(server, on: "2039-05-20").runOnce()
        #expect(
            try await mine() == ["report.due_soon:\(period):\(b):2", "report.due_soon:\(period):\(b):7", "report.overdue:\(period):\(b)"])

        // The unit's inbox says so; another unit's does not show it; the office sees it.
        let editor = try await server.token(.editor, unit: b)
        let inbox = try await server.get("/v1/notifications?type=report.overdue", token: editor)
        let overdue = try #require(inbox.items.first { $0["resource_id"] as? String == period })
        #expect(overdue["unit_id"] as? String == b)
        #expect((overdue["title"] as? String)?.hasPrefix("Quá hạn gửi báo cáo") == true)
        #expect(overdue["read_at"] is NSNull)
        let otherEditor = try await server.token(.editor, unit: a)
        #expect(try await server.get("/v1/notifications?type=report.overdue", token: otherEditor).items.allSatisfy { $0["unit_id"] as? String != b })
        #expect(try await server.get("/v1/notifications?unit_id=\(b)", token: otherEditor).status == 403)
        let dueSoon = try await server.get("/v1/notifications?unit_id=\(b)&type=report.due_soon&limit=500").items
        #expect(dueSoon.filter { $0["resource_id"] as? String == period }.count == 2)
        // Read, then unread again, for the unit.
        let path = "/v1/notifications/\(overdue["id"] as! String)"
        #expect(try await server.request("POST", path + "/read", token: otherEditor).status == 404)
        let read = try await server.request("POST", path + "/read", token: editor)
        #expect(read.json["read_at"] is String)
        #expect(
            try await server.get("/v1/notifications?unread=true&type=report.overdue", token: editor).items.allSatisfy {
                $0["id"] as? String != overdue["id"] as? String
            })
        #expect(try await server.request("POST", path + "/unread", token: editor).json["read_at"] is NSNull)
    }

    /// A pass that finds another one running waits for it, then emits what is still due: the
    /// day is never skipped.
    @Test func aPassWaitsForTheRunningOneAndSkipsNothing() async throws {
        let server = try await TestServer.get()
        let period = try await makePeriod(server)
        let unit = try await server.createUnit(["kind": "district_office"])["id"] as! String
        let waitingPasses: PQQuery = """
            SELECT count(*)::int8 AS n FROM pg_locks
            WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """
        let pass = try await server.pool.withConnection { holder in
            // Another process's pass, in the middle of its work.
            try await holder.runScript("BEGIN; SELECT pg_advisory_xact_lock(hashtext('ttdn.reminders'))")
            let pass = Task { try await scheduler(server, on: "2039-05-03").runOnce() }
            let deadline = ContinuousClock.now + .seconds(20)
            while try await server.pool.query(waitingPasses)[0].decode("n", as: Int.self) == 0 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            try await holder.runScript("COMMIT")
            return pass
        }
        #expect(try await pass.value > 0)
        let emitted = try await reminders(server, units: [unit], types: ["report.due_soon"]).filter { $0.contains(period) }
        // Two days before: the two-day reminder, and the seven-day one nobody emitted yet.
        #expect(emitted == ["report.due_soon:\(period):\(unit):2", "report.due_soon:\(period):\(unit):7"])
    }

    @Test func assignmentAndRegistrationRemindersFollowTheirDeadlines() async throws {
        let server = try await TestServer.get()
        let unit = try await server.createUnit()["id"] as! String
        let plan = try await server.post("/v1/plans", ["year": 2040, "title": "Kế hoạch thử \(uniqueCode())", "issuing_unit_id": unit])
        #expect(plan.status == 201, "\(plan.text)")
        let task = try await server.post(
            "/v1/plan-tasks",
            ["plan_id": plan.json["id"] as! String, "code": "I.1", "title": "Nhiệm vụ thử", "category": "core_task", "due_on": "2040-06-30"])
        #expect(task.status == 201, "\(task.text)")
        let taskID = task.json["id"] as! String
        let assignment = try await server.post("/v1/plan-tasks/\(taskID)/assignments", ["unit_id": unit, "due_on": "2040-06-15"])
        #expect(assignment.status == 201, "\(assignment.text)")
        let id = assignment.json["id"] as! String
        let session = try await server.post(
            "/v1/training-sessions",
            [
                "title": "Tập huấn thử", "capacity": 30, "format": "in_person", "status": "open", "organiser_unit_id": unit,
                "registration_deadline": "2040-06-10",
                "starts_at": "2040-06-20T08:00:00+07:00", "ends_at": "2040-06-20T11:00:00+07:00",
            ])
        #expect(session.status == 201, "\(session.text)")
        let sessionID = session.json["id"] as! String
        let types = ["assignment.due_soon", "assignment.overdue", "training_session.registration_closing"]
        for day in ["2040-06-02", "2040-06-03", "2040-06-08", "2040-06-10", "2040-06-13", "2040-06-16", "2040-06-17"] {
            try await scheduler(server, on: day).runOnce()
        }
        let emitted = try await reminders(server, units: [unit], types: types)
        #expect(
            emitted == [
                "assignment.due_soon:\(id):2", "assignment.due_soon:\(id):7", "assignment.overdue:\(id)",
                "training_session.registration_closing:\(sessionID):2", "training_session.registration_closing:\(sessionID):7",
            ])
    }

    @Test func theOfficeWritesToUnitsAndAReturnedReportReachesTheInboxWithItsComment() async throws {
        let server = try await TestServer.get()
        let (district, school) = try await unitTree(server)
        let editor = try await server.token(.editor, unit: school)
        let message = try await server.post(
            "/v1/messages", ["title": "Đề nghị gửi báo cáo 6 tháng", "body": "Các đơn vị gửi báo cáo trước ngày 05/5.", "parent_id": district])
        #expect(message.status == 201, "\(message.text)")
        #expect(message.json["recipients"] as? [String] == [school])
        let inbox = try await server.get("/v1/notifications?type=message.sent", token: editor)
        #expect(
            inbox.items.contains {
                $0["title"] as? String == "Đề nghị gửi báo cáo 6 tháng" && $0["body"] as? String == "Các đơn vị gửi báo cáo trước ngày 05/5."
            })
        #expect(try await server.post("/v1/messages", ["title": "X", "body": "Y"]).status == 422)
        // Nobody would receive it: the school has no units below it.
        let nobody = try await server.post("/v1/messages", ["title": "X", "body": "Y", "parent_id": school])
        #expect(nobody.status == 422)
        #expect(nobody.errorFields == ["parent_id"])
        #expect(try await server.get("/v1/notifications?type=message.sent", token: editor).items.count == 1)
        #expect(try await server.post("/v1/messages", ["title": "X", "body": "Y", "unit_kind": "castle"]).status == 422)
        #expect(try await server.post("/v1/messages", ["title": "X", "body": "Y", "unit_id": school], token: editor).status == 403)

        let period = try await makePeriod(server)
        let report = try await server.post("/v1/reports", ["unit_id": school, "period_id": period], token: editor)
        let reportID = report.json["id"] as! String
        _ = try await server.request("POST", "/v1/reports/\(reportID)/submit", token: editor)
        #expect(try await server.post("/v1/reports/\(reportID)/return", ["comment": "Thiếu số liệu hợp tác với Lào"]).status == 200)
        let returned = try await server.get("/v1/notifications?type=report.returned", token: editor)
        #expect(returned.items.first?["body"] as? String == "Thiếu số liệu hợp tác với Lào")
        #expect(returned.items.first?["resource_id"] as? String == reportID)
        // A new assignment reaches it too.
        let task = try await seededTask(server, "III.2.4")
        #expect(try await server.post("/v1/plan-tasks/\(task)/assignments", ["unit_id": school]).status == 201)
        #expect(try await server.get("/v1/notifications?type=assignment.created", token: editor).items.count == 1)
    }
}
