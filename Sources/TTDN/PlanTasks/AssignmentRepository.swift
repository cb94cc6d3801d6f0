import Foundation
import PQ
import TTDNKit

/// Which assignments `GET /v1/assignments` lists.
struct AssignmentFilter: Sendable {
    var unitID: UUID?
    var planID: UUID?
    var taskID: UUID?
    var status: TaskStatus?
    var progressClass: ProgressClass?
    var asOf: CalendarDate?
}

/// All the SQL of assignments (a unit's share of a task).
enum AssignmentRepository: DeletableRepository {
    static let noun = "the assignment"

    /// The unit an assignment is of, for the rules of what hangs on it (attachments, comments).
    static func unit(of id: UUID, on connection: PQConnection) async throws -> UUID? {
        try await connection.query("SELECT unit_id FROM plan_task_assignments WHERE id = \(id)").first?.decode("unit_id")
    }

    static func find(_ id: UUID, forUpdate: Bool, on connection: PQConnection) async throws -> Assignment? {
        try await find(id, asOf: nil, forUpdate: forUpdate, on: connection)
    }

    static func find(_ id: UUID, asOf: CalendarDate?, forUpdate: Bool = false, on connection: PQConnection) async throws -> Assignment? {
        let lock = PQQuery(unescaped: forUpdate ? " FOR UPDATE OF a" : "")
        let plan: PQQuery = "(SELECT t.plan_id FROM plan_task_assignments a JOIN plan_tasks t ON t.id = a.task_id WHERE a.id = \(id))"
        return try await connection.query(
            "SELECT \(Assignment.columns(asOf: asOf)) FROM \(Assignment.from(asOf: asOf, plan: plan)) WHERE a.id = \(id)\(lock)"
        ).first.map(Assignment.init(row:))
    }

    static func taskExists(_ task: UUID, lock: Bool = false, on connection: PQConnection) async throws -> Bool {
        let share = PQQuery(unescaped: lock ? " FOR SHARE" : "")
        return try await connection.query("SELECT 1 FROM plan_tasks WHERE id = \(task)\(share)").count == 1
    }

    /// The assignments of one task.
    static func list(
        task: UUID, unit: UUID?, asOf: CalendarDate?, after cursor: [String]?, limit: Int,
        on connection: PQConnection
    ) async throws -> ([Assignment], [String]?) {
        try await list(AssignmentFilter(unitID: unit, taskID: task, asOf: asOf), after: cursor, limit: limit, on: connection)
    }

    /// Assignments across tasks (a unit's work in a plan, on one page), in plan order.
    static func list(
        _ f: AssignmentFilter, after cursor: [String]?, limit: Int, on connection: PQConnection
    ) async throws -> ([Assignment], [String]?) {
        var conditions: [PQQuery] = ["true"]
        if let v = f.unitID { conditions.append("a.unit_id = \(v)") }
        if let v = f.planID { conditions.append("t.plan_id = \(v)") }
        if let v = f.taskID { conditions.append("a.task_id = \(v)") }
        if let v = f.status { conditions.append("s.status = \(v)::task_status") }
        if let v = f.progressClass {
            conditions.append(
                """
                ttdn_progress_class(s.status, s.completed_on, coalesce(a.due_on, ttdn_task_deadline(t.due_on, t.year, t.quarter)),
                                    coalesce(\(f.asOf), ttdn_today())) = \(v)
                """)
        }
        if let cursor, cursor.count == 4, let plan = UUID(uuidString: cursor[0]), let position = Int(cursor[1]),
            let task = UUID(uuidString: cursor[2]), let id = UUID(uuidString: cursor[3])
        {
            conditions.append("(t.plan_id, t.position, t.id, a.id) > (\(plan), \(position), \(task), \(id))")
        }
        let plan: PQQuery =
            if let task = f.taskID { "(SELECT plan_id FROM plan_tasks WHERE id = \(task))" } else { "\(f.planID)::uuid" }
        let items = try await connection.query(
            """
            SELECT \(Assignment.columns(asOf: f.asOf)), t.plan_id, t.position FROM \(Assignment.from(asOf: f.asOf, plan: plan))
            WHERE \(PQQuery.joined(conditions, separator: " AND ")) ORDER BY t.plan_id, t.position, t.id, a.id LIMIT \(limit + 1)
            """
        ).map { (try Assignment(row: $0), try $0.decode("plan_id", as: UUID.self), try $0.decode("position", as: Int.self)) }
        let (page, next) = Pagination.cut(items, limit: limit) { [$0.1.text, String($0.2), $0.0.taskId.text, $0.0.id.text] }
        return (page.map(\.0), next)
    }

