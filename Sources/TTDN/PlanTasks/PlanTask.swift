import Foundation
import PQ
import TTDNKit

/// A task of a plan, numbered as in the plan (`III.2.3`), with its derived deadline and class.
public struct PlanTask: Codable, Sendable, StoredResource {
    public var id: UUID
    public var planId: UUID
    public var code: String
    public var position: Int
    public var title: String
    public var description: String?
    public var parentId: UUID?
    public var category: TaskCategory
    public var year: Int?
    public var quarter: Int?
    public var startsOn: CalendarDate?
    public var dueOn: CalendarDate?
    /// The due date, else the end of the quarter, else of the year.
    public var deadline: CalendarDate?
    public var expectedOutputs: [String]
    public var status: TaskStatus
    public var progress: Int
    public var completedOn: CalendarDate?
    /// done_on_time, done_late, in_progress_on_time or overdue on `as_of` (null when cancelled).
    public var progressClass: ProgressClass?
    /// A task with sub-tasks: it only groups them, and its state is theirs rolled up.
    public var isHeading: Bool
    /// Where status and progress come from: `entries`, `override`, `assignments`, `trainings` or `children`.
    public var progressSource: ProgressSource
    /// The day the state shown became true (null while nothing happened).
    public var progressUpdatedOn: CalendarDate?
    public var leadUnitIds: [UUID]
    public var cooperatingUnitIds: [UUID]
    public var createdAt: Date
    public var updatedAt: Date
    public var version: Int

    package static let auditType = "plan_tasks"
    package static let collectionPath = "/v1/plan-tasks"
    /// Changes with the state shown (rolled up from other rows, judged on `as_of`), not only with `version`.
    public var etag: String {
        Conditional.etag(
            version: version,
            derived: [status.rawValue, String(progress), completedOn?.description ?? "", progressClass?.rawValue ?? "none", progressSource.rawValue])
    }

    /// `plan_tasks t` with its state `s` on `asOf` (today in Hai Phong when nil), for the tasks
    /// of `plan` (all plans when nil).
    static func from(asOf: CalendarDate?, plan: PQQuery) -> PQQuery {
        "plan_tasks t JOIN ttdn_task_states(coalesce(\(asOf), ttdn_today()), \(plan)) s ON s.task_id = t.id"
    }

    /// The columns of `from(asOf:plan:)`.
    static func columns(asOf: CalendarDate?) -> PQQuery {
        """
        t.id, t.plan_id, t.code, t.position, t.title, t.description, t.parent_id, t.category,
        t.year, t.quarter, t.starts_on, t.due_on, ttdn_task_deadline(t.due_on, t.year, t.quarter) AS deadline,
        t.expected_outputs::text[] AS expected_outputs, s.status, s.progress, s.completed_on,
        ttdn_progress_class(s.status, s.completed_on, ttdn_task_deadline(t.due_on, t.year, t.quarter),
                            coalesce(\(asOf), ttdn_today())) AS progress_class,
        s.is_heading, s.source AS progress_source, s.effective_on AS progress_updated_on,
        coalesce((SELECT array_agg(pu.unit_id ORDER BY pu.unit_id) FROM plan_task_units pu
                  WHERE pu.task_id = t.id AND pu.role = 'lead'), '{}') AS lead_unit_ids,
        coalesce((SELECT array_agg(pu.unit_id ORDER BY pu.unit_id) FROM plan_task_units pu
                  WHERE pu.task_id = t.id AND pu.role = 'cooperating'), '{}') AS cooperating_unit_ids,
        t.created_at, t.updated_at, t.version
        """
    }

