import Foundation
import PQ
import TTDNKit

/// All the SQL of reporting periods.
enum ReportPeriodRepository: ResourceRepository {
    static let noun = "the report period"

    static func find(_ id: String, forUpdate: Bool, on connection: PQConnection) async throws -> ReportPeriod? {
        let lock = PQQuery(unescaped: forUpdate ? " FOR UPDATE" : "")
        return try await connection.query("SELECT \(ReportPeriod.columns) FROM report_periods p WHERE p.id = \(id)\(lock)").first.map(
            ReportPeriod.init(row:))
    }

    static func list(
        year: Int?, kind: PeriodKind?, after cursor: [String]?, limit: Int,
        on connection: PQConnection
    ) async throws -> ([ReportPeriod], [String]?) {
        var conditions: [PQQuery] = ["true"]
        if let year { conditions.append("p.year = \(year)") }
        if let kind { conditions.append("p.kind = \(kind)::period_kind") }
        if let cursor, cursor.count == 2, let day = CalendarDate(cursor[0]) { conditions.append("(p.starts_on, p.id) > (\(day), \(cursor[1]))") }
        let periods = try await connection.query(
            """
            SELECT \(ReportPeriod.columns) FROM report_periods p WHERE \(PQQuery.joined(conditions, separator: " AND "))
            ORDER BY p.starts_on, p.id LIMIT \(limit + 1)
            """
        ).map(ReportPeriod.init(row:))
        return Pagination.cut(periods, limit: limit) { [$0.startsOn.description, $0.id] }
    }

    /// The default periods of `year` that did not exist yet (the plan's regime), now created.
    static func generate(year: Int, on connection: PQConnection) async throws -> [ReportPeriod] {
        try await connection.query("SELECT \(ReportPeriod.columns) FROM ttdn_generate_periods(\(year)::int) p").map(ReportPeriod.init(row:))
    }

    static func all(year: Int, on connection: PQConnection) async throws -> [ReportPeriod] {
        try await connection.query("SELECT \(ReportPeriod.columns) FROM report_periods p WHERE p.year = \(year) ORDER BY p.starts_on, p.id")
            .map(ReportPeriod.init(row:))
    }

    static func insert(_ f: ReportPeriodFields, on connection: PQConnection) async throws -> ReportPeriod {
        try ReportPeriod(
            row: try await connection.query(
                """
                INSERT INTO report_periods AS p (id, kind, year, title, starts_on, ends_on, due_on)
                VALUES (\(f.id.value!), \(f.kind.value!)::period_kind, \(Int(f.id.value!.prefix(4))!), \(f.title.value!),
                        \(f.startsOn.value!), \(f.endsOn.value!), \(f.dueOn.value!))
                RETURNING \(ReportPeriod.columns)
                """)[0])
    }

    static func update(_ c: ReportPeriod, with f: ReportPeriodFields, on connection: PQConnection) async throws -> ReportPeriod {
        try ReportPeriod(
            row: try await connection.query(
                """
                UPDATE report_periods p SET kind = \(f.kind.merged(into: c.kind)!)::period_kind, title = \(f.title.merged(into: c.title)),
                    starts_on = \(f.startsOn.merged(into: c.startsOn)), ends_on = \(f.endsOn.merged(into: c.endsOn)),
                    due_on = \(f.dueOn.merged(into: c.dueOn)), updated_at = now(), version = p.version + 1
                WHERE p.id = \(c.id) RETURNING \(ReportPeriod.columns)
                """)[0])
    }

    static func explain(_ error: PQError) -> FieldError? {
        switch error.constraint {
        case "report_periods_window": return FieldError("ends_on", "must be on or after starts_on")
        case "report_periods_pkey": return FieldError("id", "is already used by another period")
        default: return nil
        }
    }
}
