import Foundation
import PQ
import TTDNKit

/// All the SQL of API tokens.
enum TokenRepository {
    static func insert(
        publicID: String, secretHash: String, role: Role, unitID: UUID?, name: String, expiresOn: CalendarDate?,
        on connection: PQConnection
    ) async throws -> TokenView {
        try TokenView(
            row: try await connection.query(
                """
                INSERT INTO api_tokens (public_id, secret_hash, role, unit_id, name, expires_on)
                VALUES (\(publicID), decode(\(secretHash), 'hex'), \(role)::token_role, \(unitID), \(name), \(expiresOn))
                RETURNING \(TokenView.columns)
                """)[0])
    }

    /// What authentication needs to know of a token: its hash and whether it may still be used.
    struct Credential {
        let id: UUID, secretHash: String, role: Role, unitID: UUID?, name: String
        let expired: Bool, revoked: Bool, stale: Bool
    }

    static func credential(publicID: String, on connection: PQConnection) async throws -> Credential? {
        try await connection.query(
            """
            SELECT id, encode(secret_hash, 'hex') AS secret_hash, role, unit_id, name,
                   (expires_on IS NOT NULL AND expires_on < ttdn_today()) AS expired,
                   revoked_at IS NOT NULL AS revoked,
                   (last_used_at IS NULL OR last_used_at < now() - interval '1 minute') AS stale
            FROM api_tokens WHERE public_id = \(publicID)
            """
        ).first.map { row in
            Credential(
                id: try row.decode("id"), secretHash: try row.decode("secret_hash"), role: try row.decode("role"),
                unitID: try row.decode("unit_id"), name: try row.decode("name"), expired: try row.decode("expired"),
                revoked: try row.decode("revoked"), stale: try row.decode("stale"))
        }
    }

    static func markUsed(_ id: UUID, on connection: PQConnection) async throws {
        _ = try await connection.query("UPDATE api_tokens SET last_used_at = now() WHERE id = \(id)")
    }

    static func find(_ id: UUID, forUpdate: Bool = false, on connection: PQConnection) async throws -> TokenView? {
        let lock = PQQuery(unescaped: forUpdate ? " FOR UPDATE" : "")
        return try await connection.query("SELECT \(TokenView.columns) FROM api_tokens WHERE id = \(id)\(lock)").first.map(TokenView.init(row:))
    }

    static func list(after cursor: [String]?, limit: Int, on connection: PQConnection) async throws -> ([TokenView], [String]?) {
        var condition: PQQuery = "true"
        if let cursor, cursor.count == 2, let id = UUID(uuidString: cursor[1]), let after = PQTimestamp.parse(cursor[0]) {
            condition = "(created_at, id) > (\(after), \(id))"
        }
        let tokens = try await connection.query(
            """
            SELECT \(TokenView.columns) FROM api_tokens WHERE \(condition) ORDER BY created_at, id LIMIT \(limit + 1)
            """
        ).map(TokenView.init(row:))
        return Pagination.cut(tokens, limit: limit) { [PQTimestamp.format($0.createdAt), $0.id.text] }
    }

    /// Revokes the token named by its id or its public id (a second revocation keeps the first time).
    static func revoke(idOrPublicID: String, on connection: PQConnection) async throws -> TokenView? {
        try await connection.query(
            """
            UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now())
            WHERE id = \(UUID(uuidString: idOrPublicID)) OR public_id = \(idOrPublicID) RETURNING \(TokenView.columns)
            """
        ).first.map(TokenView.init(row:))
    }

    static func unitID(code: String, on connection: PQConnection) async throws -> UUID? {
        try await connection.query("SELECT id FROM units WHERE code = \(code)").first?.decode("id")
    }

    /// One line per token for `ttdn token list`.
    static func listing(on connection: PQConnection) async throws -> [String] {
        let rows = try await connection.query(
            """
            SELECT t.id, t.public_id, t.role::text AS role, u.code AS unit_code, t.name, t.expires_on,
                   t.revoked_at IS NOT NULL AS revoked, t.last_used_at
            FROM api_tokens t LEFT JOIN units u ON u.id = t.unit_id ORDER BY t.created_at, t.id
            """)
        return try rows.map { row in
            let id = try row.decode("id", as: UUID.self).text
            let state = try row.decode("revoked", as: Bool.self) ? "revoked" : "active"
            let unit = try row.decode("unit_code", as: String?.self) ?? "-"
            let expires = try row.decode("expires_on", as: CalendarDate?.self)?.description ?? "never"
            let used = try row.decode("last_used_at", as: Date?.self).map(PQTimestamp.format) ?? "never"
            return
                "\(id)  \(try row.decode("public_id", as: String.self))  \(try row.decode("role", as: String.self))  unit=\(unit)  expires=\(expires)  last_used=\(used)  \(state)  \(try row.decode("name", as: String.self))"
        }
    }

    static func explain(_ error: PQError) -> FieldError? {
        error.constraint == "api_tokens_unit_fkey" ? FieldError("unit_id", "does not name an existing unit") : nil
    }
}
