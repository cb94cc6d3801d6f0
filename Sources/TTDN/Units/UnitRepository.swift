import Foundation
import PQ
import TTDNKit

/// Filters of `GET /v1/units`.
struct UnitFilter: Sendable {
    var kind: UnitKind?
    var parentID: UUID?
    var ancestorID: UUID?
    var district: String?
    var active: Bool?
    /// Nil means today in Asia/Ho_Chi_Minh.
    var asOf: CalendarDate?
    var q: String?
}

/// All the SQL of units. Constraint names map to the field errors callers see.
enum UnitRepository: WritableRepository, DeletableRepository {
    static let noun = "the unit"

    static func find(_ id: UUID, forUpdate: Bool = false, on connection: PQConnection) async throws -> Unit? {
        try await row(id, forUpdate: forUpdate, on: connection).first.map(Unit.init(row:))
    }

    /// The unit's row (none when there is no such unit), which `GET` writes as its JSON.
    static func row(_ id: UUID, forUpdate: Bool = false, on connection: PQConnection) async throws -> PQRows {
        let lock = PQQuery(unescaped: forUpdate ? " FOR UPDATE" : "")
        return try await connection.query("SELECT \(Unit.columns) FROM units u WHERE u.id = \(id)\(lock)")
    }

    static func find(code: String, on connection: PQConnection) async throws -> Unit? {
        let rows = try await connection.query("SELECT \(Unit.columns) FROM units u WHERE u.code = \(code)")
        return try rows.first.map(Unit.init(row:))
    }

    /// `(valid_from, valid_to)` contains `date` (today in Hai Phong when nil).
    static func validOn(_ date: CalendarDate?) -> PQQuery {
        """
        (u.valid_from IS NULL OR u.valid_from <= coalesce(\(date), ttdn_today()))
        AND (u.valid_to IS NULL OR u.valid_to >= coalesce(\(date), ttdn_today()))
        """
    }

    /// By name in Vietnamese order. The rows as PostgreSQL returned them: a JSON page is written
    /// from them directly (`RowJSON`), a CSV from the units decoded from them.
    static func list(
        _ filter: UnitFilter, after cursor: [String]?, limit: Int,
        on connection: PQConnection
    ) async throws -> RowPage {
        var conditions: [PQQuery] = [validOn(filter.asOf)]
        if let kind = filter.kind { conditions.append("u.kind = \(kind.rawValue)::unit_kind") }
        if let parent = filter.parentID { conditions.append("u.parent_id = \(parent)") }
        if let ancestor = filter.ancestorID {
            conditions.append(
                """
                u.id IN (WITH RECURSIVE below(id) AS (
                             SELECT id FROM units WHERE parent_id = \(ancestor)
                             UNION SELECT c.id FROM units c JOIN below b ON c.parent_id = b.id)
                         SELECT id FROM below)
                """)
        }
        if let district = filter.district { conditions.append("ttdn_fold(u.district) = ttdn_fold(\(district))") }
        if let active = filter.active { conditions.append("u.active = \(active)") }
        if let q = filter.q { conditions.append("u.search @@ ttdn_search_query(\(q))") }
        if let cursor, cursor.count == 2, let id = UUID(uuidString: cursor[1]) {
            conditions.append("(u.name COLLATE \"vi-x-icu\", u.id) > (\(cursor[0])::text COLLATE \"vi-x-icu\", \(id))")
        }
        let rows = try await connection.query(
            """
            SELECT \(Unit.columns) FROM units u
            WHERE \(PQQuery.joined(conditions, separator: " AND "))
            ORDER BY u.name COLLATE "vi-x-icu", u.id
            LIMIT \(limit + 1)
            """)
        return try RowPage(rows, limit: limit) { row in [try row.decode("name"), try row.decode("id", as: UUID.self).text] }
    }

    /// The unit and every unit below it valid on `asOf`, with their depth below it.
    static func subtree(of id: UUID, asOf: CalendarDate?, on connection: PQConnection) async throws -> [(Unit, Int)] {
        let rows = try await connection.query(
            """
            WITH RECURSIVE tree(id, depth) AS (
                SELECT id, 0 FROM units WHERE id = \(id)
                UNION
                SELECT c.id, t.depth + 1 FROM units c JOIN tree t ON c.parent_id = t.id
                WHERE t.depth < 50
            )
            SELECT \(Unit.columns), t.depth FROM tree t JOIN units u ON u.id = t.id
            WHERE t.depth = 0 OR (\(validOn(asOf)))
            ORDER BY t.depth, u.name COLLATE "vi-x-icu", u.id
            """)
        return try rows.map { (try Unit(row: $0), try $0.decode("depth", as: Int.self)) }
    }

