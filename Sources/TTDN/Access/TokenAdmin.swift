import Foundation
import PQ

/// What `ttdn token ...` does, with the same audit trail as the HTTP API (actor: the CLI).
public enum TokenAdmin {
    public static func create(pool: PQPool, role: Role, unitCode: String?, name: String,
                              expiresOn: CalendarDate?) async throws -> Tokens.Created {
        try await pool.withTransaction { connection in
            var unitID: UUID?
            if let unitCode {
                let rows = try await connection.query("SELECT id FROM units WHERE code = \(unitCode)")
                guard let row = rows.first else { throw CLIError("no unit has code \(unitCode)") }
                unitID = try row.decode("id", as: UUID.self)
            }
            let created = try await Tokens.create(on: connection, role: role, unitID: unitID,
                                                  name: name.precomposedStringWithCanonicalMapping, expiresOn: expiresOn)
            let write = Write(connection: connection, principal: nil, requestID: "cli")
            try await write.audit(AuditEntry("api_tokens", id: created.token.id, action: "create", before: TokenView?.none, after: created.token))
            return created
        }
    }

    public static func list(pool: PQPool) async throws -> [String] {
        let rows = try await pool.query("""
            SELECT t.id, t.public_id, t.role::text AS role, u.code AS unit_code, t.name, t.expires_on,
                   t.revoked_at IS NOT NULL AS revoked, t.last_used_at
            FROM api_tokens t LEFT JOIN units u ON u.id = t.unit_id ORDER BY t.created_at, t.id
            """)
        return try rows.map { row in
            let id = try row.decode("id", as: UUID.self).lowercased
            let state = try row.decode("revoked", as: Bool.self) ? "revoked" : "active"
            let unit = try row.decode("unit_code", as: String?.self) ?? "-"
            let expires = try row.decode("expires_on", as: CalendarDate?.self)?.description ?? "never"
            let used = try row.decode("last_used_at", as: Date?.self).map(PQTimestamp.format) ?? "never"
            return "\(id)  \(try row.decode("public_id", as: String.self))  \(try row.decode("role", as: String.self))  unit=\(unit)  expires=\(expires)  last_used=\(used)  \(state)  \(try row.decode("name", as: String.self))"
        }
    }

    public static func revoke(pool: PQPool, id: String) async throws -> Bool {
        try await pool.withTransaction { connection in
            let uuid = UUID(uuidString: id)
            let rows = try await connection.query("""
                UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now())
                WHERE id = \(uuid) OR public_id = \(id) RETURNING \(TokenView.columns)
                """)
            guard let row = rows.first else { return false }
            let token = try TokenView(row: row)
            let write = Write(connection: connection, principal: nil, requestID: "cli")
            try await write.audit(AuditEntry("api_tokens", id: token.id, action: "revoke", before: TokenView?.none, after: token))
            return true
        }
    }
}

public struct CLIError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
