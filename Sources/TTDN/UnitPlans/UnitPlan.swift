import Foundation
import PQ
import TTDNKit

/// A unit's implementation plan of a Department plan (Section IV of the 2023 plan: every
/// district office and school builds its own). One per unit and Department plan.
public struct UnitPlan: Encodable, Sendable, StoredResource {
    public var id: UUID
    public var unitId: UUID
    /// The Department plan it implements.
    public var planId: UUID
    public var number: String?
    public var title: String
    public var issuedOn: CalendarDate?
    public var status: PlanStatus
    public var note: String?
    public var taskCount: Int
    public var createdAt: Date
    public var updatedAt: Date
    public var version: Int

    package static let auditType = "unit_plans"
    package static let collectionPath = "/v1/unit-plans"
    public var etag: String { Conditional.etag(version: version) }

    static let columns: PQQuery = """
        up.id, up.unit_id, up.plan_id, up.number, up.title, up.issued_on, up.status, up.note,
        (SELECT count(*) FROM unit_plan_tasks ut WHERE ut.unit_plan_id = up.id)::int8 AS task_count,
        up.created_at, up.updated_at, up.version
        """

    init(row: PQRow) throws {
        id = try row.decode("id")
        unitId = try row.decode("unit_id")
        planId = try row.decode("plan_id")
        number = try row.decode("number")
        title = try row.decode("title")
        issuedOn = try row.decode("issued_on")
        status = try row.decode("status")
        note = try row.decode("note")
        taskCount = try row.decode("task_count")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
        version = try row.decode("version")
    }
}

/// The writable fields of a unit plan; the unit and the Department plan name it and stay.
struct UnitPlanFields: ResourceInput {
    static let requiredOnCreate = ["unit_id", "plan_id", "title"]

    var unitID: Field<UUID>
    var planID: Field<UUID>
    var number: Field<String>
    var title: Field<String>
    var issuedOn: Field<CalendarDate>
    var status: Field<PlanStatus>
    var note: Field<String>

    init(reading reader: inout InputReader) {
        unitID = reader.uuid("unit_id")
        planID = reader.uuid("plan_id")
        number = reader.string("number", maxLength: 100)
        title = reader.string("title", maxLength: 500)
        issuedOn = reader.date("issued_on")
        status = reader.enumeration("status", PlanStatus.self)
        note = reader.string("note", maxLength: 5000)
        reader.notNull("title", title)
        reader.notNull("status", status)
    }
}

/// A task of a unit's plan: the unit's own work, each implementing one Department task, with
/// its own dates and a progress history that feeds the unit's assignment of that task.
public struct UnitPlanTask: Encodable, Sendable, StoredResource {
    public var id: UUID
    public var unitPlanId: UUID
    public var unitId: UUID
    public var implementsTaskId: UUID
    public var position: Int
    public var title: String
    public var description: String?
    public var startsOn: CalendarDate?
    public var dueOn: CalendarDate?
    /// Its due date, else the deadline of the Department task it implements.
    public var deadline: CalendarDate?
    public var status: TaskStatus
    public var progress: Int
    public var completedOn: CalendarDate?
    public var progressClass: ProgressClass?
    public var progressUpdatedOn: CalendarDate?
    public var createdAt: Date
    public var updatedAt: Date
    public var version: Int

    package static let auditType = "unit_plan_tasks"
    package static let collectionPath = "/v1/unit-plans"
    public var etag: String {
        Conditional.etag(
            version: version, derived: [status.rawValue, String(progress), completedOn?.description ?? "", progressClass?.rawValue ?? "none"])
    }
    package var location: String { "/v1/unit-plans/\(unitPlanId.text)/tasks/\(id.text)" }

    /// `unit_plan_tasks ut` with its plan `up`, the Department task `t` and its state `s` on `asOf`.
    static func from(asOf: CalendarDate?) -> PQQuery {
        """
        unit_plan_tasks ut JOIN unit_plans up ON up.id = ut.unit_plan_id JOIN plan_tasks t ON t.id = ut.implements_task_id
        JOIN ttdn_unit_task_states(coalesce(\(asOf), ttdn_today())) s ON s.unit_task_id = ut.id
        """
    }

