import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `/v1/unit-plans`: each unit's implementation plan of a Department plan, its tasks
/// (`…/tasks`) and their progress (`…/tasks/{task_id}/progress`), which feeds the unit's
/// assignment of the Department task each one implements. A unit's editor writes its own
/// unit's; admins write all; every token reads, and `GET /v1/aggregates/unit-plans?plan_id=`
/// shows which assigned units have none.
struct UnitPlanRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.collection(of: UnitPlan.self, "/v1/unit-plans", list: list, create: create, get: get, update: update, delete: delete)
        routes.publishChanges(of: UnitPlanTask.self)
        routes.list("/v1/unit-plans/{id}/tasks", listTasks)
        routes.add(.post, "/v1/unit-plans/{id}/tasks", createTask)
        routes.add(.get, "/v1/unit-plans/{id}/tasks/{task_id}", getTask)
        routes.add(.patch, "/v1/unit-plans/{id}/tasks/{task_id}", updateTask)
        routes.add(.delete, "/v1/unit-plans/{id}/tasks/{task_id}", deleteTask)
        routes.list("/v1/unit-plans/{id}/tasks/{task_id}/progress", taskHistory)
        routes.add(.post, "/v1/unit-plans/{id}/tasks/{task_id}/progress", reportTask)
        routes.add(.get, "/v1/aggregates/unit-plans", coverage)
    }

    /// Only an admin or the unit's own editor writes a unit's plan.
    static func requireWriter(_ caller: Principal, of unit: UUID) throws {
        try caller.requireWriter("change unit plans")
        if !caller.isAdmin, caller.unitID != unit { throw Problem.forbidden("an editor may change only its own unit's plan") }
    }

    // MARK: Plans

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = QueryReader(request)
        let plan = query.uuid("plan_id"), unit = query.uuid("unit_id"), status = query.enumeration("status", PlanStatus.self)
        let page = query.page()
        try query.finish()
        let pool = self.pool
        return try await Pagination.list(request: request, page: page, filename: "unit-plans") { cursor, limit in
            try await pool.withSharedConnection {
                try await UnitPlanRepository.list(plan: plan, unit: unit, status: status, after: cursor, limit: limit, on: $0)
            }
        }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await AuditedWrite.get(UnitPlanRepository.self, try pathID(context, what: UnitPlanRepository.noun), request: request, pool: pool)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.caller
        try caller.requireWriter("change unit plans")
        let body = try await JSONRequestBody.json(request)
        let fields = try body.input(UnitPlanFields.self, creating: true)
        try Self.requireWriter(caller, of: fields.unitID.value!)
        return try await AuditedWrite.create(UnitPlanRepository.self, request: request, context: context, pool: pool, body: body) { write in
            try await UnitPlanRepository.insert(fields, on: write.connection)
        }
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: UnitPlanRepository.noun)
        let caller = try context.caller
        try caller.requireWriter("change unit plans")
        let body = try await JSONRequestBody.mergePatch(request)
        let fields = try body.input(UnitPlanFields.self, creating: false)
        for (key, field) in [("unit_id", fields.unitID), ("plan_id", fields.planID)] where !field.isAbsent {
            throw Problem.validation([FieldError(key, "names what the plan is and cannot change; create another plan")])
        }
        return try await AuditedWrite.update(
            UnitPlanRepository.self, id, request: request, context: context, pool: pool,
            authorize: { current, _ in try Self.requireWriter(caller, of: current.unitId) }
        ) { current, write in
            try await UnitPlanRepository.update(current, with: fields, on: write.connection)
        }
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: UnitPlanRepository.noun)
        let caller = try context.caller
        try caller.requireWriter("change unit plans")
        return try await AuditedWrite.delete(
            UnitPlanRepository.self, id, request: request, context: context, pool: pool,
            authorize: { current, write in
                try Self.requireWriter(caller, of: current.unitId)
                if try await UnitPlanRepository.hasProgress(id, on: write.connection) {
                    throw Problem.conflict(
                        "tasks of the plan have progress history, which a delete would lose; close the plan instead", slug: "unit-plan-has-progress")
                }
            })
    }

    // MARK: Tasks

    /// The unit plan of the path, or 404.
    func unitPlan(_ context: AppRequestContext, on connection: PQConnection) async throws -> UnitPlan {
        let id = try pathID(context, what: UnitPlanRepository.noun)
        guard let plan = try await UnitPlanRepository.find(id, forUpdate: false, on: connection) else {
            throw Problem.notFound(UnitPlanRepository.noun)
        }
        return plan
    }

    /// The task of the path, 404 when it belongs to another plan, and the writer's check.
    static func inPlan(_ plan: UUID, writer caller: Principal?) -> (UnitPlanTask, Write) async throws -> Void {
        { current, _ in
            if current.unitPlanId != plan { throw Problem.notFound(UnitPlanTaskRepository.noun) }
            if let caller { try requireWriter(caller, of: current.unitId) }
        }
    }

    @Sendable func listTasks(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = QueryReader(request)
        let asOf = query.date("as_of")
        let page = query.page()
        try query.finish()
        let plan = try await pool.withSharedConnection { try await unitPlan(context, on: $0) }
        let pool = self.pool
        return try await Pagination.list(request: request, page: page, filename: "unit-plan-tasks") { cursor, limit in
            try await pool.withSharedConnection {
                try await UnitPlanTaskRepository.list(unitPlan: plan.id, asOf: asOf, after: cursor, limit: limit, on: $0)
            }
        }
    }

    @Sendable func getTask(_ request: Request, context: AppRequestContext) async throws -> Response {
        let plan = try pathID(context, what: UnitPlanRepository.noun)
        let id = try pathID(context, "task_id", what: UnitPlanTaskRepository.noun)
        var query = QueryReader(request)
        let asOf = query.date("as_of")
        try query.finish()
        guard let task = try await pool.withSharedConnection({ try await UnitPlanTaskRepository.find(id, asOf: asOf, on: $0) }),
            task.unitPlanId == plan
        else {
            throw Problem.notFound(UnitPlanTaskRepository.noun)
        }
        return try Conditional.resource(task, etag: task.etag, request: request)
    }

    @Sendable func createTask(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.caller
        try caller.requireWriter("change unit plans")
        let body = try await JSONRequestBody.json(request)
        let fields = try body.input(UnitPlanTaskFields.self, creating: true)
        let today = HaiPhong.today()
        return try await AuditedWrite.create(UnitPlanTaskRepository.self, request: request, context: context, pool: pool, body: body) { write in
            let plan = try await unitPlan(context, on: write.connection)
            try Self.requireWriter(caller, of: plan.unitId)
            let task = try await UnitPlanTaskRepository.insert(into: plan.id, fields, on: write.connection)
            guard !fields.report.isEmpty else { return task }
            _ = try await ProgressRoutes.append(fields.report, to: .unitTask(task.id), basis: nil, write: write, today: today)
            return try await UnitPlanTaskRepository.find(task.id, forUpdate: false, on: write.connection)!
        }
    }

    @Sendable func updateTask(_ request: Request, context: AppRequestContext) async throws -> Response {
        let plan = try pathID(context, what: UnitPlanRepository.noun)
        let id = try pathID(context, "task_id", what: UnitPlanTaskRepository.noun)
        let caller = try context.caller
        try caller.requireWriter("change unit plans")
        let body = try await JSONRequestBody.mergePatch(request)
        let fields = try body.input(UnitPlanTaskFields.self, creating: false)
        let today = HaiPhong.today()
        return try await AuditedWrite.update(
            UnitPlanTaskRepository.self, id, request: request, context: context, pool: pool, authorize: Self.inPlan(plan, writer: caller)
        ) { current, write in
            let updated = try await UnitPlanTaskRepository.update(current, with: fields, on: write.connection)
            guard !fields.report.isEmpty else { return updated }
            _ = try await ProgressRoutes.append(fields.report, to: .unitTask(id), basis: nil, write: write, today: today)
            return try await UnitPlanTaskRepository.find(id, forUpdate: false, on: write.connection)!
        }
    }

    @Sendable func deleteTask(_ request: Request, context: AppRequestContext) async throws -> Response {
        let plan = try pathID(context, what: UnitPlanRepository.noun)
        let id = try pathID(context, "task_id", what: UnitPlanTaskRepository.noun)
        let caller = try context.caller
        try caller.requireWriter("change unit plans")
        let inPlan = Self.inPlan(plan, writer: caller)
        return try await AuditedWrite.delete(
            UnitPlanTaskRepository.self, id, request: request, context: context, pool: pool,
            authorize: { current, write in
                try await inPlan(current, write)
                if try await UnitPlanTaskRepository.hasProgress(id, on: write.connection) {
                    throw Problem.conflict("the task has progress history, which a delete would lose", slug: "unit-plan-has-progress")
                }
            })
    }

    @Sendable func taskHistory(_ request: Request, context: AppRequestContext) async throws -> Response {
        let plan = try pathID(context, what: UnitPlanRepository.noun)
        let id = try pathID(context, "task_id", what: UnitPlanTaskRepository.noun)
        guard let task = try await pool.withSharedConnection({ try await UnitPlanTaskRepository.find(id, forUpdate: false, on: $0) }),
            task.unitPlanId == plan
        else {
            throw Problem.notFound(UnitPlanTaskRepository.noun)
        }
        return try await ProgressRoutes.history(.unitTask(id), request: request, pool: pool)
    }

    /// `POST …/tasks/{task_id}/progress`: appends a report; 201 with the entry.
    @Sendable func reportTask(_ request: Request, context: AppRequestContext) async throws -> Response {
        let plan = try pathID(context, what: UnitPlanRepository.noun)
        let id = try pathID(context, "task_id", what: UnitPlanTaskRepository.noun)
        let caller = try context.caller
        try caller.requireWriter("change unit plans")
        return try await ProgressRoutes.report(
            UnitPlanTaskRepository.self, id, as: .unitTask(id), allowOverride: false, request: request, context: context, pool: pool,
            authorize: Self.inPlan(plan, writer: caller)
        ) { _, _ in nil }
    }

    // MARK: Coverage

    @Sendable func coverage(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = QueryReader(request)
        let plan = query.uuid("plan_id")
        if plan == nil, query.errors.isEmpty { query.fail("plan_id", "is required") }
        try query.finish()
        guard let plan else { throw Problem.invalidQuery([FieldError("plan_id", "is required")]) }
        let report = try await pool.withSharedConnection { connection -> UnitPlanCoverage in
            guard try await PlanTaskRepository.planExists(plan, on: connection) else { throw Problem.notFound("the plan") }
            return try await UnitPlanRepository.coverage(plan: plan, on: connection)
        }
        if CSVOutput.wanted(by: request) {
            return CSVOutput.response(header: UnitPlanCoverage.csvHeader, rows: report.csvRows, filename: "unit-plan-coverage")
        }
        return try JSONOutput.response(report)
    }
}
