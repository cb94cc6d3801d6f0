import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `/v1/plan-tasks/{id}/assignments`: admins assign units; a unit's editor reports its own
/// assignment's progress; everyone reads.
struct AssignmentRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.publishChanges(of: Assignment.self)
        routes.add(.get, "/v1/plan-tasks/{id}/assignments", list)
        routes.add(.post, "/v1/plan-tasks/{id}/assignments", create)
        routes.add(.get, "/v1/plan-tasks/{id}/assignments/{assignment_id}", get)
        routes.add(.patch, "/v1/plan-tasks/{id}/assignments/{assignment_id}", update)
        routes.add(.delete, "/v1/plan-tasks/{id}/assignments/{assignment_id}", delete)
    }

    /// The assignment of the path, or 404 when it belongs to another task.
    static func inTask(_ task: UUID) -> (Assignment, Write) async throws -> Void {
        { current, _ in if current.taskId != task { throw Problem.notFound(AssignmentRepository.noun) } }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let task = try pathID(context, what: PlanTaskRepository.noun)
        var query = QueryReader(request)
        let unit = query.uuid("unit_id")
        let asOf = query.date("as_of")
        let page = query.page()
        try query.finish()
        guard try await pool.withConnection({ try await AssignmentRepository.taskExists(task, on: $0) }) else {
            throw Problem.notFound(PlanTaskRepository.noun)
        }
        let pool = self.pool
        return try await Pagination.list(request: request, page: page, filename: "assignments") { cursor, limit in
            try await pool.withConnection {
                try await AssignmentRepository.list(task: task, unit: unit, asOf: asOf, after: cursor, limit: limit, on: $0)
            }
        }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        let task = try pathID(context, what: PlanTaskRepository.noun)
        let id = try pathID(context, "assignment_id", what: AssignmentRepository.noun)
        var query = QueryReader(request)
        let asOf = query.date("as_of")
        try query.finish()
        guard let assignment = try await pool.withConnection({ try await AssignmentRepository.find(id, asOf: asOf, on: $0) }),
            assignment.taskId == task
        else {
            throw Problem.notFound(AssignmentRepository.noun)
        }
        return try Conditional.resource(assignment, etag: assignment.etag, request: request)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let task = try pathID(context, what: PlanTaskRepository.noun)
        try context.caller.requireAdmin("assign tasks")
        let body = try await JSONRequestBody.json(request)
        var reader = try body.reader()
        let new = NewAssignment(reading: &reader)
        try reader.finish()
        return try await AuditedWrite.create(AssignmentRepository.self, request: request, context: context, pool: pool, body: body) { write in
            guard try await AssignmentRepository.taskExists(task, lock: true, on: write.connection) else {
                throw Problem.notFound(PlanTaskRepository.noun)
            }
            return try await AssignmentRepository.insert(task: task, new, on: write.connection)
        }
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let task = try pathID(context, what: PlanTaskRepository.noun)
        let id = try pathID(context, "assignment_id", what: AssignmentRepository.noun)
        let caller = try context.caller
        try caller.requireWriter("report progress")
        let body = try await JSONRequestBody.mergePatch(request)
        var reader = try body.reader()
        let fields = AssignmentFields(reading: &reader)
        if !caller.isAdmin, !fields.dueOn.isAbsent { reader.fail("due_on", "only an admin may change the due date") }
        try reader.finish()
        let today = HaiPhong.today()
        let inTask = Self.inTask(task)
        return try await AuditedWrite.update(
            AssignmentRepository.self, id, request: request, context: context, pool: pool,
            authorize: { current, write in
                try await inTask(current, write)
                if !caller.isAdmin, caller.unitID != current.unitId {
                    throw Problem.forbidden("an editor may update only its own unit's assignment")
                }
            }
        ) { current, write in
            let state = try current.state.applying(
                status: fields.status.value, progress: fields.progress.value,
                completedOn: fields.completedOn, reopen: fields.reopen, today: today)
            return try await AssignmentRepository.update(current, with: fields, state: state, on: write.connection)
        }
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let task = try pathID(context, what: PlanTaskRepository.noun)
        let id = try pathID(context, "assignment_id", what: AssignmentRepository.noun)
        try context.caller.requireAdmin("remove assignments")
        return try await AuditedWrite.delete(
            AssignmentRepository.self, id, request: request, context: context, pool: pool,
            authorize: Self.inTask(task))
    }
}
