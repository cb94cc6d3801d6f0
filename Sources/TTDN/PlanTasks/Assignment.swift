import Foundation
import PQ
import TTDNKit

/// How one unit carries out one task.
public struct Assignment: Codable, Sendable, StoredResource {
    public var id: UUID
    public var taskId: UUID
    public var unitId: UUID
    public var status: TaskStatus
    public var progress: Int
    public var note: String?
    public var evidenceUrls: [String]
    public var dueOn: CalendarDate?
    public var deadline: CalendarDate?
    public var completedOn: CalendarDate?
    public var progressClass: ProgressClass?
    public var createdAt: Date
    public var updatedAt: Date
    public var version: Int

    package static let auditType = "plan_task_assignments"
    package static let collectionPath = "/v1/plan-tasks"
    public var etag: String { Conditional.etag(version: version) }
    package var location: String { "/v1/plan-tasks/\(taskId.text)/assignments/\(id.text)" }

    static func columns(asOf: CalendarDate?) -> PQQuery {
        """
        a.id, a.task_id, a.unit_id, a.status, a.progress, a.note, a.evidence_urls::text[] AS evidence_urls,
        a.due_on, coalesce(a.due_on, ttdn_task_deadline(t.due_on, t.year, t.quarter)) AS deadline, a.completed_on,
        ttdn_progress_class(a.status, a.completed_on, coalesce(a.due_on, ttdn_task_deadline(t.due_on, t.year, t.quarter)),
                            coalesce(\(asOf), ttdn_today())) AS progress_class,
        a.created_at, a.updated_at, a.version
        """
    }

    init(row: PQRow) throws {
        id = try row.decode("id")
        taskId = try row.decode("task_id")
        unitId = try row.decode("unit_id")
        status = try row.decode("status")
        progress = try row.decode("progress")
        note = try row.decode("note")
        evidenceUrls = try row.decode("evidence_urls")
        dueOn = try row.decode("due_on")
        deadline = try row.decode("deadline")
        completedOn = try row.decode("completed_on")
        progressClass = try row.decode("progress_class")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
        version = try row.decode("version")
    }

    var state: ProgressState { ProgressState(status: status, progress: progress, completedOn: completedOn) }
}

/// What a new assignment names.
struct NewAssignment {
    var unitID: UUID?
    var note: String?
    var dueOn: CalendarDate?

    init(reading reader: inout InputReader) {
        unitID = reader.required("unit_id", reader.uuid("unit_id"))
        note = reader.string("note", maxLength: 5000).value
        dueOn = reader.date("due_on").value
    }
}

/// What a progress report on an assignment may change.
struct AssignmentFields: ResourceInput {
    /// Assignments are created by `NewAssignment`; these fields are a progress report.
    static let requiredOnCreate: [String] = []

    var status: Field<TaskStatus>
    var progress: Field<Int>
    var note: Field<String>
    var evidenceURLs: Field<[String]>
    var dueOn: Field<CalendarDate>
    var completedOn: Field<CalendarDate>
    var reopen: Bool

    init(reading reader: inout InputReader) {
        status = reader.enumeration("status", TaskStatus.self)
        progress = reader.integer("progress", range: 0...100)
        note = reader.string("note", maxLength: 5000)
        evidenceURLs = reader.stringArray("evidence_urls", maxCount: 50, maxLength: 2000)
        if let urls = evidenceURLs.value {
            for url in urls
            where URLComponents(string: url)?.scheme.map({ ["http", "https"].contains($0.lowercased()) }) != true
                || URLComponents(string: url)?.host?.isEmpty != false
            {
                reader.fail("evidence_urls", "every item must be an absolute http or https URL")
                break
            }
        }
        dueOn = reader.date("due_on")
        completedOn = reader.date("completed_on")
        reopen = reader.bool("reopen").value ?? false
        reader.notNull("status", status)
        reader.notNull("progress", progress)
        reader.notNull("evidence_urls", evidenceURLs)
    }
}
