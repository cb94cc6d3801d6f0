import Foundation
import PQ
import TTDNKit

struct PlanTaskFilter: Sendable {
    var planID: UUID?
    var status: TaskStatus?
    var category: TaskCategory?
    var parentID: UUID?
    var leadUnitID: UUID?
    var cooperatingUnitID: UUID?
    var assignedUnitID: UUID?
    var dueBefore: CalendarDate?
    var dueAfter: CalendarDate?
    var overdue: Bool?
    var progressClass: ProgressClass?
    var q: String?
    var asOf: CalendarDate?
}

/// All the SQL of plan tasks.
enum PlanTaskRepository: DeletableRepository {
    static let noun = "the task"

    static func find(_ id: UUID, forUpdate: Bool, on connection: PQConnection) async throws -> PlanTask? {
        try await find(id, asOf: nil, forUpdate: forUpdate, on: connection)
    }

    /// The task with its progress class evaluated on `asOf` (today in Hai Phong when nil).
    static func find(_ id: UUID, asOf: CalendarDate?, forUpdate: Bool = false, on connection: PQConnection) async throws -> PlanTask? {
        let lock = PQQuery(unescaped: forUpdate ? " FOR UPDATE OF t" : "")
        let plan: PQQuery = "(SELECT plan_id FROM plan_tasks WHERE id = \(id))"
        return try await connection.query(
            "SELECT \(PlanTask.columns(asOf: asOf)) FROM \(PlanTask.from(asOf: asOf, plan: plan)) WHERE t.id = \(id)\(lock)"
        ).first.map(PlanTask.init(row:))
    }

    static func list(
        _ f: PlanTaskFilter, after cursor: [String]?, limit: Int,
        on connection: PQConnection
    ) async throws -> (tasks: [PlanTask], next: [String]?) {
        let day: PQQuery = "coalesce(\(f.asOf), ttdn_today())"
        let klass: PQQuery = "ttdn_progress_class(s.status, s.completed_on, ttdn_task_deadline(t.due_on, t.year, t.quarter), \(day))"
        var conditions: [PQQuery] = ["true"]
        if let v = f.planID { conditions.append("t.plan_id = \(v)") }
        if let v = f.status { conditions.append("s.status = \(v)::task_status") }
        if let v = f.category { conditions.append("t.category = \(v)::task_category") }
        if let v = f.parentID { conditions.append("t.parent_id = \(v)") }
        if let v = f.leadUnitID {
            conditions.append("EXISTS (SELECT 1 FROM plan_task_units pu WHERE pu.task_id = t.id AND pu.unit_id = \(v) AND pu.role = 'lead')")
        }
        if let v = f.cooperatingUnitID {
            conditions.append("EXISTS (SELECT 1 FROM plan_task_units pu WHERE pu.task_id = t.id AND pu.unit_id = \(v) AND pu.role = 'cooperating')")
        }
        if let v = f.assignedUnitID {
            conditions.append("EXISTS (SELECT 1 FROM plan_task_assignments a WHERE a.task_id = t.id AND a.unit_id = \(v))")
        }
        if let v = f.dueBefore { conditions.append("ttdn_task_deadline(t.due_on, t.year, t.quarter) <= \(v)") }
        if let v = f.dueAfter { conditions.append("ttdn_task_deadline(t.due_on, t.year, t.quarter) >= \(v)") }
        if let v = f.overdue { conditions.append(v ? "\(klass) = 'overdue'" : "\(klass) IS DISTINCT FROM 'overdue'") }
        if let v = f.progressClass { conditions.append("\(klass) = \(v)") }
        if let v = f.q { conditions.append("t.search @@ ttdn_search_query(\(v))") }
        if let cursor, cursor.count == 3, let plan = UUID(uuidString: cursor[0]), let position = Int(cursor[1]),
            let id = UUID(uuidString: cursor[2])
        {
            conditions.append("(t.plan_id, t.position, t.id) > (\(plan), \(position), \(id))")
        }
        let rows = try await connection.query(
            """
            SELECT \(PlanTask.columns(asOf: f.asOf)) FROM \(PlanTask.from(asOf: f.asOf, plan: "\(f.planID)::uuid"))
            WHERE \(PQQuery.joined(conditions, separator: " AND "))
            ORDER BY t.plan_id, t.position, t.id LIMIT \(limit + 1)
            """)
        var tasks = try rows.map(PlanTask.init(row:))
        var next: [String]?
        if tasks.count > limit {
            tasks.removeLast()
            next = tasks.last.map { [$0.planId.text, String($0.position), $0.id.text] }
        }
        return (tasks, next)
    }

