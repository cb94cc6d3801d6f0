import Foundation
import PQ
import TTDNKit

/// What a progress entry is about: a Department task, an assignment, or a task of a unit's plan.
enum ProgressSubject: Sendable, Equatable {
    case task(UUID), assignment(UUID), unitTask(UUID)

    var id: UUID {
        switch self {
        case .task(let id), .assignment(let id), .unitTask(let id): id
        }
    }

    var kind: String {
        switch self {
        case .task: "task"
        case .assignment: "assignment"
        case .unitTask: "unit_task"
        }
    }

    /// The column of `progress_entries` that names it.
    var column: PQQuery {
        switch self {
        case .task: PQQuery(unescaped: "task_id")
        case .assignment: PQQuery(unescaped: "assignment_id")
        case .unitTask: PQQuery(unescaped: "unit_task_id")
        }
    }
}

/// One appended progress change, as it was reported. Entries are never edited: the state of
/// the subject on a day is its latest entry on or before that day.
public struct ProgressEntry: Encodable, Sendable, StoredResource {
    public var id: UUID
    /// `task`, `assignment` or `unit_task`.
    public var subjectType: String
    public var subjectId: UUID
    /// The day the reported state became true.
    public var effectiveOn: CalendarDate
    /// Null only for the entry that ends an override.
    public var status: TaskStatus?
    public var progress: Int?
    public var completedOn: CalendarDate?
    public var note: String?
    public var evidenceUrls: [String]
    public var override: Bool
    public var recordedAt: Date
    public var actorTokenId: UUID?
    public var actorRole: Role?

    package static let auditType = "progress_entries"
    package static let collectionPath = "/v1/progress-entries"
    public var etag: String { Conditional.etag(version: 1) }

    static let columns: PQQuery = """
        e.id, CASE WHEN e.task_id IS NOT NULL THEN 'task' WHEN e.assignment_id IS NOT NULL THEN 'assignment' ELSE 'unit_task' END AS subject_type,
        coalesce(e.task_id, e.assignment_id, e.unit_task_id) AS subject_id, e.effective_on, e.status, e.progress, e.completed_on,
        e.note, e.evidence_urls::text[] AS evidence_urls, e.override, e.recorded_at, e.actor_token_id, e.actor_role,
        (extract(epoch FROM e.recorded_at) * 1000000)::int8 AS recorded_key
        """

    var recordedKey: Int64 = 0

    init(row: PQRow) throws {
        id = try row.decode("id")
        subjectType = try row.decode("subject_type")
        subjectId = try row.decode("subject_id")
        effectiveOn = try row.decode("effective_on")
        status = try row.decode("status")
        progress = try row.decode("progress")
        completedOn = try row.decode("completed_on")
        note = try row.decode("note")
        evidenceUrls = try row.decode("evidence_urls")
        override = try row.decode("override")
        recordedAt = try row.decode("recorded_at")
        actorTokenId = try row.decode("actor_token_id")
        actorRole = try row.decode("actor_role")
        recordedKey = try row.decode("recorded_key")
    }

    enum CodingKeys: String, CodingKey {
        case id, subjectType, subjectId, effectiveOn, status, progress, completedOn, note, evidenceUrls, override, recordedAt
        case actorTokenId, actorRole
    }
}
