import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `/v1/report-periods`: reporting periods with data windows and due dates; admins write.
struct ReportPeriodRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.publishChanges(of: ReportPeriod.self)
        routes.add(.get, "/v1/report-periods", list)
        routes.add(.post, "/v1/report-periods", create)
        routes.add(.post, "/v1/report-periods/generate", generate)
        routes.add(.get, "/v1/report-periods/{id}", get)
        routes.add(.patch, "/v1/report-periods/{id}", update)
    }

    static func periodID(_ context: AppRequestContext) throws -> String {
        guard let id = context.parameters.get("id"), ReportPeriod.isValidID(id) else { throw Problem.notFound(ReportPeriodRepository.noun) }
        return id
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = QueryReader(request)
        let year = query.integer("year", range: 2000...2100)
        let kind = query.enumeration("kind", PeriodKind.self)
        let page = query.page()
        try query.finish()
        let pool = self.pool
        return try await Pagination.list(request: request, page: page, filename: "report-periods") { cursor, limit in
            try await pool.withConnection { try await ReportPeriodRepository.list(year: year, kind: kind, after: cursor, limit: limit, on: $0) }
        }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await AuditedWrite.get(ReportPeriodRepository.self, try Self.periodID(context), request: request, pool: pool)
    }

    /// Creates the default periods of `year` that do not exist yet, and lists the year's periods.
    @Sendable func generate(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("generate report periods")
        var query = QueryReader(request)
        let year = query.integer("year", range: 2000...2100)
        if year == nil, query.errors.isEmpty { query.fail("year", "is required") }
        try query.finish()
        guard let year else { throw Problem.invalidQuery([FieldError("year", "is required")]) }
        let periods = try await context.write(pool) { write -> [ReportPeriod] in
            for period in try await ReportPeriodRepository.generate(year: year, on: write.connection) {
                try await write.record("create", before: nil, after: period)
            }
            return try await ReportPeriodRepository.all(year: year, on: write.connection)
        }
        return try Pagination.response(request: request, items: periods, nextCursor: nil)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("create report periods")
        let body = try await JSONRequestBody.json(request)
        var reader = try body.reader()
        let f = ReportPeriodFields(&reader, creating: true)
        try reader.finish()
        return try await AuditedWrite.create(ReportPeriodRepository.self, request: request, context: context, pool: pool, body: body) { write in
            try await ReportPeriodRepository.insert(f, on: write.connection)
        }
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try Self.periodID(context)
        try context.caller.requireAdmin("change report periods")
        let body = try await JSONRequestBody.mergePatch(request)
        var reader = try body.reader()
        let f = ReportPeriodFields(&reader, creating: false)
        try reader.finish()
        return try await AuditedWrite.update(ReportPeriodRepository.self, id, request: request, context: context, pool: pool) { current, write in
            try await ReportPeriodRepository.update(current, with: f, on: write.connection)
        }
    }
}
