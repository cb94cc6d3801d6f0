import Foundation
import PQ
import TTDNKit

/// All the SQL of progress entries: appending one, reading a subject's history, and the
/// states the roll-up computes (`ttdn_task_states`, `ttdn_assignment_states`; migration 0014).
enum ProgressRepository: ResourceRepository {
    static let noun = "the progress entry"

    static func find(_ id: UUID, forUpdate: Bool, on connection: PQConnection) async throws -> ProgressEntry? {
        try await connection.query("SELECT \(ProgressEntry.columns) FROM progress_entries e WHERE e.id = \(id)").first.map(ProgressEntry.init(row:))
    }

    /// A subject's entries in the order they took effect (and were recorded).
    static func history(
        of subject: ProgressSubject, after cursor: [String]?, limit: Int, on connection: PQConnection
    ) async throws -> ([ProgressEntry], [String]?) {
        var conditions: [PQQuery] = ["e.\(subject.column) = \(subject.id)"]
        if let cursor, cursor.count == 3, let day = CalendarDate(cursor[0]), let recorded = Int64(cursor[1]), let id = UUID(uuidString: cursor[2]) {
            conditions.append("(e.effective_on, (extract(epoch FROM e.recorded_at) * 1000000)::int8, e.id) > (\(day), \(recorded), \(id))")
        }
        let items = try await connection.query(
            """
            SELECT \(ProgressEntry.columns) FROM progress_entries e WHERE \(PQQuery.joined(conditions, separator: " AND "))
            ORDER BY e.effective_on, e.recorded_at, e.id LIMIT \(limit + 1)
            """
        ).map(ProgressEntry.init(row:))
        return Pagination.cut(items, limit: limit) { [$0.effectiveOn.description, String($0.recordedKey), $0.id.text] }
    }

    /// What the subject's own entries said on `day`: its state (not started without any), note and links.
    static func ownState(
        of subject: ProgressSubject, on day: CalendarDate, on connection: PQConnection
    ) async throws -> (state: ProgressState, note: String?, evidence: [String]) {
        let rows = try await connection.query(
            """
            SELECT e.status, e.progress, e.completed_on, e.note, e.evidence_urls::text[] AS evidence_urls FROM progress_entries e
            WHERE e.\(subject.column) = \(subject.id) AND e.effective_on <= \(day) AND e.status IS NOT NULL
            ORDER BY e.effective_on DESC, e.recorded_at DESC, e.id DESC LIMIT 1
            """)
        guard let row = rows.first else { return (.notStarted, nil, []) }
        return (
            ProgressState(status: try row.decode("status"), progress: try row.decode("progress"), completedOn: try row.decode("completed_on")),
            try row.decode("note"), try row.decode("evidence_urls")
        )
    }

    /// What a Department task's state rolls up from, whatever an override says: nil when it
    /// follows its own entries.
    static func rollUpBasis(ofTask task: UUID, on connection: PQConnection) async throws -> ProgressSource? {
        let rows = try await connection.query(
            """
            SELECT CASE
                WHEN EXISTS (SELECT 1 FROM plan_tasks c WHERE c.parent_id = \(task)) THEN 'children'
                WHEN EXISTS (SELECT 1 FROM plan_task_assignments a WHERE a.task_id = \(task)) THEN 'assignments'
                WHEN EXISTS (SELECT 1 FROM training_sessions s WHERE s.plan_task_id = \(task) AND s.status <> 'cancelled') THEN 'trainings'
            END AS basis
            """)
        return try rows[0].decode("basis")
    }

    /// A Department task's computed state on `day` (roll-up or override included).
    static func taskState(_ task: UUID, on day: CalendarDate, on connection: PQConnection) async throws -> ProgressState {
        let rows = try await connection.query(
            """
            SELECT s.status, s.progress, s.completed_on
            FROM plan_tasks t CROSS JOIN LATERAL ttdn_task_states(\(day), t.plan_id) s
            WHERE t.id = \(task) AND s.task_id = t.id
            """)
        guard let row = rows.first else { return .notStarted }
        return ProgressState(status: try row.decode("status"), progress: try row.decode("progress"), completedOn: try row.decode("completed_on"))
    }

    /// Whether an assignment's progress comes from the unit's own plan tasks implementing it.
    static func isFedByUnitPlan(_ assignment: Assignment, on connection: PQConnection) async throws -> Bool {
        try await connection.query(
            """
            SELECT 1 FROM unit_plan_tasks ut JOIN unit_plans up ON up.id = ut.unit_plan_id
            WHERE ut.implements_task_id = \(assignment.taskId) AND up.unit_id = \(assignment.unitId) LIMIT 1
            """
        ).count == 1
    }

    /// Appends an entry (`state` nil ends an override) and moves the subject's version, so its
    /// ETag changes with its progress.
    static func append(
        to subject: ProgressSubject, state: ProgressState?, on day: CalendarDate, note: String?, evidence: [String], override: Bool,
        by principal: Principal?, on connection: PQConnection
    ) async throws -> ProgressEntry {
        let rows = try await connection.query(
            """
            INSERT INTO progress_entries (\(subject.column), effective_on, status, progress, completed_on, note, evidence_urls, override,
                                          actor_token_id, actor_role)
            VALUES (\(subject.id), \(day), \(state?.status)::task_status, \(state?.progress), \(state?.completedOn), \(note), \(evidence),
                    \(override), \(principal?.tokenID), \(principal?.role.rawValue)::token_role)
            RETURNING id
            """)
        let table: PQQuery =
            switch subject {
            case .task: "plan_tasks"
            case .assignment: "plan_task_assignments"
            case .unitTask: "unit_plan_tasks"
            }
        _ = try await connection.query("UPDATE \(table) SET updated_at = now(), version = version + 1 WHERE id = \(subject.id)")
        return try await find(try rows[0].decode("id"), forUpdate: false, on: connection)!
    }

    static func explain(_ error: PQError) -> FieldError? {
        switch error.constraint {
        case "progress_entries_completed_by_effective": return FieldError("effective_on", "cannot be before completed_on")
        case "progress_entries_status_progress": return FieldError("status", "does not agree with progress and completed_on")
        default: return nil
        }
    }
}
