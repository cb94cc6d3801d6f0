import Foundation
import Hummingbird
import PQ

/// `/v1/plan-tasks`: the tasks of a plan in plan order. Admins write; every token reads.
/// `as_of=YYYY-MM-DD` evaluates the derived progress class on another day than today.
struct PlanTaskRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.add(.get, "/v1/plan-tasks", list)
        routes.add(.post, "/v1/plan-tasks", create)
        routes.add(.get, "/v1/plan-tasks/{id}", get)
        routes.add(.patch, "/v1/plan-tasks/{id}", update)
        routes.add(.delete, "/v1/plan-tasks/{id}", delete)
        AssignmentRoutes(pool: pool).register(routes)
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
        if CSVOutput.wanted(by: request) {
            let pool = self.pool
            return CSVOutput.stream(header: PlanTask.csvHeader, filename: "plan-tasks") { cursor in
                let result = try await pool.withConnection { try await PlanTaskRepository.list(filter, after: cursor, limit: 500, on: $0) }
                return (result.tasks.map(\.csvRow), result.next)
            }
        }
        let result = try await pool.withConnection {
            try await PlanTaskRepository.list(filter, after: page.cursor, limit: page.limit, on: $0)
        }
        return try Pagination.response(request: request, items: result.tasks, nextCursor: result.next.map(Cursor.encode))
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: "the task")
        var query = QueryReader(request)
        let asOf = query.date("as_of")
        try query.finish()
        guard let task = try await pool.withConnection({ try await PlanTaskRepository.find(id, asOf: asOf, on: $0) }) else {
            throw Problem.notFound("the task")
        }
        return try Conditional.resource(task, etag: task.etag, request: request)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("create plan tasks")
        try JSONBody.requireJSON(request)
        let body = try await JSONBody.collect(request)
        var reader = try InputReader(try JSONBody.parse(body))
        let fields = PlanTaskFields(reading: &reader)
        _ = reader.required("plan_id", fields.planID)
        _ = reader.required("code", fields.code)
        _ = reader.required("title", fields.title)
        _ = reader.required("category", fields.category)
        try reader.finish()
        let today = HaiPhong.today()
        return try await Idempotency.run(request: request, context: context, pool: pool, body: body) { write in
            let state = try ProgressState(status: .notStarted, progress: 0, completedOn: nil).applying(
                status: fields.status.value, progress: fields.progress.value, completedOn: fields.completedOn, reopen: false, today: today)
            let task = try await explainingConstraints(PlanTaskRepository.explain) { () -> PlanTask in
                let id = try await PlanTaskRepository.insert(fields, state: state, on: write.connection)
                return try await PlanTaskRepository.find(id, on: write.connection)!
            }
            try await write.audit(AuditEntry("plan_tasks", id: task.id, action: "create", before: PlanTask?.none, after: task))
            return try StoredResponse.json(task, status: .created, headers: ["Location": "/v1/plan-tasks/\(task.id)", "ETag": task.etag])
        }
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: "the task")
        try context.caller.requireAdmin("change plan tasks")
        let value = try await JSONBody.read(request, context: context, mediaTypes: ["application/merge-patch+json", "application/json"])
        var reader = try InputReader(value)
        let fields = PlanTaskFields(reading: &reader)
        if !fields.planID.isAbsent { reader.fail("plan_id", "a task cannot move to another plan") }
        try reader.finish()
        let today = HaiPhong.today()
        let task = try await context.write(pool) { write -> PlanTask in
            guard let current = try await PlanTaskRepository.find(id, on: write.connection, forUpdate: true) else {
                throw Problem.notFound("the task")
            }
            try Conditional.checkIfMatch(request, etag: current.etag)
            let state = try current.state.applying(status: fields.status.value, progress: fields.progress.value,
                                                   completedOn: fields.completedOn, reopen: fields.reopen, today: today)
            let updated = try await explainingConstraints(PlanTaskRepository.explain) { () -> PlanTask in
                try await PlanTaskRepository.update(current, with: fields, state: state, on: write.connection)
                return try await PlanTaskRepository.find(id, on: write.connection)!
            }
            try await write.audit(AuditEntry("plan_tasks", id: updated.id, action: "update", before: current, after: updated))
            return updated
        }
        return try Conditional.resource(task, etag: task.etag, request: request)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: "the task")
        try context.caller.requireAdmin("delete plan tasks")
        try await context.write(pool) { write in
            guard let current = try await PlanTaskRepository.find(id, on: write.connection, forUpdate: true) else {
                throw Problem.notFound("the task")
            }
            try Conditional.checkIfMatch(request, etag: current.etag)
            do {
                _ = try await write.query("DELETE FROM plan_tasks WHERE id = \(id)")
            } catch let error as PQError where error.isForeignKeyViolation {
                throw Problem.conflict("the task still has sub-tasks or assignments; remove them or cancel the task",
                                       slug: "task-referenced")
            }
            try await write.audit(AuditEntry("plan_tasks", id: current.id, action: "delete", before: current, after: PlanTask?.none))
        }
        return Response(status: .noContent)
    }
}
