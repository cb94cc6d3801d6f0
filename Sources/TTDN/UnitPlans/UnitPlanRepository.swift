import Foundation
import PQ
import TTDNKit

/// All the SQL of unit plans.
enum UnitPlanRepository: WritableRepository, DeletableRepository {
    static let noun = "the unit plan"

    static func find(_ id: UUID, forUpdate: Bool, on connection: PQConnection) async throws -> UnitPlan? {
        let lock = PQQuery(unescaped: forUpdate ? " FOR UPDATE" : "")
        return try await connection.query("SELECT \(UnitPlan.columns) FROM unit_plans up WHERE up.id = \(id)\(lock)").first.map(UnitPlan.init(row:))
    }

    static func list(
        plan: UUID?, unit: UUID?, status: PlanStatus?, after cursor: [String]?, limit: Int, on connection: PQConnection
    ) async throws -> ([UnitPlan], [String]?) {
        var conditions: [PQQuery] = ["true"]
        if let plan { conditions.append("up.plan_id = \(plan)") }
        if let unit { conditions.append("up.unit_id = \(unit)") }
        if let status { conditions.append("up.status = \(status)::plan_status") }
        if let cursor, cursor.count == 1, let id = UUID(uuidString: cursor[0]) { conditions.append("up.id > \(id)") }
        let plans = try await connection.query(
            """
            SELECT \(UnitPlan.columns) FROM unit_plans up WHERE \(PQQuery.joined(conditions, separator: " AND "))
            ORDER BY up.id LIMIT \(limit + 1)
            """
        ).map(UnitPlan.init(row:))
        return Pagination.cut(plans, limit: limit) { [$0.id.text] }
    }

    static func insert(_ f: UnitPlanFields, on connection: PQConnection) async throws -> UnitPlan {
        try UnitPlan(
            row: try await connection.query(
                """
                WITH up AS (
                    INSERT INTO unit_plans (unit_id, plan_id, number, title, issued_on, status, note)
                    VALUES (\(f.unitID.value!), \(f.planID.value!), \(f.number.value), \(f.title.value!), \(f.issuedOn.value),
                            coalesce(\(f.status.value)::plan_status, 'draft'), \(f.note.value))
                    RETURNING *
                ) SELECT \(UnitPlan.columns) FROM up
                """)[0])
    }

    static func update(_ current: UnitPlan, with f: UnitPlanFields, on connection: PQConnection) async throws -> UnitPlan {
        _ = try await connection.query(
            """
            UPDATE unit_plans SET number = \(f.number.merged(into: current.number)), title = \(f.title.merged(into: current.title)),
                issued_on = \(f.issuedOn.merged(into: current.issuedOn)), status = \(f.status.merged(into: current.status))::plan_status,
                note = \(f.note.merged(into: current.note)), updated_at = now(), version = version + 1
            WHERE id = \(current.id)
            """)
        return try await find(current.id, forUpdate: false, on: connection)!
    }

    /// Whether any task of the plan has progress history (which a delete would lose).
    static func hasProgress(_ id: UUID, on connection: PQConnection) async throws -> Bool {
        try await connection.query(
            """
            SELECT 1 FROM progress_entries e JOIN unit_plan_tasks ut ON ut.id = e.unit_task_id WHERE ut.unit_plan_id = \(id) LIMIT 1
            """
        ).count == 1
    }

    static func delete(_ id: UUID, on connection: PQConnection) async throws {
        _ = try await connection.query("DELETE FROM unit_plans WHERE id = \(id)")
    }

    /// `GET /v1/aggregates/unit-plans?plan_id=`: the units the plan assigns work to, with and
    /// without a plan of their own, and any other unit that made one.
    static func coverage(plan: UUID, on connection: PQConnection) async throws -> UnitPlanCoverage {
        let lines = try await connection.query(
            """
            WITH assigned AS (
                SELECT a.unit_id, count(*)::int8 AS n FROM plan_task_assignments a JOIN plan_tasks t ON t.id = a.task_id
                WHERE t.plan_id = \(plan) GROUP BY a.unit_id
            ), planned AS (
                SELECT up.unit_id, up.id, up.status, (SELECT count(*) FROM unit_plan_tasks ut WHERE ut.unit_plan_id = up.id)::int8 AS tasks
                FROM unit_plans up WHERE up.plan_id = \(plan)
            )
            SELECT u.id AS unit_id, u.code, u.name, coalesce(assigned.n, 0)::int8 AS assignments, planned.id AS unit_plan_id,
                   planned.status AS unit_plan_status, coalesce(planned.tasks, 0)::int8 AS task_count
            FROM units u LEFT JOIN assigned ON assigned.unit_id = u.id LEFT JOIN planned ON planned.unit_id = u.id
            WHERE assigned.unit_id IS NOT NULL OR planned.unit_id IS NOT NULL
            ORDER BY u.name COLLATE "vi-x-icu", u.id
            """
        ).map(UnitPlanCoverage.Line.init(row:))
        return UnitPlanCoverage(
            planId: plan, expected: lines.filter { $0.assignments > 0 }.count, withPlan: lines.filter { $0.unitPlanId != nil },
            withoutPlan: lines.filter { $0.unitPlanId == nil })
    }

