import Foundation
import PQ
import TTDNKit

/// All the SQL of assignments (a unit's share of a task).
enum AssignmentRepository: DeletableRepository {
    static let noun = "the assignment"

    static func find(_ id: UUID, forUpdate: Bool, on connection: PQConnection) async throws -> Assignment? {
        try await find(id, asOf: nil, forUpdate: forUpdate, on: connection)
    }

    static func find(_ id: UUID, asOf: CalendarDate?, forUpdate: Bool = false, on connection: PQConnection) async throws -> Assignment? {
        let lock = PQQuery(unescaped: forUpdate ? " FOR UPDATE OF a" : "")
        return try await connection.query(
            """
            SELECT \(Assignment.columns(asOf: asOf)) FROM plan_task_assignments a JOIN plan_tasks t ON t.id = a.task_id
            WHERE a.id = \(id)\(lock)
            """
        ).first.map(Assignment.init(row:))
    }

    static func taskExists(_ task: UUID, lock: Bool = false, on connection: PQConnection) async throws -> Bool {
        let share = PQQuery(unescaped: lock ? " FOR SHARE" : "")
        return try await connection.query("SELECT 1 FROM plan_tasks WHERE id = \(task)\(share)").count == 1
    }

    static func list(
        task: UUID, unit: UUID?, asOf: CalendarDate?, after cursor: [String]?, limit: Int,
        on connection: PQConnection
    ) async throws -> ([Assignment], [String]?) {
        var conditions: [PQQuery] = ["a.task_id = \(task)"]
        if let unit { conditions.append("a.unit_id = \(unit)") }
        if let cursor, cursor.count == 1, let after = UUID(uuidString: cursor[0]) { conditions.append("a.id > \(after)") }
        let items = try await connection.query(
            """
            SELECT \(Assignment.columns(asOf: asOf)) FROM plan_task_assignments a JOIN plan_tasks t ON t.id = a.task_id
            WHERE \(PQQuery.joined(conditions, separator: " AND ")) ORDER BY a.id LIMIT \(limit + 1)
            """
        ).map(Assignment.init(row:))
        return Pagination.cut(items, limit: limit) { [$0.id.text] }
    }

    static func insert(task: UUID, _ new: NewAssignment, on connection: PQConnection) async throws -> Assignment {
        let rows = try await connection.query(
            """
            INSERT INTO plan_task_assignments (task_id, unit_id, note, due_on) VALUES (\(task), \(new.unitID), \(new.note), \(new.dueOn))
            RETURNING id
            """)
        return try await find(try rows[0].decode("id"), forUpdate: false, on: connection)!
    }

    static func update(_ current: Assignment, with f: AssignmentFields, state: ProgressState, on connection: PQConnection) async throws -> Assignment
    {
        _ = try await connection.query(
            """
            UPDATE plan_task_assignments a SET
                status = \(state.status)::task_status, progress = \(state.progress), completed_on = \(state.completedOn),
                note = \(f.note.merged(into: current.note)), evidence_urls = \(f.evidenceURLs.merged(into: current.evidenceUrls) ?? []),
                due_on = \(f.dueOn.merged(into: current.dueOn)), updated_at = now(), version = a.version + 1
            WHERE a.id = \(current.id)
            """)
        return try await find(current.id, forUpdate: false, on: connection)!
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