    static func insert(_ f: PlanTaskFields, on connection: PQConnection) async throws -> PlanTask {
        let planID = f.planID.value!
        let rows = try await connection.query(
            """
            INSERT INTO plan_tasks (plan_id, code, position, title, description, parent_id, category, year, quarter,
                                    starts_on, due_on, expected_outputs)
            VALUES (\(planID), \(f.code.value),
                    coalesce(\(f.position.value), (SELECT coalesce(max(position), 0) + 10 FROM plan_tasks WHERE plan_id = \(planID))),
                    \(f.title.value), \(f.description.value), \(f.parentID.value), \(f.category.value)::task_category,
                    \(f.year.value), \(f.quarter.value), \(f.startsOn.value), \(f.dueOn.value), \(f.expectedOutputs.value ?? []))
            RETURNING id
            """)
        let id = try rows[0].decode("id", as: UUID.self)
        try await setUnits(id, lead: f.leadUnitIDs.value ?? [], cooperating: f.cooperatingUnitIDs.value ?? [], on: connection)
        return try await find(id, forUpdate: false, on: connection)!
    }

    static func update(_ current: PlanTask, with f: PlanTaskFields, on connection: PQConnection) async throws -> PlanTask {
        let id = current.id
        _ = try await connection.query(
            """
            UPDATE plan_tasks t SET
                code = \(f.code.merged(into: current.code)),
                position = \(f.position.merged(into: current.position)),
                title = \(f.title.merged(into: current.title)),
                description = \(f.description.merged(into: current.description)),
                parent_id = \(f.parentID.merged(into: current.parentId)),
                category = \(f.category.merged(into: current.category))::task_category,
                year = \(f.year.merged(into: current.year)),
                quarter = \(f.quarter.merged(into: current.quarter)),
                starts_on = \(f.startsOn.merged(into: current.startsOn)),
                due_on = \(f.dueOn.merged(into: current.dueOn)),
                expected_outputs = \(f.expectedOutputs.merged(into: current.expectedOutputs) ?? []),
                updated_at = now(), version = t.version + 1
            WHERE t.id = \(id)
            """)
        if !f.leadUnitIDs.isAbsent || !f.cooperatingUnitIDs.isAbsent {
            let lead = f.leadUnitIDs.isAbsent ? current.leadUnitIds : (f.leadUnitIDs.value ?? [])
            let cooperating = f.cooperatingUnitIDs.isAbsent ? current.cooperatingUnitIds : (f.cooperatingUnitIDs.value ?? [])
            guard Set(lead).isDisjoint(with: cooperating) else {
                throw Problem.validation([FieldError("cooperating_unit_ids", "a unit cannot both lead and cooperate on a task")])
            }
            try await setUnits(id, lead: lead, cooperating: cooperating, on: connection)
        }
        return try await find(id, forUpdate: false, on: connection)!
    }

    static func delete(_ id: UUID, on connection: PQConnection) async throws {
        _ = try await connection.query("DELETE FROM plan_tasks WHERE id = \(id)")
    }

    static func setUnits(_ task: UUID, lead: [UUID], cooperating: [UUID], on connection: PQConnection) async throws {
        _ = try await connection.query("DELETE FROM plan_task_units WHERE task_id = \(task)")
        _ = try await connection.query(
            """
            INSERT INTO plan_task_units (task_id, unit_id, role)
            SELECT \(task), unit_id::uuid, 'lead' FROM unnest(\(lead)) AS unit_id
            UNION ALL
            SELECT \(task), unit_id::uuid, 'cooperating' FROM unnest(\(cooperating)) AS unit_id
            """)
    }