    static func explain(_ error: PQError) -> FieldError? {
        switch error.constraint {
        case "unit_plans_unit_fkey": return FieldError("unit_id", "does not name an existing unit")
        case "unit_plans_plan_fkey": return FieldError("plan_id", "does not name an existing plan")
        case "unit_plans_one_per_unit_plan": return FieldError("plan_id", "the unit already has a plan implementing this plan")
        default: return nil
        }
    }
}

/// All the SQL of the tasks of unit plans.
enum UnitPlanTaskRepository: DeletableRepository {
    static let noun = "the unit plan task"

    static func find(_ id: UUID, forUpdate: Bool, on connection: PQConnection) async throws -> UnitPlanTask? {
        try await find(id, asOf: nil, forUpdate: forUpdate, on: connection)
    }

    static func find(_ id: UUID, asOf: CalendarDate?, forUpdate: Bool = false, on connection: PQConnection) async throws -> UnitPlanTask? {
        let lock = PQQuery(unescaped: forUpdate ? " FOR UPDATE OF ut" : "")
        return try await connection.query(
            "SELECT \(UnitPlanTask.columns(asOf: asOf)) FROM \(UnitPlanTask.from(asOf: asOf)) WHERE ut.id = \(id)\(lock)"
        ).first.map(UnitPlanTask.init(row:))
    }

    static func list(
        unitPlan: UUID, asOf: CalendarDate?, after cursor: [String]?, limit: Int, on connection: PQConnection
    ) async throws -> ([UnitPlanTask], [String]?) {
        var conditions: [PQQuery] = ["ut.unit_plan_id = \(unitPlan)"]
        if let cursor, cursor.count == 2, let position = Int(cursor[0]), let id = UUID(uuidString: cursor[1]) {
            conditions.append("(ut.position, ut.id) > (\(position), \(id))")
        }
        let tasks = try await connection.query(
            """
            SELECT \(UnitPlanTask.columns(asOf: asOf)) FROM \(UnitPlanTask.from(asOf: asOf))
            WHERE \(PQQuery.joined(conditions, separator: " AND ")) ORDER BY ut.position, ut.id LIMIT \(limit + 1)
            """
        ).map(UnitPlanTask.init(row:))
        return Pagination.cut(tasks, limit: limit) { [String($0.position), $0.id.text] }
    }

    static func insert(into unitPlan: UUID, _ f: UnitPlanTaskFields, on connection: PQConnection) async throws -> UnitPlanTask {
        let rows = try await connection.query(
            """
            INSERT INTO unit_plan_tasks (unit_plan_id, implements_task_id, position, title, description, starts_on, due_on)
            VALUES (\(unitPlan), \(f.implementsTaskID.value!),
                    coalesce(\(f.position.value), (SELECT coalesce(max(position), 0) + 10 FROM unit_plan_tasks WHERE unit_plan_id = \(unitPlan))),
                    \(f.title.value!), \(f.description.value), \(f.startsOn.value), \(f.dueOn.value))
            RETURNING id
            """)
        return try await find(try rows[0].decode("id"), forUpdate: false, on: connection)!
    }

    static func update(_ current: UnitPlanTask, with f: UnitPlanTaskFields, on connection: PQConnection) async throws -> UnitPlanTask {
        _ = try await connection.query(
            """
            UPDATE unit_plan_tasks SET implements_task_id = \(f.implementsTaskID.merged(into: current.implementsTaskId)),
                position = \(f.position.merged(into: current.position)), title = \(f.title.merged(into: current.title)),
                description = \(f.description.merged(into: current.description)), starts_on = \(f.startsOn.merged(into: current.startsOn)),
                due_on = \(f.dueOn.merged(into: current.dueOn)), updated_at = now(), version = version + 1
            WHERE id = \(current.id)
            """)
        return try await find(current.id, forUpdate: false, on: connection)!
    }

    static func hasProgress(_ id: UUID, on connection: PQConnection) async throws -> Bool {
        try await connection.query("SELECT 1 FROM progress_entries WHERE unit_task_id = \(id) LIMIT 1").count == 1
    }

    static func delete(_ id: UUID, on connection: PQConnection) async throws {
        _ = try await connection.query("DELETE FROM unit_plan_tasks WHERE id = \(id)")
    }

    static func explain(_ error: PQError) -> FieldError? {
        switch error.constraint {
        case "unit_plan_tasks_implements_fkey": return FieldError("implements_task_id", "does not name an existing task")
        case "unit_plan_tasks_same_plan":
            return FieldError("implements_task_id", "must be a task of the Department plan this unit plan implements")
        case "unit_plan_tasks_dates": return FieldError("due_on", "must be on or after starts_on")
        default: return nil
        }
    }
}
