import Foundation
import PQ
import TTDNKit

/// An audit row as the API shows it.
struct AuditEvent: Encodable, Sendable {
    let id: Int
    let occurredAt: Date
    let actorTokenId: UUID?
    let actorRole: String?
    let actorUnitId: UUID?
    let resourceType: String
    let resourceId: String
    let action: String
    let changedFields: [String]
    let before: RawJSON?
    let after: RawJSON?
    let requestId: String?

    static let columns = PQQuery(
        unescaped: """
            id, occurred_at, actor_token_id, actor_role::text AS actor_role, actor_unit_id, resource_type, resource_id,
            action, changed_fields, before::text AS before, after::text AS after, request_id
            """)

    init(row: PQRow) throws {
        id = try row.decode("id")
        occurredAt = try row.decode("occurred_at")
        actorTokenId = try row.decode("actor_token_id")
        actorRole = try row.decode("actor_role")
        actorUnitId = try row.decode("actor_unit_id")
        resourceType = try row.decode("resource_type")
        resourceId = try row.decode("resource_id")
        action = try row.decode("action")
        changedFields = try row.decode("changed_fields")
        before = try row.decode("before", as: String?.self).map(RawJSON.init)
        after = try row.decode("after", as: String?.self).map(RawJSON.init)
        requestId = try row.decode("request_id")
    }

    static let csvHeader = [
        "id", "occurred_at", "actor_token_id", "actor_role", "actor_unit_id", "resource_type",
        "resource_id", "action", "changed_fields", "request_id",
    ]
    var csvRow: [String?] {
        [
            String(id), PQTimestamp.format(occurredAt), actorTokenId?.text, actorRole, actorUnitId?.text,
            resourceType, resourceId, action, changedFields.joined(separator: " "), requestId,
        ]
    }
}

/// A change of the feed: an audit event with its place in commit order.
struct Change: Encodable, Sendable {
    let sequence: Int
    let resourceType: String
    let resourceId: String
    let action: String
    let occurredAt: Date
    let deleted: Bool
    let resource: RawJSON?
}