    static func insert(task: UUID, _ new: NewAssignment, on connection: PQConnection) async throws -> Assignment {
        let rows = try await connection.query(
            """
            INSERT INTO plan_task_assignments (task_id, unit_id, note, due_on) VALUES (\(task), \(new.unitID), \(new.note), \(new.dueOn))
            RETURNING id
            """)
        return try await find(try rows[0].decode("id"), forUpdate: false, on: connection)!
    }

    /// The units a bulk request names, valid on `day`: the listed ones (every one must exist and
    /// be valid that day), or those of the kind and/or below the parent.
    static func bulkUnits(_ bulk: BulkAssignment, on day: CalendarDate, on connection: PQConnection) async throws -> [UUID] {
        let valid: PQQuery = "(u.valid_from IS NULL OR u.valid_from <= \(day)) AND (u.valid_to IS NULL OR u.valid_to >= \(day))"
        if let ids = bulk.unitIDs {
            let found = try await connection.query("SELECT u.id FROM units u WHERE u.id = ANY(\(ids)) AND \(valid)").map {
                try $0.decode("id", as: UUID.self)
            }
            let missing = Set(ids).subtracting(found)
            if !missing.isEmpty {
                throw Problem.validation([
                    FieldError(
                        "unit_ids",
                        "\(missing.map(\.text).sorted().joined(separator: ", ")) name no unit that exists on \(day)")
                ])
            }
            return Array(Set(ids))
        }
        var conditions: [PQQuery] = [valid]
        if let kind = bulk.unitKind { conditions.append("u.kind = \(kind)::unit_kind") }
        if let parent = bulk.parentUnitID {
            guard try await connection.query("SELECT 1 FROM units WHERE id = \(parent)").count == 1 else {
                throw Problem.validation([FieldError("parent_unit_id", "does not name an existing unit")])
            }
            conditions.append(
                """
                u.id IN (WITH RECURSIVE below(id) AS (SELECT id FROM units WHERE parent_id = \(parent)
                                                     UNION SELECT c.id FROM units c JOIN below ON c.parent_id = below.id)
                         SELECT id FROM below)
                """)
        }
        return try await connection.query("SELECT u.id FROM units u WHERE \(PQQuery.joined(conditions, separator: " AND ")) ORDER BY u.id")
            .map { try $0.decode("id", as: UUID.self) }
    }

    /// Creates the missing (task, unit) pairs; answers the ids created and those that existed.
    static func insertMissing(
        tasks: [UUID], units: [UUID], dueOn: CalendarDate?, note: String?, on connection: PQConnection
    ) async throws -> (created: [UUID], existing: [UUID]) {
        let existing = try await connection.query(
            "SELECT id FROM plan_task_assignments WHERE task_id = ANY(\(tasks)) AND unit_id = ANY(\(units)) ORDER BY task_id, unit_id"
        ).map { try $0.decode("id", as: UUID.self) }
        let created = try await connection.query(
            """
            INSERT INTO plan_task_assignments (task_id, unit_id, note, due_on)
            SELECT task_id::uuid, unit_id::uuid, \(note), \(dueOn) FROM unnest(\(tasks)) AS task_id CROSS JOIN unnest(\(units)) AS unit_id
            ORDER BY 1, 2
            ON CONFLICT (task_id, unit_id) DO NOTHING
            RETURNING id
            """
        ).map { try $0.decode("id", as: UUID.self) }
        return (created, existing)
    }

    static func missingTasks(_ tasks: [UUID], on connection: PQConnection) async throws -> [UUID] {
        let found = try await connection.query("SELECT id FROM plan_tasks WHERE id = ANY(\(tasks)) FOR SHARE").map {
            try $0.decode("id", as: UUID.self)
        }
        return Array(Set(tasks).subtracting(found)).sorted { $0.text < $1.text }
    }

    static func setDueOn(_ id: UUID, _ dueOn: CalendarDate?, on connection: PQConnection) async throws {
        _ = try await connection.query(
            "UPDATE plan_task_assignments SET due_on = \(dueOn), updated_at = now(), version = version + 1 WHERE id = \(id)")
    }

    static func delete(_ id: UUID, on connection: PQConnection) async throws {
        _ = try await connection.query("DELETE FROM plan_task_assignments WHERE id = \(id)")
    }

    static func explain(_ error: PQError) -> FieldError? {
        switch error.constraint {
        case "plan_task_assignments_unit_fkey": return FieldError("unit_id", "does not name an existing unit")
        case "plan_task_assignments_unit_key": return FieldError("unit_id", "already has an assignment for this task")
        default: return nil
        }
    }
}