    static func columns(asOf: CalendarDate?) -> PQQuery {
        """
        ut.id, ut.unit_plan_id, up.unit_id, ut.implements_task_id, ut.position, ut.title, ut.description, ut.starts_on, ut.due_on,
        coalesce(ut.due_on, ttdn_task_deadline(t.due_on, t.year, t.quarter)) AS deadline, s.status, s.progress, s.completed_on,
        ttdn_progress_class(s.status, s.completed_on, coalesce(ut.due_on, ttdn_task_deadline(t.due_on, t.year, t.quarter)),
                            coalesce(\(asOf), ttdn_today())) AS progress_class,
        s.effective_on AS progress_updated_on, ut.created_at, ut.updated_at, ut.version
        """
    }

    init(row: PQRow) throws {
        id = try row.decode("id")
        unitPlanId = try row.decode("unit_plan_id")
        unitId = try row.decode("unit_id")
        implementsTaskId = try row.decode("implements_task_id")
        position = try row.decode("position")
        title = try row.decode("title")
        description = try row.decode("description")
        startsOn = try row.decode("starts_on")
        dueOn = try row.decode("due_on")
        deadline = try row.decode("deadline")
        status = try row.decode("status")
        progress = try row.decode("progress")
        completedOn = try row.decode("completed_on")
        progressClass = try row.decode("progress_class")
        progressUpdatedOn = try row.decode("progress_updated_on")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
        version = try row.decode("version")
    }
}

/// The writable fields of a unit plan task; progress is reported through `…/progress` (or the
/// progress fields of a PATCH), appended to its history.
struct UnitPlanTaskFields: ResourceInput {
    static let requiredOnCreate = ["implements_task_id", "title"]

    var implementsTaskID: Field<UUID>
    var position: Field<Int>
    var title: Field<String>
    var description: Field<String>
    var startsOn: Field<CalendarDate>
    var dueOn: Field<CalendarDate>
    var report: ProgressReport

    init(reading reader: inout InputReader) {
        implementsTaskID = reader.uuid("implements_task_id")
        position = reader.integer("position", range: 0...100_000)
        title = reader.string("title", maxLength: 1000)
        description = reader.string("description", maxLength: 20_000)
        startsOn = reader.date("starts_on")
        dueOn = reader.date("due_on")
        report = ProgressReport(reading: &reader, allowOverride: false)
        reader.notNull("implements_task_id", implementsTaskID)
        reader.notNull("title", title)
        reader.notNull("position", position)
    }
}

/// Which units of a Department plan have their own plan: every unit the plan assigns work to
/// is expected to have one.
struct UnitPlanCoverage: Encodable, Sendable {
    struct Line: Encodable, Sendable {
        let unitId: UUID
        let code: String
        let name: String
        let assignments: Int
        let unitPlanId: UUID?
        let unitPlanStatus: PlanStatus?
        let taskCount: Int

        init(row: PQRow) throws {
            unitId = try row.decode("unit_id")
            code = try row.decode("code")
            name = try row.decode("name")
            assignments = try row.decode("assignments")
            unitPlanId = try row.decode("unit_plan_id")
            unitPlanStatus = try row.decode("unit_plan_status")
            taskCount = try row.decode("task_count")
        }
    }

    let planId: UUID
    let expected: Int
    let withPlan: [Line]
    let withoutPlan: [Line]

    static let csvHeader = ["scope", "unit_id", "unit_code", "unit_name", "assignments", "unit_plan_id", "unit_plan_status", "task_count"]
    var csvRows: [[String?]] {
        func row(_ scope: String, _ line: Line) -> [String?] {
            [
                scope, line.unitId.text, line.code, line.name, String(line.assignments), line.unitPlanId?.text, line.unitPlanStatus?.rawValue,
                String(line.taskCount),
            ]
        }
        return withPlan.map { row("with_plan", $0) } + withoutPlan.map { row("without_plan", $0) }
    }
}