    static func insert(_ f: UnitFields, on connection: PQConnection) async throws -> Unit {
        let rows = try await connection.query(
            """
            INSERT INTO units AS u (code, name, kind, parent_id, district, address, phone, email, website,
                               officer_name, officer_position, officer_phone, officer_email,
                               active, valid_from, valid_to, successor_id, reporting_from, reporting_to)
            VALUES (\(f.code.value), \(f.name.value), \(f.kind.value)::unit_kind, \(f.parentID.value),
                    \(f.district.value), \(f.address.value), \(f.phone.value), \(f.email.value), \(f.website.value),
                    \(f.officerName.value), \(f.officerPosition.value), \(f.officerPhone.value), \(f.officerEmail.value),
                    \(f.active.value ?? true), \(f.validFrom.value), \(f.validTo.value), \(f.successorID.value),
                    \(f.reportingFrom.value), \(f.reportingTo.value))
            RETURNING \(Unit.columns)
            """)
        return try Unit(row: rows[0])
    }

    /// Applies a merge patch to `current`; absent fields stay, null clears.
    static func update(_ current: Unit, with f: UnitFields, on connection: PQConnection) async throws -> Unit {
        let rows = try await connection.query(
            """
            UPDATE units u SET
                code = \(f.code.merged(into: current.code)),
                name = \(f.name.merged(into: current.name)),
                kind = \(f.kind.merged(into: current.kind))::unit_kind,
                parent_id = \(f.parentID.merged(into: current.parentId)),
                district = \(f.district.merged(into: current.district)),
                address = \(f.address.merged(into: current.address)),
                phone = \(f.phone.merged(into: current.phone)),
                email = \(f.email.merged(into: current.email)),
                website = \(f.website.merged(into: current.website)),
                officer_name = \(f.officerName.merged(into: current.officer.name)),
                officer_position = \(f.officerPosition.merged(into: current.officer.position)),
                officer_phone = \(f.officerPhone.merged(into: current.officer.phone)),
                officer_email = \(f.officerEmail.merged(into: current.officer.email)),
                active = \(f.active.merged(into: current.active)),
                valid_from = \(f.validFrom.merged(into: current.validFrom)),
                valid_to = \(f.validTo.merged(into: current.validTo)),
                successor_id = \(f.successorID.merged(into: current.successorId)),
                reporting_from = \(f.reportingFrom.merged(into: current.reportingFrom)),
                reporting_to = \(f.reportingTo.merged(into: current.reportingTo)),
                updated_at = now(),
                version = u.version + 1
            WHERE u.id = \(current.id)
            RETURNING \(Unit.columns)
            """)
        return try Unit(row: rows[0])
    }

    static func delete(_ id: UUID, on connection: PQConnection) async throws {
        _ = try await connection.query("DELETE FROM units WHERE id = \(id)")
    }

    /// Links an imported unit to its successor by code; false when no unit has that code.
    static func linkSuccessor(of id: UUID, code: String, on connection: PQConnection) async throws -> Bool {
        let rows = try await connection.query(
            """
            UPDATE units SET successor_id = (SELECT id FROM units WHERE code = \(code))
            WHERE id = \(id) AND EXISTS (SELECT 1 FROM units WHERE code = \(code))
            """)
        return rows.affectedRows > 0
    }

    /// The field error a database constraint stands for, if it is one of ours.
    static func explain(_ error: PQError) -> FieldError? {
        switch error.constraint {
        case "units_code_key": return FieldError("code", "is already used by another unit")
        case "units_code_format": return FieldError("code", "must be 1 to 64 letters, digits, '.', '_' or '-'")
        case "units_parent_fkey": return FieldError("parent_id", "does not name an existing unit")
        case "units_successor_fkey": return FieldError("successor_id", "does not name an existing unit")
        case "units_no_cycle", "units_not_own_parent": return FieldError("parent_id", "would make the unit its own ancestor")
        case "units_valid_range": return FieldError("valid_to", "must be on or after valid_from")
        case "units_successor_needs_end": return FieldError("successor_id", "needs valid_to: a successor takes over when the unit ends")
        case "units_reporting_range":
            return FieldError("reporting_to", "must be on or after reporting_from (a unit without reporting_from never reports)")
        case "units_not_own_successor": return FieldError("successor_id", "must be another unit")
        case "units_successor_valid": return FieldError("successor_id", "must be valid on the day after this unit's valid_to")
        default: return nil
        }
    }
}
