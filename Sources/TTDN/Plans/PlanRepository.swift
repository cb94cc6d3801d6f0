import Foundation
import PQ
import TTDNKit

/// All the SQL of plans.
enum PlanRepository: WritableRepository, DeletableRepository {
    static let noun = "the plan"

    static func find(_ id: UUID, forUpdate: Bool = false, on connection: PQConnection) async throws -> Plan? {
        let lock = PQQuery(unescaped: forUpdate ? " FOR UPDATE" : "")
        return try await connection.query("SELECT \(Plan.columns) FROM plans p WHERE p.id = \(id)\(lock)").first.map(Plan.init(row:))
    }

    static func list(
        year: Int?, status: PlanStatus?, issuingUnitID: UUID?, after cursor: [String]?, limit: Int,
        on connection: PQConnection
    ) async throws -> (plans: [Plan], next: [String]?) {
        var conditions: [PQQuery] = ["true"]
        if let year { conditions.append("p.year = \(year)") }
        if let status { conditions.append("p.status = \(status)::plan_status") }
        if let issuingUnitID { conditions.append("p.issuing_unit_id = \(issuingUnitID)") }
        if let cursor, cursor.count == 2, let year = Int(cursor[0]), let id = UUID(uuidString: cursor[1]) {
            conditions.append("(p.year < \(year) OR (p.year = \(year) AND p.id > \(id)))")
        }
        let rows = try await connection.query(
            """
            SELECT \(Plan.columns) FROM plans p WHERE \(PQQuery.joined(conditions, separator: " AND "))
            ORDER BY p.year DESC, p.id LIMIT \(limit + 1)
            """)
        var plans = try rows.map(Plan.init(row:))
        var next: [String]?
        if plans.count > limit {
            plans.removeLast()
            next = plans.last.map { [String($0.year), $0.id.text] }
        }
        return (plans, next)
    }

    static func insert(_ f: PlanFields, on connection: PQConnection) async throws -> Plan {
        let rows = try await connection.query(
            """
            INSERT INTO plans AS p (year, number, title, issuing_unit_id, signer, signer_title, issued_on,
                                    legal_bases, purposes, requirements, status)
            VALUES (\(f.year.value), \(f.number.value), \(f.title.value), \(f.issuingUnitID.value), \(f.signer.value),
                    \(f.signerTitle.value), \(f.issuedOn.value), \(PQJSON(f.legalBases.value ?? [])),
                    \(f.purposes.value ?? []), \(f.requirements.value ?? []),
                    \(f.status.value ?? .draft)::plan_status)
            RETURNING \(Plan.columns)
            """)
        return try Plan(row: rows[0])
    }

    static func update(_ current: Plan, with f: PlanFields, on connection: PQConnection) async throws -> Plan {
        let rows = try await connection.query(
            """
            UPDATE plans p SET
                year = \(f.year.merged(into: current.year)),
                number = \(f.number.merged(into: current.number)),
                title = \(f.title.merged(into: current.title)),
                issuing_unit_id = \(f.issuingUnitID.merged(into: current.issuingUnitId)),
                signer = \(f.signer.merged(into: current.signer)),
                signer_title = \(f.signerTitle.merged(into: current.signerTitle)),
                issued_on = \(f.issuedOn.merged(into: current.issuedOn)),
                legal_bases = \(PQJSON(f.legalBases.merged(into: current.legalBases) ?? [])),
                purposes = \(f.purposes.merged(into: current.purposes) ?? []),
                requirements = \(f.requirements.merged(into: current.requirements) ?? []),
                status = \(f.status.merged(into: current.status))::plan_status,
                updated_at = now(), version = p.version + 1
            WHERE p.id = \(current.id)
            RETURNING \(Plan.columns)
            """)
        return try Plan(row: rows[0])
    }

    static func delete(_ id: UUID, on connection: PQConnection) async throws {
        _ = try await connection.query("DELETE FROM plans WHERE id = \(id)")
    }

    static func explain(_ error: PQError) -> FieldError? {
        switch error.constraint {
        case "plans_issuing_unit_fkey": return FieldError("issuing_unit_id", "does not name an existing unit")
        case "plans_one_active_per_unit_year": return FieldError("status", "another plan of this unit and year is already active")
        case "plans_title_check": return FieldError("title", "must have 1 to 500 characters")
        default:
            if error.sqlState == SQLState.notNullViolation, let column = error.column { return FieldError(column, "must not be null") }
            return nil
        }
    }
}

extension PlanRepository {
    /// The active plans of a year, in the order they were issued.
    static func active(year: Int, on connection: PQConnection) async throws -> [(id: UUID, title: String)] {
        try await connection.query(
            "SELECT id, title FROM plans WHERE year = \(year) AND status = 'active' ORDER BY issued_on NULLS LAST, created_at, id"
        ).map { (try $0.decode("id"), try $0.decode("title")) }
    }
}
