import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `/v1/plans`: year plans. Admins write; every token reads.
struct PlanRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.publishChanges(of: Plan.self)
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
        try await AuditedWrite.get(PlanRepository.self, try pathID(context, what: PlanRepository.noun), request: request, pool: pool)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("create plans")
        let body = try await JSONRequestBody.json(request)
        var reader = try body.reader()
        let fields = PlanFields(reading: &reader, body: body.value)
        _ = reader.required("year", fields.year)
        _ = reader.required("title", fields.title)
        _ = reader.required("issuing_unit_id", fields.issuingUnitID)
        try reader.finish()
        return try await AuditedWrite.create(PlanRepository.self, request: request, context: context, pool: pool, body: body) { write in
            try await PlanRepository.insert(fields, on: write.connection)
        }
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: PlanRepository.noun)
        try context.caller.requireAdmin("change plans")
        let body = try await JSONRequestBody.mergePatch(request)
        var reader = try body.reader()
        let fields = PlanFields(reading: &reader, body: body.value)
        try reader.finish()
        return try await AuditedWrite.update(PlanRepository.self, id, request: request, context: context, pool: pool) { current, write in
            if current.status == .closed, let next = fields.status.value, next == .draft {
                throw Problem.conflict("a closed plan cannot go back to draft; set it active to reopen it", slug: "invalid-transition")
            }
            return try await PlanRepository.update(current, with: fields, on: write.connection)
        }
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: PlanRepository.noun)
        try context.caller.requireAdmin("delete plans")
        return try await AuditedWrite.delete(
            PlanRepository.self, id, request: request, context: context, pool: pool,
            whenReferenced: .conflict("the plan still has tasks; delete them first or close the plan", slug: "plan-referenced"))
    }
}
