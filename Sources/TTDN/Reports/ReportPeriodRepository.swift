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

    /// The periods of `year` in `regime` that did not exist yet, now created.
    static func generate(year: Int, regime: String, on connection: PQConnection) async throws -> [ReportPeriod] {
        try await connection.query("SELECT \(ReportPeriod.columns) FROM ttdn_generate_periods(\(year)::int, \(regime)) p")
            .map(ReportPeriod.init(row:))
    }

    /// Existing open periods of `year` whose ids the regime generates, given the regime's dates,
    /// kind and title: (before, after) of each one that changed.
    static func regenerate(year: Int, regime: String, on connection: PQConnection) async throws -> [(ReportPeriod, ReportPeriod)] {
        let before = try await connection.query(
            """
            SELECT \(ReportPeriod.columns) FROM report_periods p JOIN ttdn_regime_periods(\(year)::int, \(regime)) g ON g.id = p.id
            WHERE p.closed_at IS NULL
              AND (p.kind, p.title, p.starts_on, p.ends_on, p.due_on, p.regime) IS DISTINCT FROM (g.kind, g.title, g.starts_on, g.ends_on, g.due_on, \(regime))
            ORDER BY p.id FOR UPDATE OF p
            """
        ).map(ReportPeriod.init(row:))
        var changed: [(ReportPeriod, ReportPeriod)] = []
        for old in before {
            let rows = try await connection.query(
                """
                UPDATE report_periods p SET kind = g.kind, title = g.title, starts_on = g.starts_on, ends_on = g.ends_on, due_on = g.due_on,
                    regime = \(regime), updated_at = now(), version = p.version + 1
                FROM ttdn_regime_periods(\(year)::int, \(regime)) g WHERE g.id = p.id AND p.id = \(old.id)
                RETURNING \(ReportPeriod.columns)
                """)
            changed.append((old, try ReportPeriod(row: rows[0])))
        }
        return changed
    }

    static func regimeExists(_ code: String, on connection: PQConnection) async throws -> Bool {
        try await connection.query("SELECT 1 FROM report_regimes WHERE code = \(code)").isEmpty == false
    }

    static func defaultRegime(on connection: PQConnection) async throws -> String {
        try await connection.query("SELECT code FROM report_regimes WHERE is_default")[0].decode("code")
    }

    static func regimes(on connection: PQConnection) async throws -> [ReportRegime] {
        let templates = try await connection.query(
            """
            SELECT regime, suffix, kind, title, start_month_offset, start_day, end_month_offset, end_day, due_month_offset, due_day
            FROM report_regime_periods ORDER BY regime, start_month_offset, end_month_offset, suffix
            """
        ).map { row in (try row.decode("regime", as: String.self), try ReportRegime.Template(row: row)) }
        return try await connection.query("SELECT code, name, is_default FROM report_regimes ORDER BY NOT is_default, code").map { row in
            let code: String = try row.decode("code")
            return ReportRegime(
                code: code, name: try row.decode("name"), isDefault: try row.decode("is_default"),
                periods: templates.filter { $0.0 == code }.map(\.1))
        }
    }

    /// Closes the period and keeps who was expected to report for it from now on.
    static func close(_ period: ReportPeriod, comment: String?, on connection: PQConnection) async throws -> ReportPeriod {
        _ = try await connection.query("DELETE FROM report_period_units WHERE period_id = \(period.id)")
        _ = try await connection.query(
            """
            INSERT INTO report_period_units (period_id, unit_id, code, name, kind, parent_id, parent_name)
            SELECT \(period.id), unit_id, code, name, kind, parent_id, parent_name FROM ttdn_period_units(\(period.id))
            """)
        return try ReportPeriod(
            row: try await connection.query(
                """
                UPDATE report_periods p SET closed_at = now(), closed_comment = \(comment), updated_at = now(), version = p.version + 1
                WHERE p.id = \(period.id) RETURNING \(ReportPeriod.columns)
                """)[0])
    }

    static func reopen(_ period: ReportPeriod, comment: String, on connection: PQConnection) async throws -> ReportPeriod {
        try ReportPeriod(
            row: try await connection.query(
                """
                UPDATE report_periods p SET closed_at = NULL, closed_comment = \(comment), updated_at = now(), version = p.version + 1
                WHERE p.id = \(period.id) RETURNING \(ReportPeriod.columns)
                """)[0])
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
        case "report_periods_due_after_window": return FieldError("due_on", "must be after ends_on: a report is due after its data window ends")
        case "report_periods_pkey": return FieldError("id", "is already used by another period")
        default: return nil
        }
    }
}
