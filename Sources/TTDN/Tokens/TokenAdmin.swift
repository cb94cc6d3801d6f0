import Foundation
import PQ
import TTDNKit

/// What `ttdn token ...` does, with the same audit trail as the HTTP API (actor: the CLI).
public enum TokenAdmin {
    public static func create(
        pool: PQPool, role: Role, unitCode: String?, name: String,
        expiresOn: CalendarDate?
    ) async throws -> Tokens.Created {
        try await pool.withTransaction { connection in
            var unitID: UUID?
            if let unitCode {
                guard let id = try await TokenRepository.unitID(code: unitCode, on: connection) else {
                    throw CLIError("no unit has code \(unitCode)")
                }
                unitID = id
            }
            let created = try await Tokens.create(
                on: connection, role: role, unitID: unitID,
                name: name.precomposedStringWithCanonicalMapping, expiresOn: expiresOn)
            let write = Write(connection: connection, principal: nil, requestID: "cli")
            try await write.audit(
                AuditEntry(TokenView.auditType, id: created.token.id.text, action: "create", before: TokenView?.none, after: created.token))
            return created
        }
    }

    public static func list(pool: PQPool) async throws -> [String] {
        try await pool.withSharedConnection { try await TokenRepository.listing(on: $0) }
    }

    public static func revoke(pool: PQPool, id: String) async throws -> Bool {
        try await pool.withTransaction { connection in
            guard let token = try await TokenRepository.revoke(idOrPublicID: id, on: connection) else { return false }
            let write = Write(connection: connection, principal: nil, requestID: "cli")
            try await write.audit(AuditEntry(TokenView.auditType, id: token.id.text, action: "revoke", before: TokenView?.none, after: token))
            return true
        }
    }
}