    init(row: PQRow) throws {
        id = try row.decode("id")
        planId = try row.decode("plan_id")
        code = try row.decode("code")
        position = try row.decode("position")
        title = try row.decode("title")
        description = try row.decode("description")
        parentId = try row.decode("parent_id")
        category = try row.decode("category")
        year = try row.decode("year")
        quarter = try row.decode("quarter")
        startsOn = try row.decode("starts_on")
        dueOn = try row.decode("due_on")
        deadline = try row.decode("deadline")
        expectedOutputs = try row.decode("expected_outputs")
        status = try row.decode("status")
        progress = try row.decode("progress")
        completedOn = try row.decode("completed_on")
        progressClass = try row.decode("progress_class")
        isHeading = try row.decode("is_heading")
        progressSource = try row.decode("progress_source")
        progressUpdatedOn = try row.decode("progress_updated_on")
        leadUnitIds = try row.decode("lead_unit_ids")
        cooperatingUnitIds = try row.decode("cooperating_unit_ids")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
        version = try row.decode("version")
    }

    static let csvHeader = [
        "id", "plan_id", "code", "position", "title", "parent_id", "category", "year", "quarter",
        "starts_on", "due_on", "deadline", "status", "progress", "completed_on", "progress_class",
        "lead_unit_ids", "cooperating_unit_ids", "version", "is_heading", "progress_source", "progress_updated_on",
    ]
    var csvRow: [String?] {
        [
            id.text, planId.text, code, String(position), title, parentId?.text, category.rawValue, year.map(String.init), quarter.map(String.init),
            startsOn?.description, dueOn?.description, deadline?.description, status.rawValue, String(progress),
            completedOn?.description, progressClass?.rawValue, leadUnitIds.map(\.text).joined(separator: " "),
            cooperatingUnitIds.map(\.text).joined(separator: " "), String(version), String(isHeading), progressSource.rawValue,
            progressUpdatedOn?.description,
        ]
    }
}

/// The writable fields of a task.
struct PlanTaskFields: ResourceInput {
    static let requiredOnCreate = ["plan_id", "code", "title", "category"]

    var planID: Field<UUID> = .absent
    var code: Field<String> = .absent
    var position: Field<Int> = .absent
    var title: Field<String> = .absent
    var description: Field<String> = .absent
    var parentID: Field<UUID> = .absent
    var category: Field<TaskCategory> = .absent
    var year: Field<Int> = .absent
    var quarter: Field<Int> = .absent
    var startsOn: Field<CalendarDate> = .absent
    var dueOn: Field<CalendarDate> = .absent
    var expectedOutputs: Field<[String]> = .absent
    var leadUnitIDs: Field<[UUID]> = .absent
    var cooperatingUnitIDs: Field<[UUID]> = .absent
    /// Progress fields, appended to the task's history as an entry.
    var report = ProgressReport()

    init(reading reader: inout InputReader) {
        planID = reader.uuid("plan_id")
        code = reader.string("code", maxLength: 40)
        if let value = code.value, value.range(of: "^[A-Za-z0-9][A-Za-z0-9.]{0,39}$", options: .regularExpression) == nil {
            reader.fail("code", "must be the plan's numbering, e.g. III.2.3 (letters, digits and dots)")
        }
        position = reader.integer("position", range: 0...100_000)
        title = reader.string("title", maxLength: 1000)
        description = reader.string("description", maxLength: 20_000)
        parentID = reader.uuid("parent_id")
        category = reader.enumeration("category", TaskCategory.self)
        year = reader.integer("year", range: 2000...2100)
        quarter = reader.integer("quarter", range: 1...4)
        startsOn = reader.date("starts_on")
        dueOn = reader.date("due_on")
        expectedOutputs = reader.stringArray("expected_outputs", maxCount: 50, maxLength: 2000)
        leadUnitIDs = reader.uuids("lead_unit_ids")
        cooperatingUnitIDs = reader.uuids("cooperating_unit_ids")
        report = ProgressReport(reading: &reader, allowOverride: true)
        for (key, isNull) in [
            ("code", code.isNull), ("position", position.isNull), ("title", title.isNull), ("category", category.isNull),
        ] where isNull {
            reader.fail(key, "must not be null")
        }
        if let lead = leadUnitIDs.value, let cooperating = cooperatingUnitIDs.value, !Set(lead).isDisjoint(with: cooperating) {
            reader.fail("cooperating_unit_ids", "a unit cannot both lead and cooperate on a task")
        }
    }

}
