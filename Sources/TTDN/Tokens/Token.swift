import Foundation
import PQ
import TTDNKit

/// A token as the API shows it: never its secret or hash.
public struct TokenView: Encodable, Sendable, Audited {
    public let id: UUID
    public let publicId: String
    public let role: Role
    public let unitId: UUID?
    public let name: String
    public let expiresOn: CalendarDate?
    public let revokedAt: Date?
    public let lastUsedAt: Date?
    public let createdAt: Date

    package static let auditType = "api_tokens"
    static let columns = PQQuery(unescaped: "id, public_id, role, unit_id, name, expires_on, revoked_at, last_used_at, created_at")

    init(row: PQRow) throws {
        id = try row.decode("id")
        publicId = try row.decode("public_id")
        role = try row.decode("role")
        unitId = try row.decode("unit_id")
        name = try row.decode("name")
        expiresOn = try row.decode("expires_on")
        revokedAt = try row.decode("revoked_at")
        lastUsedAt = try row.decode("last_used_at")
        createdAt = try row.decode("created_at")
    }
}
