import Foundation
import Hummingbird
import PQ

public enum PeriodKind: String, CaseIterable, Codable, Sendable { case quarterly, semiannual, annual, adHoc = "ad_hoc" }

public struct ReportPeriod: Codable, Sendable {
    public var id: String
    public var kind: PeriodKind
    public var year: Int
    public var title: String
    public var startsOn: CalendarDate
    public var endsOn: CalendarDate
    public var dueOn: CalendarDate
    public var createdAt: Date
    public var updatedAt: Date
    public var version: Int

    public var etag: String { Conditional.etag(version: version) }

    static let columns = PQQuery(unescaped: "p.id, p.kind::text AS kind, p.year, p.title, p.starts_on, p.ends_on, p.due_on, p.created_at, p.updated_at, p.version")

    init(row: PQRow) throws {
        id = try row.decode("id")
        kind = PeriodKind(rawValue: try row.decode("kind"))!
        year = try row.decode("year")
        title = try row.decode("title")
        startsOn = try row.decode("starts_on")
        endsOn = try row.decode("ends_on")
        dueOn = try row.decode("due_on")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
        version = try row.decode("version")
    }
}

/// `/v1/report-periods`: reporting periods with data windows and due dates; admins write.
struct ReportPeriodRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.add(.get, "/v1/report-periods", list)
        routes.add(.post, "/v1/report-periods", create)
        routes.add(.post, "/v1/report-periods/generate", generate)
        routes.add(.get, "/v1/report-periods/{id}", get)
        routes.add(.patch, "/v1/report-periods/{id}", update)
    }

    static func find(_ id: String, on connection: PQConnection, forUpdate: Bool = false) async throws -> ReportPeriod? {
        let lock = PQQuery(unescaped: forUpdate ? " FOR UPDATE" : "")
        return try await connection.query("SELECT \(ReportPeriod.columns) FROM report_periods p WHERE p.id = \(id)\(lock)").first.map(ReportPeriod.init(row:))
    }

    static func periodID(_ context: AppRequestContext) throws -> String {
        guard let id = context.parameters.get("id"), id.range(of: "^[0-9]{4}-[A-Za-z0-9-]{1,20}$", options: .regularExpression) != nil else {
            throw Problem.notFound("the report period")
        }
        return id
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = QueryReader(request)
        var conditions: [PQQuery] = ["true"]
        if let year = query.integer("year", range: 2000...2100) { conditions.append("p.year = \(year)") }
        if let kind = query.enumeration("kind", PeriodKind.self) { conditions.append("p.kind = \(kind.rawValue)::period_kind") }
        let page = query.page()
        try query.finish()
        let pool = self.pool, filter = PQQuery.joined(conditions, separator: " AND ")
        return try await Pagination.list(request: request, page: page, filename: "report-periods") { cursor, limit in
            var condition = filter
            if let cursor, cursor.count == 2, let day = CalendarDate(cursor[0]) {
                condition = condition + " AND (p.starts_on, p.id) > (\(day), \(cursor[1]))"
            }
            let periods = try await pool.query("""
                SELECT \(ReportPeriod.columns) FROM report_periods p WHERE \(condition) ORDER BY p.starts_on, p.id LIMIT \(limit + 1)
                """).map(ReportPeriod.init(row:))
            return Pagination.cut(periods, limit: limit) { [$0.startsOn.description, $0.id] }
        }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try Self.periodID(context)
        try QueryReader(request).finish()
        guard let period = try await pool.withConnection({ try await Self.find(id, on: $0) }) else { throw Problem.notFound("the report period") }
        return try Conditional.resource(period, etag: period.etag, request: request)
    }

    /// Creates the default periods of `year` that do not exist yet, and lists the year's periods.
    @Sendable func generate(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("generate report periods")
        var query = QueryReader(request)
        let year = query.integer("year", range: 2000...2100)
        if year == nil, query.errors.isEmpty { query.fail("year", "is required") }
        try query.finish()
        let periods = try await context.write(pool) { write -> [ReportPeriod] in
            let created = try await write.query("SELECT \(ReportPeriod.columns) FROM ttdn_generate_periods(\(year!)::int) p").map(ReportPeriod.init(row:))
            for period in created {
                try await write.audit(AuditEntry("report_periods", id: period.id, action: "create", before: ReportPeriod?.none, after: period))
            }
            return try await write.query("SELECT \(ReportPeriod.columns) FROM report_periods p WHERE p.year = \(year!) ORDER BY p.starts_on, p.id")
                .map(ReportPeriod.init(row:))
        }
        return try Pagination.response(request: request, items: periods, nextCursor: nil)
    }

    struct Fields {
        var id: Field<String> = .absent, kind: Field<PeriodKind> = .absent, title: Field<String> = .absent
        var startsOn: Field<CalendarDate> = .absent, endsOn: Field<CalendarDate> = .absent, dueOn: Field<CalendarDate> = .absent
        init(_ reader: inout InputReader, creating: Bool) {
            if creating {
                id = reader.string("id", maxLength: 25)
                if let v = id.value, v.range(of: "^[0-9]{4}-[A-Za-z0-9-]{1,20}$", options: .regularExpression) == nil {
                    reader.fail("id", "must be YEAR-NAME, e.g. 2023-Q1, 2023-H1, 2023-Y or 2023-TET")
                }
            }
            kind = reader.enumeration("kind", PeriodKind.self)
            title = reader.string("title", maxLength: 200)
            startsOn = reader.date("starts_on")
            endsOn = reader.date("ends_on")
            dueOn = reader.date("due_on")
            for (key, isNull) in [("kind", kind.isNull), ("title", title.isNull), ("starts_on", startsOn.isNull),
                                  ("ends_on", endsOn.isNull), ("due_on", dueOn.isNull)] where isNull {
                reader.fail(key, "must not be null")
            }
        }
    }

    static func explain(_ error: PQError) -> FieldError? {
        switch error.constraint {
        case "report_periods_window": return FieldError("ends_on", "must be on or after starts_on")
        case "report_periods_pkey": return FieldError("id", "is already used by another period")
        default: return nil
        }
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("create report periods")
        try JSONBody.requireJSON(request)
        let body = try await JSONBody.collect(request)
        var reader = try InputReader(try JSONBody.parse(body))
        let f = Fields(&reader, creating: true)
        for (key, absent) in [("id", f.id.isAbsent), ("kind", f.kind.isAbsent), ("title", f.title.isAbsent), ("starts_on", f.startsOn.isAbsent),
                              ("ends_on", f.endsOn.isAbsent), ("due_on", f.dueOn.isAbsent)] where absent {
            if !reader.errors.contains(where: { $0.field == key }) { reader.fail(key, "is required") }
        }
        try reader.finish()
        return try await Idempotency.run(request: request, context: context, pool: pool, body: body) { write in
            let period = try await explainingConstraints(Self.explain) {
                try ReportPeriod(row: try await write.query("""
                    INSERT INTO report_periods AS p (id, kind, year, title, starts_on, ends_on, due_on)
                    VALUES (\(f.id.value!), \(f.kind.value!.rawValue)::period_kind, \(Int(f.id.value!.prefix(4))!), \(f.title.value!),
                            \(f.startsOn.value!), \(f.endsOn.value!), \(f.dueOn.value!))
                    RETURNING \(ReportPeriod.columns)
                    """)[0])
            }
            try await write.audit(AuditEntry("report_periods", id: period.id, action: "create", before: ReportPeriod?.none, after: period))
            return try StoredResponse.json(period, status: .created, headers: ["Location": "/v1/report-periods/\(period.id)", "ETag": period.etag])
        }
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try Self.periodID(context)
        try context.caller.requireAdmin("change report periods")
        let value = try await JSONBody.read(request, context: context, mediaTypes: ["application/merge-patch+json", "application/json"])
        var reader = try InputReader(value)
        let f = Fields(&reader, creating: false)
        try reader.finish()
        let period = try await context.write(pool) { write -> ReportPeriod in
            guard let c = try await Self.find(id, on: write.connection, forUpdate: true) else { throw Problem.notFound("the report period") }
            try Conditional.checkIfMatch(request, etag: c.etag)
            let updated = try await explainingConstraints(Self.explain) {
                try ReportPeriod(row: try await write.query("""
                    UPDATE report_periods p SET kind = \(f.kind.merged(into: c.kind)!.rawValue)::period_kind, title = \(f.title.merged(into: c.title)),
                        starts_on = \(f.startsOn.merged(into: c.startsOn)), ends_on = \(f.endsOn.merged(into: c.endsOn)),
                        due_on = \(f.dueOn.merged(into: c.dueOn)), updated_at = now(), version = p.version + 1
                    WHERE p.id = \(id) RETURNING \(ReportPeriod.columns)
                    """)[0])
            }
            try await write.audit(AuditEntry("report_periods", id: id, action: "update", before: c, after: updated))
            return updated
        }
        return try Conditional.resource(period, etag: period.etag, request: request)
    }
}

