import Foundation
import PQ
import TTDNKit

/// All the SQL of report targets.
enum ReportTargetRepository: WritableRepository, DeletableRepository {
    static let noun = "the report target"

    static func find(_ id: UUID, forUpdate: Bool, on connection: PQConnection) async throws -> ReportTarget? {
        let lock = PQQuery(unescaped: forUpdate ? " FOR UPDATE" : "")
        return try await connection.query("SELECT \(ReportTarget.columns) FROM report_targets t WHERE t.id = \(id)\(lock)").first.map(
            ReportTarget.init(row:))
    }

    static func list(
        year: Int?, indicator: String?, unit: UUID?, after cursor: [String]?, limit: Int, on connection: PQConnection
    ) async throws -> ([ReportTarget], [String]?) {
        var conditions: [PQQuery] = ["true"]
        if let year { conditions.append("t.year = \(year)") }
        if let indicator { conditions.append("t.indicator_code = \(indicator)") }
        if let unit { conditions.append("t.unit_id = \(unit)") }
        if let cursor, cursor.count == 1, let id = UUID(uuidString: cursor[0]) { conditions.append("t.id > \(id)") }
        let targets = try await connection.query(
            """
            SELECT \(ReportTarget.columns) FROM report_targets t WHERE \(PQQuery.joined(conditions, separator: " AND "))
            ORDER BY t.id LIMIT \(limit + 1)
            """
        ).map(ReportTarget.init(row:))
        return Pagination.cut(targets, limit: limit) { [$0.id.text] }
    }

    static func insert(_ f: ReportTargetFields, on connection: PQConnection) async throws -> ReportTarget {
        try ReportTarget(
            row: try await connection.query(
                """
                INSERT INTO report_targets AS t (year, indicator_code, unit_id, unit_kind, target, note)
                VALUES (\(f.year.value!), \(f.indicatorCode.value!), \(f.unitID.value), \(f.unitKind.value)::unit_kind,
                        \(f.target.value!)::numeric, \(f.note.value))
                RETURNING \(ReportTarget.columns)
                """)[0])
    }

    static func update(_ current: ReportTarget, with f: ReportTargetFields, on connection: PQConnection) async throws -> ReportTarget {
        try ReportTarget(
            row: try await connection.query(
                """
                UPDATE report_targets t SET target = coalesce(\(f.target.value)::numeric, t.target), note = \(f.note.merged(into: current.note)),
                    updated_at = now(), version = t.version + 1
                WHERE t.id = \(current.id) RETURNING \(ReportTarget.columns)
                """)[0])
    }

    static func delete(_ id: UUID, on connection: PQConnection) async throws {
        _ = try await connection.query("DELETE FROM report_targets WHERE id = \(id)")
    }

    static func explain(_ error: PQError) -> FieldError? {
        switch error.constraint {
        case "report_targets_indicator_fkey": return FieldError("indicator_code", "is not an indicator of the catalogue")
        case "report_targets_unit_fkey": return FieldError("unit_id", "does not name an existing unit")
        case "report_targets_unit_key": return FieldError("unit_id", "already has a target for this indicator and year")
        case "report_targets_kind_key": return FieldError("unit_kind", "already has a target for this indicator and year")
        case "report_targets_one_subject": return FieldError("unit_id", "name either unit_id or unit_kind")
        default: return nil
        }
    }
}
