import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `/v1/plan-tasks`: the tasks of a plan in plan order. Admins write; every token reads.
/// `as_of=YYYY-MM-DD` evaluates the derived progress class on another day than today.
struct PlanTaskRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.collection(of: PlanTask.self, "/v1/plan-tasks", list: list, create: create, get: get, update: update, delete: delete)
        routes.list("/v1/plan-tasks/{id}/progress", history)
        routes.add(.post, "/v1/plan-tasks/{id}/progress", report)
        AssignmentRoutes(pool: pool).register(routes)
        ProgressRoutes(pool: pool).register(routes)
        routes.add(.get, "/v1/aggregates/tasks", TaskAggregateRoutes(pool: pool).aggregate)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = QueryReader(request)
        let filter = PlanTaskFilter(
            planID: query.uuid("plan_id"), status: query.enumeration("status", TaskStatus.self),
            category: query.enumeration("category", TaskCategory.self), parentID: query.uuid("parent_id"),
            leadUnitID: query.uuid("lead_unit_id"), cooperatingUnitID: query.uuid("cooperating_unit_id"),
            assignedUnitID: query.uuid("assigned_unit_id"), dueBefore: query.date("due_before"),
            dueAfter: query.date("due_after"), overdue: query.bool("overdue"),
            progressClass: query.enumeration("progress_class", ProgressClass.self), q: query.string("q"),
            asOf: query.date("as_of"))
        let page = query.page()
        try query.finish()
        let pool = self.pool
        return try await Pagination.list(
            request: request, page: page, filename: "plan-tasks",
            columns: CSVColumns(header: PlanTask.csvHeader, row: \.csvRow)
        ) { cursor, limit in
            let result = try await pool.withSharedConnection { try await PlanTaskRepository.list(filter, after: cursor, limit: limit, on: $0) }
            return (result.tasks, result.next)
        }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: PlanTaskRepository.noun)
        var query = QueryReader(request)
        let asOf = query.date("as_of")
        try query.finish()
        guard let task = try await pool.withSharedConnection({ try await PlanTaskRepository.find(id, asOf: asOf, on: $0) }) else {
            throw Problem.notFound(PlanTaskRepository.noun)
        }
        return try Conditional.resource(task, etag: task.etag, request: request)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("create plan tasks")
        let body = try await JSONRequestBody.json(request)
        let fields = try body.input(PlanTaskFields.self, creating: true)
        let today = HaiPhong.today()
        return try await AuditedWrite.create(PlanTaskRepository.self, request: request, context: context, pool: pool, body: body) { write in
            let task = try await PlanTaskRepository.insert(fields, on: write.connection)
            guard !fields.report.isEmpty else { return task }
            _ = try await ProgressRoutes.append(fields.report, to: .task(task.id), basis: nil, write: write, today: today)
            return try await PlanTaskRepository.find(task.id, forUpdate: false, on: write.connection)!
        }
    }

    /// PATCH: the task's own fields, and progress fields appended to its history as an entry
    /// (on a rolled-up task, only as an admin's `"override": true`).
    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: PlanTaskRepository.noun)
        try context.caller.requireAdmin("change plan tasks")
        let body = try await JSONRequestBody.mergePatch(request)
        var reader = try body.reader()
        let fields = PlanTaskFields(reading: &reader)
        if !fields.planID.isAbsent { reader.fail("plan_id", "a task cannot move to another plan") }
        try reader.finish()
        let today = HaiPhong.today()
        return try await AuditedWrite.update(PlanTaskRepository.self, id, request: request, context: context, pool: pool) { current, write in
            let updated = try await PlanTaskRepository.update(current, with: fields, on: write.connection)
            guard !fields.report.isEmpty else { return updated }
            let basis = try await ProgressRepository.rollUpBasis(ofTask: id, on: write.connection)
            _ = try await ProgressRoutes.append(fields.report, to: .task(id), basis: basis, write: write, today: today)
            return try await PlanTaskRepository.find(id, forUpdate: false, on: write.connection)!
        }
    }

    @Sendable func history(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: PlanTaskRepository.noun)
        guard try await pool.withSharedConnection({ try await AssignmentRepository.taskExists(id, on: $0) }) else {
            throw Problem.notFound(PlanTaskRepository.noun)
        }
        return try await ProgressRoutes.history(.task(id), request: request, pool: pool)
    }

    /// `POST /v1/plan-tasks/{id}/progress` (admins): appends an entry; 201 with it.
    @Sendable func report(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: PlanTaskRepository.noun)
        try context.caller.requireAdmin("report a task's progress")
        return try await ProgressRoutes.report(
            PlanTaskRepository.self, id, as: .task(id), allowOverride: true, request: request, context: context, pool: pool
        ) { _, write in try await ProgressRepository.rollUpBasis(ofTask: id, on: write.connection) }
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: PlanTaskRepository.noun)
        try context.caller.requireAdmin("delete plan tasks")
        return try await AuditedWrite.delete(
            PlanTaskRepository.self, id, request: request, context: context, pool: pool,
            whenReferenced: .conflict("the task still has sub-tasks or assignments; remove them or cancel the task", slug: "task-referenced"))
    }
}