public struct ReportIndicator: Codable, Sendable {
    public var code: String
    public var name: String
    public var unitOfMeasure: String?
    public var aggregation: String
    public var position: Int
    public var active: Bool

    init(row: PQRow) throws {
        code = try row.decode("code")
        name = try row.decode("name")
        unitOfMeasure = try row.decode("unit_of_measure")
        aggregation = try row.decode("aggregation")
        position = try row.decode("position")
        active = try row.decode("active")
    }

    static let columns = PQQuery(unescaped: "code, name, unit_of_measure, aggregation::text AS aggregation, position, active")
}

/// `/v1/report-indicators`: the catalogue reports are filled against. Admins add indicators.
struct ReportIndicatorRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.add(.get, "/v1/report-indicators", list)
        routes.add(.post, "/v1/report-indicators", create)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        try QueryReader(request).finish()
        let pool = self.pool
        // The catalogue is small: one page holds it.
        return try await Pagination.list(request: request, page: (500, nil), filename: "report-indicators") { _, _ in
            (try await pool.query("SELECT \(ReportIndicator.columns) FROM report_indicators ORDER BY position, code").map(ReportIndicator.init(row:)), nil)
        }
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("add report indicators")
        try JSONBody.requireJSON(request)
        let body = try await JSONBody.collect(request)
        var reader = try InputReader(try JSONBody.parse(body))
        let code = reader.required("code", reader.string("code", maxLength: 64))
        if let code, code.range(of: "^[a-z][a-z0-9_]{1,63}$", options: .regularExpression) == nil {
            reader.fail("code", "must be lower-case letters, digits and underscores, starting with a letter")
        }
        let name = reader.required("name", reader.string("name", maxLength: 300))
        let unit = reader.string("unit_of_measure", maxLength: 50).value
        let aggregation = reader.required("aggregation", reader.string("aggregation", maxLength: 10))
        if let aggregation, !["sum", "max", "latest", "text"].contains(aggregation) { reader.fail("aggregation", "must be one of: sum, max, latest, text") }
        let position = reader.integer("position", range: 0...100_000).value ?? 1000
        try reader.finish(readOnly: ["active"])
        return try await Idempotency.run(request: request, context: context, pool: pool, body: body) { write in
            let indicator = try await explainingConstraints({ $0.constraint == "report_indicators_pkey" ? FieldError("code", "is already in the catalogue") : nil }) {
                try ReportIndicator(row: try await write.query("""
                    INSERT INTO report_indicators (code, name, unit_of_measure, aggregation, position)
                    VALUES (\(code!), \(name!), \(unit), \(aggregation!)::indicator_aggregation, \(position)) RETURNING \(ReportIndicator.columns)
                    """)[0])
            }
            try await write.audit(AuditEntry("report_indicators", id: indicator.code, action: "create", before: ReportIndicator?.none, after: indicator))
            return try StoredResponse.json(indicator, status: .created)
        }
    }
}
