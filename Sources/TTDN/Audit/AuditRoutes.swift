import Foundation
import Hummingbird
import PQ

/// An audit row as the API shows it.
struct AuditEvent: Encodable, Sendable {
    let id: Int
    let occurredAt: Date
    let actorTokenId: String?
    let actorRole: String?
    let actorUnitId: String?
    let resourceType: String
    let resourceId: String
    let action: String
    let changedFields: [String]
    let before: RawJSON?
    let after: RawJSON?
    let requestId: String?

    static let columns = PQQuery(unescaped: """
        id, occurred_at, actor_token_id, actor_role::text AS actor_role, actor_unit_id, resource_type, resource_id,
        action, changed_fields, before::text AS before, after::text AS after, request_id
        """)

    init(row: PQRow) throws {
        id = try row.decode("id")
        occurredAt = try row.decode("occurred_at")
        actorTokenId = try row.decode("actor_token_id", as: UUID?.self)?.lowercased
        actorRole = try row.decode("actor_role")
        actorUnitId = try row.decode("actor_unit_id", as: UUID?.self)?.lowercased
        resourceType = try row.decode("resource_type")
        resourceId = try row.decode("resource_id")
        action = try row.decode("action")
        changedFields = try row.decode("changed_fields")
        before = try row.decode("before", as: String?.self).map(RawJSON.init)
        after = try row.decode("after", as: String?.self).map(RawJSON.init)
        requestId = try row.decode("request_id")
    }
}

/// `GET /v1/audit-events`, admin only, oldest first.
struct AuditRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.add(.get, "/v1/audit-events", list)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("read the audit log")
        var query = QueryReader(request)
        let resourceType = query.string("resource_type", maxLength: 64)
        let resourceID = query.string("resource_id", maxLength: 128)
        let actor = query.uuid("actor_token_id")
        let from = query.date("from")
        let to = query.date("to")
        let page = query.page()
        try query.finish()
        var conditions: [PQQuery] = ["true"]
        if let resourceType { conditions.append("resource_type = \(resourceType)") }
        if let resourceID { conditions.append("resource_id = \(resourceID)") }
        if let actor { conditions.append("actor_token_id = \(actor)") }
        // Dates are Hai Phong days: from is inclusive, to is inclusive.
        if let from { conditions.append("occurred_at >= (\(from)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')") }
        if let to { conditions.append("occurred_at < ((\(to)::date + 1)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')") }
        let filter = PQQuery.joined(conditions, separator: " AND ")
        let pool = self.pool
        let fetch: @Sendable ([String]?, Int) async throws -> ([AuditEvent], [String]?) = { cursor, limit in
            var page: PQQuery = filter
            if let last = cursor?.first.flatMap(Int.init) { page = page + " AND id > \(last)" }
            let rows = try await pool.query("""
                SELECT \(AuditEvent.columns) FROM audit_events WHERE \(page) ORDER BY id LIMIT \(limit + 1)
                """)
            var events = try rows.map(AuditEvent.init(row:))
            var next: [String]?
            if events.count > limit {
                events.removeLast()
                next = events.last.map { [String($0.id)] }
            }
            return (events, next)
        }
        if CSVOutput.wanted(by: request) {
            return CSVOutput.stream(header: ["id", "occurred_at", "actor_token_id", "actor_role", "actor_unit_id", "resource_type",
                                             "resource_id", "action", "changed_fields", "request_id"], filename: "audit-events") { cursor in
                let (events, next) = try await fetch(cursor, 500)
                return (events.map { [String($0.id), PQTimestamp.format($0.occurredAt), $0.actorTokenId, $0.actorRole, $0.actorUnitId,
                                      $0.resourceType, $0.resourceId, $0.action, $0.changedFields.joined(separator: " "), $0.requestId] }, next)
            }
        }
        let (events, next) = try await fetch(page.cursor, page.limit)
        return try Pagination.response(request: request, items: events, nextCursor: next.map(Cursor.encode))
    }
}
