import Foundation
import Hummingbird
import PQ

/// `GET /v1/changes`: the change feed, read from the audit log.
///
/// Order is by transaction id, then by row: a transaction's changes stay together, and only
/// transactions older than every transaction still running are served. Those can gain no more
/// rows, so a cursor never skips a change that commits later and never repeats one.
struct ChangeRoutes {
    let pool: PQPool

    /// Resource types in the feed, and who may see them.
    static let publicTypes = ["units", "plans", "plan_tasks", "plan_task_assignments", "events", "training_sessions", "training_participants", "media_entries", "report_periods", "report_indicators"]
    static let adminTypes = ["api_tokens", "reports"]

    func register(_ routes: Routes) {
        routes.add(.get, "/v1/changes", list)
    }

    struct Change: Encodable, Sendable {
        let sequence: Int
        let resourceType: String
        let resourceId: String
        let action: String
        let occurredAt: Date
        let deleted: Bool
        let resource: RawJSON?
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.caller
        let visible = caller.isAdmin ? Self.publicTypes + Self.adminTypes : Self.publicTypes
        var query = QueryReader(request)
        var types = visible
        if let requested = query.string("types", maxLength: 500) {
            types = requested.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if types.isEmpty { query.fail("types", "must name at least one change type: \(visible.joined(separator: ", "))") }
            for type in types where !visible.contains(type) {
                query.fail("types", "\(type) is not a change type you can follow; known: \(visible.joined(separator: ", "))")
            }
        }
        let limit = query.integer("limit", range: 1...500) ?? 100
        var after: (txid: String, id: Int) = ("0", 0)
        if let raw = query.string("after", maxLength: 500) {
            if let cursor = Cursor.decode(raw), cursor.count == 2, UInt64(cursor[0]) != nil, let id = Int(cursor[1]) {
                after = (cursor[0], id)
            } else {
                query.fail("after", "is not a cursor this server issued")
            }
        }
        try query.finish()
        let rows = try await pool.query("""
            SELECT id, txid::text AS txid, resource_type, resource_id, action, occurred_at, after::text AS after
            FROM audit_events
            WHERE (txid, id) > (\(after.txid)::xid8, \(after.id))
              AND txid < pg_snapshot_xmin(pg_current_snapshot())
              AND resource_type = ANY(\(types))
            ORDER BY txid, id
            LIMIT \(limit)
            """)
        var changes: [Change] = []
        var last = after
        for row in rows {
            let action: String = try row.decode("action")
            let resource = try row.decode("after", as: String?.self).map(RawJSON.init)
            changes.append(Change(sequence: try row.decode("id"), resourceType: try row.decode("resource_type"),
                                  resourceId: try row.decode("resource_id"), action: action,
                                  occurredAt: try row.decode("occurred_at"), deleted: action == "delete", resource: resource))
            last = (try row.decode("txid"), try row.decode("id"))
        }
        // The cursor always comes back, even on an empty page: poll again with it.
        return try Pagination.response(request: request, items: changes, nextCursor: Cursor.encode([last.txid, String(last.id)]),
                                       cursorParameter: "after")
    }
}
