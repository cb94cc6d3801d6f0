import Foundation
import Hummingbird
import PQ

/// `/v1/plans`: year plans. Admins write; every token reads.
struct PlanRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.add(.get, "/v1/plans", list)
        routes.add(.post, "/v1/plans", create)
        routes.add(.get, "/v1/plans/{id}", get)
        routes.add(.patch, "/v1/plans/{id}", update)
        routes.add(.delete, "/v1/plans/{id}", delete)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = QueryReader(request)
        let year = query.integer("year", range: 2000...2100)
        let status = query.enumeration("status", PlanStatus.self)
        let unit = query.uuid("issuing_unit_id")
        let page = query.page()
        try query.finish()
        let pool = self.pool
        return try await Pagination.list(request: request, page: page, filename: "plans") { cursor, limit in
            try await pool.withConnection {
                try await PlanRepository.list(year: year, status: status, issuingUnitID: unit, after: cursor, limit: limit, on: $0)
            }
        }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: "the plan")
        try QueryReader(request).finish()
        guard let plan = try await pool.withConnection({ try await PlanRepository.find(id, on: $0) }) else {
            throw Problem.notFound("the plan")
        }
        return try Conditional.resource(plan, etag: plan.etag, request: request)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("create plans")
        try JSONBody.requireJSON(request)
        let body = try await JSONBody.collect(request)
        let value = try JSONBody.parse(body)
        var reader = try InputReader(value)
        let fields = PlanFields(reading: &reader, body: value)
        _ = reader.required("year", fields.year)
        _ = reader.required("title", fields.title)
        _ = reader.required("issuing_unit_id", fields.issuingUnitID)
        try reader.finish()
        return try await Idempotency.run(request: request, context: context, pool: pool, body: body) { write in
            let plan = try await explainingConstraints(PlanRepository.explain) {
                try await PlanRepository.insert(fields, on: write.connection)
            }
            try await write.audit(AuditEntry("plans", id: plan.id, action: "create", before: Plan?.none, after: plan))
            return try StoredResponse.json(plan, status: .created, headers: ["Location": "/v1/plans/\(plan.id)", "ETag": plan.etag])
        }
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: "the plan")
        try context.caller.requireAdmin("change plans")
        let value = try await JSONBody.read(request, context: context, mediaTypes: ["application/merge-patch+json", "application/json"])
        var reader = try InputReader(value)
        let fields = PlanFields(reading: &reader, body: value)
        try reader.finish()
        let plan = try await context.write(pool) { write -> Plan in
            guard let current = try await PlanRepository.find(id, on: write.connection, forUpdate: true) else {
                throw Problem.notFound("the plan")
            }
            try Conditional.checkIfMatch(request, etag: current.etag)
            if current.status == .closed, let next = fields.status.value, next == .draft {
                throw Problem.conflict("a closed plan cannot go back to draft; set it active to reopen it", slug: "invalid-transition")
            }
            let updated = try await explainingConstraints(PlanRepository.explain) {
                try await PlanRepository.update(current, with: fields, on: write.connection)
            }
            try await write.audit(AuditEntry("plans", id: updated.id, action: "update", before: current, after: updated))
            return updated
        }
        return try Conditional.resource(plan, etag: plan.etag, request: request)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: "the plan")
        try context.caller.requireAdmin("delete plans")
        try await context.write(pool) { write in
            guard let current = try await PlanRepository.find(id, on: write.connection, forUpdate: true) else {
                throw Problem.notFound("the plan")
            }
            try Conditional.checkIfMatch(request, etag: current.etag)
            do {
                _ = try await write.query("DELETE FROM plans WHERE id = \(id)")
            } catch let error as PQError where error.isForeignKeyViolation {
                throw Problem.conflict("the plan still has tasks; delete them first or close the plan", slug: "plan-referenced")
            }
            try await write.audit(AuditEntry("plans", id: current.id, action: "delete", before: current, after: Plan?.none))
        }
        return Response(status: .noContent)
    }
}
