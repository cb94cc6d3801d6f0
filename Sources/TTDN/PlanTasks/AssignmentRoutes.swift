import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `/v1/plan-tasks/{id}/assignments` and `/v1/assignments`: admins assign units (one at a time
/// or in bulk); a unit's editor reports its own assignment's progress, which is appended to its
/// history (`…/progress`); everyone reads.
struct AssignmentRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.publishChanges(of: Assignment.self)
        routes.list("/v1/assignments", listAcrossTasks)
        routes.add(.post, "/v1/assignments/bulk", bulk)
        routes.list("/v1/plan-tasks/{id}/assignments", list)
        routes.add(.post, "/v1/plan-tasks/{id}/assignments", create)
        routes.add(.get, "/v1/plan-tasks/{id}/assignments/{assignment_id}", get)
        routes.add(.patch, "/v1/plan-tasks/{id}/assignments/{assignment_id}", update)
        routes.add(.delete, "/v1/plan-tasks/{id}/assignments/{assignment_id}", delete)
        routes.list("/v1/plan-tasks/{id}/assignments/{assignment_id}/progress", history)
        routes.add(.post, "/v1/plan-tasks/{id}/assignments/{assignment_id}/progress", report)
    }

    /// Attachments and comments on an assignment (`/v1/assignments/{id}/...`) follow its rules:
    /// everyone sees it; an admin or the assigned unit's editor writes.
    static let parent = ParentResource(
        path: "/v1/assignments", column: "assignment_id", noun: AssignmentRepository.noun,
        visibleUnit: { id, _, connection in
            guard let unit = try await AssignmentRepository.unit(of: id, on: connection) else { return nil }
            return .some(unit)
        },
        requireWritable: { _, unit, caller, _ in
            guard !caller.isAdmin else { return }
            try caller.requireWriter("write on assignments")
            guard caller.unitID == unit else { throw Problem.forbidden("an editor may write only on its own unit's assignments") }
        })

    /// The assignment of the path, or 404 when it belongs to another task.
    static func inTask(_ task: UUID) -> (Assignment, Write) async throws -> Void {
        { current, _ in if current.taskId != task { throw Problem.notFound(AssignmentRepository.noun) } }
    }

    /// The assignment of the path, which only an admin or the assigned unit's editor may report on.
    static func reporter(_ caller: Principal, task: UUID) -> (Assignment, Write) async throws -> Void {
        { current, write in
            try await inTask(task)(current, write)
            if !caller.isAdmin, caller.unitID != current.unitId {
                throw Problem.forbidden("an editor may update only its own unit's assignment")
            }
        }
    }

    /// `GET /v1/assignments?unit_id=&plan_id=&task_id=&status=&progress_class=&as_of=`: an
    /// editor's own unit unless it names another.
    @Sendable func listAcrossTasks(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.caller
        var query = QueryReader(request)
        var filter = AssignmentFilter(
            unitID: query.uuid("unit_id"), planID: query.uuid("plan_id"), taskID: query.uuid("task_id"),
            status: query.enumeration("status", TaskStatus.self), progressClass: query.enumeration("progress_class", ProgressClass.self),
            asOf: query.date("as_of"))
        let page = query.page()
        try query.finish()
        if filter.unitID == nil, caller.role == .editor { filter.unitID = caller.unitID }
        let pool = self.pool, chosen = filter
        return try await Pagination.list(
            request: request, page: page, filename: "assignments"
        ) { cursor, limit in
            try await pool.withSharedConnection { try await AssignmentRepository.list(chosen, after: cursor, limit: limit, on: $0) }
        }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let task = try pathID(context, what: PlanTaskRepository.noun)
        var query = QueryReader(request)
        let unit = query.uuid("unit_id")
        let asOf = query.date("as_of")
        let page = query.page()
        try query.finish()
        guard try await pool.withSharedConnection({ try await AssignmentRepository.taskExists(task, on: $0) }) else {
            throw Problem.notFound(PlanTaskRepository.noun)
        }
        let pool = self.pool
        return try await Pagination.list(
            request: request, page: page, filename: "assignments"
        ) { cursor, limit in
            try await pool.withSharedConnection {
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
        guard let assignment = try await pool.withSharedConnection({ try await AssignmentRepository.find(id, asOf: asOf, on: $0) }),
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

    /// The answer of a bulk assignment: what this request created and what already existed.
    struct BulkResult: Encodable, Sendable {
        let created: [Assignment]
        let existing: [Assignment]
    }

    /// `POST /v1/assignments/bulk`: every listed task to every named unit, in one transaction.
    /// Replaying it creates nothing and lists everything as existing.
    @Sendable func bulk(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("assign tasks")
        let body = try await JSONRequestBody.json(request)
        var reader = try body.reader()
        let bulk = BulkAssignment(reading: &reader)
        try reader.finish()
        let today = HaiPhong.today()
        return try await Idempotency.run(request: request, context: context, pool: pool, body: body.bytes) { write in
            let connection = write.connection
            let missing = try await AssignmentRepository.missingTasks(bulk.taskIDs, on: connection)
            if !missing.isEmpty {
                throw Problem.validation([FieldError("task_ids", "\(missing.map(\.text).joined(separator: ", ")) name no task")])
            }
            let units = try await AssignmentRepository.bulkUnits(bulk, on: bulk.validOn ?? today, on: connection)
            let ids = try await AssignmentRepository.insertMissing(
                tasks: bulk.taskIDs, units: units, dueOn: bulk.dueOn, note: bulk.note, on: connection)
            var created: [Assignment] = []
            for id in ids.created {
                let assignment = try await AssignmentRepository.find(id, forUpdate: false, on: connection)!
                try await write.record("create", before: nil, after: assignment)
                created.append(assignment)
            }
            var existing: [Assignment] = []
            for id in ids.existing { existing.append(try await AssignmentRepository.find(id, forUpdate: false, on: connection)!) }
            return try StoredResponse.json(BulkResult(created: created, existing: existing), status: created.isEmpty ? .ok : .created)
        }
    }

    /// PATCH: `due_on` (admins) and progress fields, which append an entry to the history.
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
        return try await AuditedWrite.update(
            AssignmentRepository.self, id, request: request, context: context, pool: pool,
            authorize: Self.reporter(caller, task: task)
        ) { current, write in
            if !fields.dueOn.isAbsent { try await AssignmentRepository.setDueOn(id, fields.dueOn.value, on: write.connection) }
            if !fields.report.isEmpty {
                let basis: ProgressSource? = try await ProgressRepository.isFedByUnitPlan(current, on: write.connection) ? .unitPlan : nil
                _ = try await ProgressRoutes.append(fields.report, to: .assignment(id), basis: basis, write: write, today: today)
            }
            return try await AssignmentRepository.find(id, forUpdate: false, on: write.connection)!
        }
    }

    @Sendable func history(_ request: Request, context: AppRequestContext) async throws -> Response {
        let task = try pathID(context, what: PlanTaskRepository.noun)
        let id = try pathID(context, "assignment_id", what: AssignmentRepository.noun)
        guard let assignment = try await pool.withSharedConnection({ try await AssignmentRepository.find(id, forUpdate: false, on: $0) }),
            assignment.taskId == task
        else {
            throw Problem.notFound(AssignmentRepository.noun)
        }
        return try await ProgressRoutes.history(.assignment(id), request: request, pool: pool)
    }

    /// `POST …/progress`: appends a report; 201 with the entry.
    @Sendable func report(_ request: Request, context: AppRequestContext) async throws -> Response {
        let task = try pathID(context, what: PlanTaskRepository.noun)
        let id = try pathID(context, "assignment_id", what: AssignmentRepository.noun)
        let caller = try context.caller
        try caller.requireWriter("report progress")
        return try await ProgressRoutes.report(
            AssignmentRepository.self, id, as: .assignment(id), allowOverride: false, request: request, context: context, pool: pool,
            authorize: Self.reporter(caller, task: task)
        ) { current, write in try await ProgressRepository.isFedByUnitPlan(current, on: write.connection) ? .unitPlan : nil }
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
