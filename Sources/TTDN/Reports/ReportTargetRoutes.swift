import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `/v1/report-targets`: yearly targets per indicator for a unit or a unit kind. Admins write;
/// every token reads.
struct ReportTargetRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.collection(of: ReportTarget.self, "/v1/report-targets", list: list, create: create, get: get, update: update, delete: delete)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = QueryReader(request)
        let year = query.integer("year", range: 2000...2100)
        let indicator = query.string("indicator_code", maxLength: 64)
        let unit = query.uuid("unit_id")
        let page = query.page()
        try query.finish()
        let pool = self.pool
        return try await Pagination.list(request: request, page: page, filename: "report-targets") { cursor, limit in
            try await pool.withSharedConnection {
                try await ReportTargetRepository.list(year: year, indicator: indicator, unit: unit, after: cursor, limit: limit, on: $0)
            }
        }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await AuditedWrite.get(ReportTargetRepository.self, try pathID(context, what: ReportTargetRepository.noun), request: request, pool: pool)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("set report targets")
        let body = try await JSONRequestBody.json(request)
        let fields = try body.input(ReportTargetFields.self, creating: true)
        try ReportTargetFields.requireOneSubject(fields)
        return try await AuditedWrite.create(ReportTargetRepository.self, request: request, context: context, pool: pool, body: body) { write in
            try await ReportTargetRepository.insert(fields, on: write.connection)
        }
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: ReportTargetRepository.noun)
        try context.caller.requireAdmin("change report targets")
        return try await AuditedWrite.update(ReportTargetRepository.self, id, request: request, context: context, pool: pool) { _, fields in
            try ReportTargetFields.refuseIdentityChange(fields)
        }
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: ReportTargetRepository.noun)
        try context.caller.requireAdmin("delete report targets")
        return try await AuditedWrite.delete(ReportTargetRepository.self, id, request: request, context: context, pool: pool)
    }
}