    static func explain(_ error: PQError) -> FieldError? {
        switch error.constraint {
        case "plan_tasks_plan_fkey": return FieldError("plan_id", "does not name an existing plan")
        case "plan_tasks_parent_fkey": return FieldError("parent_id", "does not name an existing task")
        case "plan_tasks_parent_same_plan": return FieldError("parent_id", "must be a task of the same plan")
        case "plan_tasks_no_cycle", "plan_tasks_not_own_parent": return FieldError("parent_id", "would make the task its own ancestor")
        case "plan_tasks_code_key": return FieldError("code", "is already used by another task of this plan")
        case "plan_tasks_dates": return FieldError("due_on", "must be on or after starts_on")
        case "plan_tasks_quarter_needs_year": return FieldError("quarter", "needs a year")
        case "plan_task_units_unit_fkey": return FieldError("lead_unit_ids", "every unit id must name an existing unit")
        case "plan_tasks_code_check": return FieldError("code", "must be the plan's numbering, e.g. III.2.3")
        default: return nil
        }
    }
}

// MARK: - Progress aggregates

extension PlanTaskRepository {
    /// One count per scope (`task`, `heading`, `lead`, `assignment`, `assigned`), unit, status and class.
    struct ProgressCount {
        let scope: String
        let unitID: UUID?
        let status: String
        let klass: String?
        let count: Int
    }

    static func planExists(_ plan: UUID, on connection: PQConnection) async throws -> Bool {
        try await connection.query("SELECT 1 FROM plans WHERE id = \(plan)").count == 1
    }

    /// The four progress classes of a plan's tasks and assignments on `asOf`, from the states
    /// `ttdn_task_states` and `ttdn_assignment_states` compute: one definition for every figure.
    /// Headings (scope `heading`) are counted apart from work items (`task`, `lead`).
    static func progressCounts(plan: UUID, asOf: CalendarDate, on connection: PQConnection) async throws -> [ProgressCount] {
        let rows = try await connection.query(
            """
            WITH task AS (
                SELECT t.id, s.is_heading, s.status::text AS status,
                       ttdn_progress_class(s.status, s.completed_on, ttdn_task_deadline(t.due_on, t.year, t.quarter), \(asOf)) AS class,
                       ttdn_task_deadline(t.due_on, t.year, t.quarter) AS deadline
                FROM plan_tasks t JOIN ttdn_task_states(\(asOf), \(plan)) s ON s.task_id = t.id
            ), assignment AS (
                SELECT a.unit_id, s.status::text AS status,
                       ttdn_progress_class(s.status, s.completed_on, coalesce(a.due_on, task.deadline), \(asOf)) AS class
                FROM plan_task_assignments a JOIN task ON task.id = a.task_id
                JOIN ttdn_assignment_states(\(asOf), \(plan)) s ON s.assignment_id = a.id
            )
            SELECT CASE WHEN is_heading THEN 'heading' ELSE 'task' END AS scope, NULL::uuid AS unit_id, status, class, count(*)::int8 AS n
            FROM task GROUP BY is_heading, status, class
            UNION ALL
            SELECT 'lead', pu.unit_id, task.status, task.class, count(*)::int8
            FROM task JOIN plan_task_units pu ON pu.task_id = task.id AND pu.role = 'lead'
            WHERE NOT task.is_heading GROUP BY pu.unit_id, task.status, task.class
            UNION ALL
            SELECT 'assignment', NULL, status, class, count(*)::int8 FROM assignment GROUP BY status, class
            UNION ALL
            SELECT 'assigned', unit_id, status, class, count(*)::int8 FROM assignment GROUP BY unit_id, status, class
            """)
        return try rows.map {
            ProgressCount(
                scope: try $0.decode("scope"), unitID: try $0.decode("unit_id"), status: try $0.decode("status"),
                klass: try $0.decode("class"), count: try $0.decode("n"))
        }
    }

    static func unitNames(_ ids: [UUID], on connection: PQConnection) async throws -> [(id: UUID, code: String, name: String)] {
        try await connection.query(
            """
            SELECT id, code, name FROM units WHERE id = ANY(\(ids)) ORDER BY name COLLATE "vi-x-icu", id
            """
        ).map { (try $0.decode("id"), try $0.decode("code"), try $0.decode("name")) }
    }
}
