import Foundation
import Hummingbird
import PQ

/// `GET /v1/aggregates/tasks?plan_id=&as_of=`: counts of a plan's tasks and assignments by status
/// and by the four progress classes, overall, per lead unit and per assigned unit.
struct TaskAggregateRoutes {
    let pool: PQPool

    struct Counts: Encodable, Sendable {
        var total = 0
        var byStatus: [String: Int] = Dictionary(uniqueKeysWithValues: TaskStatus.allCases.map { ($0.rawValue, 0) })
        var byClass: [String: Int] = Dictionary(uniqueKeysWithValues: ProgressClass.allCases.map { ($0.rawValue, 0) })

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: VerbatimKey.self)
            try container.encode(total, forKey: VerbatimKey("total"))
            var status = container.nestedContainer(keyedBy: VerbatimKey.self, forKey: VerbatimKey("by_status"))
            for (key, value) in byStatus { try status.encode(value, forKey: VerbatimKey(key)) }
            var klass = container.nestedContainer(keyedBy: VerbatimKey.self, forKey: VerbatimKey("by_class"))
            for (key, value) in byClass { try klass.encode(value, forKey: VerbatimKey(key)) }
        }

        mutating func add(status: String, klass: String?, count: Int) {
            total += count
            byStatus[status, default: 0] += count
            if let klass { byClass[klass, default: 0] += count }
        }
    }

    struct UnitCounts: Encodable, Sendable {
        let unitId: String
        let code: String
        let name: String
        var counts: Counts
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: VerbatimKey.self)
            try container.encode(unitId, forKey: VerbatimKey("unit_id"))
            try container.encode(code, forKey: VerbatimKey("code"))
            try container.encode(name, forKey: VerbatimKey("name"))
            try counts.encode(to: encoder)
        }
    }

    struct Report: Encodable, Sendable {
        let planId: String
        let asOf: CalendarDate
        let tasks: Counts
        let assignments: Counts
        let perLeadUnit: [UnitCounts]
        let perAssignedUnit: [UnitCounts]
    }

    @Sendable func aggregate(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = QueryReader(request)
        let plan = query.uuid("plan_id")
        let asOf = query.date("as_of") ?? HaiPhong.today()
        if plan == nil, query.errors.isEmpty { query.fail("plan_id", "is required") }
        try query.finish()
        guard let plan else { throw Problem.invalidQuery([FieldError("plan_id", "is required")]) }
        let report = try await pool.withConnection { connection -> Report in
            guard try await connection.query("SELECT 1 FROM plans WHERE id = \(plan)").count == 1 else {
                throw Problem.notFound("the plan")
            }
            // One row per (scope, unit, status, class) with its count; scopes: task, assignment, lead.
            let rows = try await connection.query("""
                WITH task AS (
                    SELECT t.id, t.status::text AS status,
                           ttdn_progress_class(t.status, t.completed_on, ttdn_task_deadline(t.due_on, t.year, t.quarter), \(asOf)) AS class,
                           ttdn_task_deadline(t.due_on, t.year, t.quarter) AS deadline
                    FROM plan_tasks t WHERE t.plan_id = \(plan)
                ), assignment AS (
                    SELECT a.unit_id, a.status::text AS status,
                           ttdn_progress_class(a.status, a.completed_on, coalesce(a.due_on, task.deadline), \(asOf)) AS class
                    FROM plan_task_assignments a JOIN task ON task.id = a.task_id
                )
                SELECT 'task' AS scope, NULL::uuid AS unit_id, status, class, count(*)::int8 AS n FROM task GROUP BY status, class
                UNION ALL
                SELECT 'lead', pu.unit_id, task.status, task.class, count(*)::int8
                FROM task JOIN plan_task_units pu ON pu.task_id = task.id AND pu.role = 'lead' GROUP BY pu.unit_id, task.status, task.class
                UNION ALL
                SELECT 'assignment', NULL, status, class, count(*)::int8 FROM assignment GROUP BY status, class
                UNION ALL
                SELECT 'assigned', unit_id, status, class, count(*)::int8 FROM assignment GROUP BY unit_id, status, class
                """)
            var tasks = Counts(), assignments = Counts()
            var lead: [UUID: Counts] = [:], assigned: [UUID: Counts] = [:]
            for row in rows {
                let status: String = try row.decode("status")
                let klass: String? = try row.decode("class")
                let n: Int = try row.decode("n")
                switch try row.decode("scope", as: String.self) {
                case "task": tasks.add(status: status, klass: klass, count: n)
                case "assignment": assignments.add(status: status, klass: klass, count: n)
                case "lead": lead[try row.decode("unit_id"), default: Counts()].add(status: status, klass: klass, count: n)
                default: assigned[try row.decode("unit_id"), default: Counts()].add(status: status, klass: klass, count: n)
                }
            }
            let ids = Array(Set(lead.keys).union(assigned.keys))
            let units = try await connection.query("""
                SELECT id, code, name FROM units WHERE id = ANY(\(ids)) ORDER BY name COLLATE "vi-x-icu", id
                """)
            var perLead: [UnitCounts] = [], perAssigned: [UnitCounts] = []
            for unit in units {
                let id: UUID = try unit.decode("id")
                let code: String = try unit.decode("code"), name: String = try unit.decode("name")
                if let counts = lead[id] { perLead.append(UnitCounts(unitId: id.lowercased, code: code, name: name, counts: counts)) }
                if let counts = assigned[id] { perAssigned.append(UnitCounts(unitId: id.lowercased, code: code, name: name, counts: counts)) }
            }
            return Report(planId: plan.lowercased, asOf: asOf, tasks: tasks, assignments: assignments,
                          perLeadUnit: perLead, perAssignedUnit: perAssigned)
        }
        if CSVOutput.wanted(by: request) {
            let statuses = TaskStatus.allCases.map(\.rawValue), classes = ProgressClass.allCases.map(\.rawValue)
            func line(_ scope: String, _ unit: UnitCounts?, _ counts: Counts) -> [String?] {
                [scope, unit?.unitId, unit?.code, unit?.name, String(counts.total)]
                    + statuses.map { String(counts.byStatus[$0] ?? 0) } + classes.map { String(counts.byClass[$0] ?? 0) }
            }
            var rows = [line("tasks", nil, report.tasks), line("assignments", nil, report.assignments)]
            rows += report.perLeadUnit.map { line("lead_unit", $0, $0.counts) }
            rows += report.perAssignedUnit.map { line("assigned_unit", $0, $0.counts) }
            return CSVOutput.response(header: ["scope", "unit_id", "unit_code", "unit_name", "total"] + statuses + classes,
                                      rows: rows, filename: "task-aggregate")
        }
        return try JSONOutput.response(report)
    }
}
