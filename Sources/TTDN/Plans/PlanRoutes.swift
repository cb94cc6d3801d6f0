import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `/v1/plans`: year plans. Admins write; every token reads.
struct PlanRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.collection(of: Plan.self, "/v1/plans", list: list, create: create, get: get, update: update, delete: delete)
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
            try await pool.withSharedConnection {
                try await PlanRepository.list(year: year, status: status, issuingUnitID: unit, after: cursor, limit: limit, on: $0)
            }
        }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await AuditedWrite.get(PlanRepository.self, try pathID(context, what: PlanRepository.noun), request: request, pool: pool)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("create plans")
        return try await AuditedWrite.create(PlanRepository.self, request: request, context: context, pool: pool)
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: PlanRepository.noun)
        try context.caller.requireAdmin("change plans")
        return try await AuditedWrite.update(PlanRepository.self, id, request: request, context: context, pool: pool) { current, fields in
            if current.status == .closed, let next = fields.status.value, next == .draft {
                throw Problem.conflict("a closed plan cannot go back to draft; set it active to reopen it", slug: "invalid-transition")
            }
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
