import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `/v1/report-periods`: reporting periods with data windows and due dates; admins write.
struct ReportPeriodRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.publishChanges(of: ReportPeriod.self)
        routes.list("/v1/report-periods", list)
        routes.add(.post, "/v1/report-periods", create)
        routes.add(.post, "/v1/report-periods/generate", generate)
        routes.add(.get, "/v1/report-periods/{id}", get)
        routes.add(.patch, "/v1/report-periods/{id}", update)
        routes.add(.post, "/v1/report-periods/{id}/close", close)
        routes.add(.post, "/v1/report-periods/{id}/reopen", reopen)
        routes.list("/v1/report-regimes", regimes)
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
            try await pool.withSharedConnection { try await ReportPeriodRepository.list(year: year, kind: kind, after: cursor, limit: limit, on: $0) }
        }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await AuditedWrite.get(ReportPeriodRepository.self, try Self.periodID(context), request: request, pool: pool)
    }

    /// Creates the periods of `year` in a regime (the default one unless named) that do not
    /// exist yet; `regenerate=true` also gives existing open periods of those ids the regime's
    /// dates. Answers the year's periods.
    @Sendable func generate(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("generate report periods")
        var query = QueryReader(request)
        let year = query.integer("year", range: 2000...2100)
        if year == nil, query.errors.isEmpty { query.fail("year", "is required") }
        let named = query.string("regime", maxLength: 31)
        let regenerate = query.bool("regenerate") ?? false
        try query.finish()
        guard let year else { throw Problem.invalidQuery([FieldError("year", "is required")]) }
        let periods = try await context.write(pool) { write -> [ReportPeriod] in
            let regime: String
            if let named {
                guard try await ReportPeriodRepository.regimeExists(named, on: write.connection) else {
                    throw Problem.invalidQuery([FieldError("regime", "is not a reporting regime; see GET /v1/report-regimes")])
                }
                regime = named
            } else {
                regime = try await ReportPeriodRepository.defaultRegime(on: write.connection)
            }
            if regenerate {
                for (before, after) in try await ReportPeriodRepository.regenerate(year: year, regime: regime, on: write.connection) {
                    try await write.record("update", before: before, after: after)
                }
            }
            for period in try await ReportPeriodRepository.generate(year: year, regime: regime, on: write.connection) {
                try await write.record("create", before: nil, after: period)
            }
            return try await ReportPeriodRepository.all(year: year, on: write.connection)
        }
        return try Pagination.response(request: request, items: periods, nextCursor: nil)
    }

    @Sendable func regimes(_ request: Request, context: AppRequestContext) async throws -> Response {
        try QueryReader(request).finish()
        let regimes = try await pool.withSharedConnection { try await ReportPeriodRepository.regimes(on: $0) }
        return try Pagination.response(request: request, items: regimes, nextCursor: nil)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("create report periods")
        let body = try await JSONRequestBody.json(request)
        var reader = try body.reader()
        let f = ReportPeriodFields(&reader, creating: true)
        try reader.finish()
        try ReportPeriod.checkWindow(startsOn: f.startsOn.value!, endsOn: f.endsOn.value!, dueOn: f.dueOn.value!)
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
            try current.requireOpen()
            try ReportPeriod.checkWindow(
                startsOn: f.startsOn.value ?? current.startsOn, endsOn: f.endsOn.value ?? current.endsOn, dueOn: f.dueOn.value ?? current.dueOn)
            return try await ReportPeriodRepository.update(current, with: f, on: write.connection)
        }
    }

    /// The office has consolidated the period: its reports stop changing, and its compliance is
    /// kept over the units expected now.
    @Sendable func close(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try Self.periodID(context)
        try context.caller.requireAdmin("close report periods")
        let comment = try await JSONRequestBody.comment(request)
        return try await AuditedWrite.update(ReportPeriodRepository.self, id, request: request, context: context, pool: pool, action: "close") {
            current, write in
            try current.requireOpen()
            return try await ReportPeriodRepository.close(current, comment: comment, on: write.connection)
        }
    }

    @Sendable func reopen(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try Self.periodID(context)
        try context.caller.requireAdmin("reopen report periods")
        let comment = try await JSONRequestBody.comment(request, requiredBecause: "to reopen a period: say why")!
        return try await AuditedWrite.update(ReportPeriodRepository.self, id, request: request, context: context, pool: pool, action: "reopen") {
            current, write in
            guard current.isClosed else { throw Problem.conflict("the report period \(current.id) is not closed", slug: "period-open") }
            return try await ReportPeriodRepository.reopen(current, comment: comment, on: write.connection)
        }
    }
}
