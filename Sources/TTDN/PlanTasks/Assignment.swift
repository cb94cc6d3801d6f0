import Foundation
import PQ
import TTDNKit

/// How one unit carries out one task, and how far it got on the day asked (`as_of`).
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
    /// `entries` (reported on the assignment) or `unit_plan` (rolled up from the unit's own plan tasks).
    public var progressSource: ProgressSource
    /// The day the state shown became true (null while nothing was reported).
    public var progressUpdatedOn: CalendarDate?
    public var createdAt: Date
    public var updatedAt: Date
    public var version: Int

    package static let auditType = "plan_task_assignments"
    package static let collectionPath = "/v1/plan-tasks"
    /// Changes with the state shown (rolled up from other rows, judged on `as_of`), not only with `version`.
    public var etag: String {
        Conditional.etag(
            version: version,
            derived: [status.rawValue, String(progress), completedOn?.description ?? "", progressClass?.rawValue ?? "none", progressSource.rawValue])
    }
    package var location: String { "/v1/plan-tasks/\(taskId.text)/assignments/\(id.text)" }

    /// `plan_task_assignments a` with its task `t` and its state `s` on `asOf` (today in Hai
    /// Phong when nil), for the assignments of `plan` (all plans when nil).
    static func from(asOf: CalendarDate?, plan: PQQuery) -> PQQuery {
        """
        plan_task_assignments a JOIN plan_tasks t ON t.id = a.task_id
        JOIN ttdn_assignment_states(coalesce(\(asOf), ttdn_today()), \(plan)) s ON s.assignment_id = a.id
        """
    }

    static func columns(asOf: CalendarDate?) -> PQQuery {
        """
        a.id, a.task_id, a.unit_id, s.status, s.progress, s.note, s.evidence_urls,
        a.due_on, coalesce(a.due_on, ttdn_task_deadline(t.due_on, t.year, t.quarter)) AS deadline, s.completed_on,
        ttdn_progress_class(s.status, s.completed_on, coalesce(a.due_on, ttdn_task_deadline(t.due_on, t.year, t.quarter)),
                            coalesce(\(asOf), ttdn_today())) AS progress_class,
        s.source AS progress_source, s.effective_on AS progress_updated_on,
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
        progressSource = try row.decode("progress_source")
        progressUpdatedOn = try row.decode("progress_updated_on")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
        version = try row.decode("version")
    }
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

/// What a PATCH of an assignment may change: its due date (admins) and, as a progress report
/// appended to its history, its progress.
struct AssignmentFields {
    var dueOn: Field<CalendarDate>
    var report: ProgressReport

    init(reading reader: inout InputReader) {
        dueOn = reader.date("due_on")
        report = ProgressReport(reading: &reader, allowOverride: false)
    }
}

/// One request assigning tasks to many units: the tasks, and the units as a list of ids or as
/// every unit of a kind and/or under a parent (at any depth) that exists on `valid_on`.
struct BulkAssignment {
    var taskIDs: [UUID] = []
    var unitIDs: [UUID]?
    var unitKind: UnitKind?
    var parentUnitID: UUID?
    var validOn: CalendarDate?
    var dueOn: CalendarDate?
    var note: String?

    init(reading reader: inout InputReader) {
        let tasks = reader.uuids("task_ids")
        taskIDs = tasks.value ?? []
        if tasks.value?.isEmpty != false { reader.fail("task_ids", "must list at least one task") }
        if taskIDs.count > 200 { reader.fail("task_ids", "at most 200 tasks per request") }
        unitIDs = reader.uuids("unit_ids").value
        if let ids = unitIDs, ids.count > 5000 { reader.fail("unit_ids", "at most 5000 units per request") }
        unitKind = reader.enumeration("unit_kind", UnitKind.self).value
        parentUnitID = reader.uuid("parent_unit_id").value
        validOn = reader.date("valid_on").value
        dueOn = reader.date("due_on").value
        note = reader.string("note", maxLength: 5000).value
        if unitIDs != nil, unitKind != nil || parentUnitID != nil {
            reader.fail("unit_ids", "name the units either by id or by unit_kind / parent_unit_id, not both")
        } else if unitIDs == nil, unitKind == nil, parentUnitID == nil {
            reader.fail("unit_ids", "name the units: unit_ids, or unit_kind and/or parent_unit_id")
        } else if let ids = unitIDs, ids.isEmpty {
            reader.fail("unit_ids", "must list at least one unit")
        }
    }
}
