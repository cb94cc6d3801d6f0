import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `GET /v1/aggregates/tasks?plan_id=&as_of=`: counts of a plan's work items (tasks without
/// sub-tasks), its headings (apart) and its assignments by status and by the four progress
/// classes on `as_of`, from their history and roll-up; work items also per lead unit, and
/// assignments per assigned unit.
struct TaskAggregateRoutes {
    let pool: PQPool

    struct Counts: Encodable, Sendable {
        var total = 0
        var byStatus: [String: Int] = Dictionary(uniqueKeysWithValues: TaskStatus.allCases.map { ($0.rawValue, 0) })
        var byClass: [String: Int] = Dictionary(uniqueKeysWithValues: ProgressClass.allCases.map { ($0.rawValue, 0) })

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: VerbatimKey.self)
            try container.encode(total, forKey: VerbatimKey("total"))
            var status = container.nestedContainer(keyedBy: VerbatimKey.self, forKey: VerbatimKey("by_status"))
            for (key, value) in byStatus { try status.encode(value, forKey: VerbatimKey(key)) }
            var klass = container.nestedContainer(keyedBy: VerbatimKey.self, forKey: VerbatimKey("by_class"))
            for (key, value) in byClass { try klass.encode(value, forKey: VerbatimKey(key)) }
        }

        mutating func add(status: String, klass: String?, count: Int) {
            total += count
            byStatus[status, default: 0] += count
            if let klass { byClass[klass, default: 0] += count }
        }
    }

    struct UnitCounts: Encodable, Sendable {
        let unitId: String
        let code: String
        let name: String
        var counts: Counts
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: VerbatimKey.self)
            try container.encode(unitId, forKey: VerbatimKey("unit_id"))
            try container.encode(code, forKey: VerbatimKey("code"))
            try container.encode(name, forKey: VerbatimKey("name"))
            try counts.encode(to: encoder)
        }
    }

    struct Report: Encodable, Sendable {
        let planId: String
        let asOf: CalendarDate
        /// Work items: the tasks that are work, not headings.
        let tasks: Counts
        let headings: Counts
        let assignments: Counts
        let perLeadUnit: [UnitCounts]
        let perAssignedUnit: [UnitCounts]
    }

    /// The counts of `plan` on `asOf`: the one definition the endpoint and the consolidated report read.
    static func report(plan: UUID, asOf: CalendarDate, on connection: PQConnection) async throws -> Report {
        var tasks = Counts(), headings = Counts(), assignments = Counts()
        var lead: [UUID: Counts] = [:], assigned: [UUID: Counts] = [:]
        for row in try await PlanTaskRepository.progressCounts(plan: plan, asOf: asOf, on: connection) {
            switch row.scope {
            case "task": tasks.add(status: row.status, klass: row.klass, count: row.count)
            case "heading": headings.add(status: row.status, klass: row.klass, count: row.count)
            case "assignment": assignments.add(status: row.status, klass: row.klass, count: row.count)
            case "lead": lead[row.unitID!, default: Counts()].add(status: row.status, klass: row.klass, count: row.count)
            default: assigned[row.unitID!, default: Counts()].add(status: row.status, klass: row.klass, count: row.count)
            }
        }
        var perLead: [UnitCounts] = [], perAssigned: [UnitCounts] = []
        for unit in try await PlanTaskRepository.unitNames(Array(Set(lead.keys).union(assigned.keys)), on: connection) {
            if let counts = lead[unit.id] { perLead.append(UnitCounts(unitId: unit.id.text, code: unit.code, name: unit.name, counts: counts)) }
            if let counts = assigned[unit.id] {
                perAssigned.append(UnitCounts(unitId: unit.id.text, code: unit.code, name: unit.name, counts: counts))
            }
        }
        return Report(
            planId: plan.text, asOf: asOf, tasks: tasks, headings: headings, assignments: assignments,
            perLeadUnit: perLead, perAssignedUnit: perAssigned)
    }

    @Sendable func aggregate(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = QueryReader(request)
        let plan = query.uuid("plan_id")
        let asOf = query.date("as_of") ?? HaiPhong.today()
        if plan == nil, query.errors.isEmpty { query.fail("plan_id", "is required") }
        try query.finish()
        guard let plan else { throw Problem.invalidQuery([FieldError("plan_id", "is required")]) }
        let report = try await pool.withSharedConnection { connection -> Report in
            guard try await PlanTaskRepository.planExists(plan, on: connection) else { throw Problem.notFound("the plan") }
            return try await Self.report(plan: plan, asOf: asOf, on: connection)
        }
        if CSVOutput.wanted(by: request) {
            let statuses = TaskStatus.allCases.map(\.rawValue), classes = ProgressClass.allCases.map(\.rawValue)
            func line(_ scope: String, _ unit: UnitCounts?, _ counts: Counts) -> [String?] {
                [scope, unit?.unitId, unit?.code, unit?.name, String(counts.total)]
                    + statuses.map { String(counts.byStatus[$0] ?? 0) } + classes.map { String(counts.byClass[$0] ?? 0) }
            }
            var rows = [line("tasks", nil, report.tasks), line("headings", nil, report.headings), line("assignments", nil, report.assignments)]
            rows += report.perLeadUnit.map { line("lead_unit", $0, $0.counts) }
            rows += report.perAssignedUnit.map { line("assigned_unit", $0, $0.counts) }
            return CSVOutput.response(
                header: ["scope", "unit_id", "unit_code", "unit_name", "total"] + statuses + classes,
                rows: rows, filename: "task-aggregate")
        }
        return try JSONOutput.response(report)
    }
}
