import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `GET /v1/changes`: the change feed, read from the audit log in commit order.
///
/// Each audit event gets its feed sequence once its transaction has committed, from one counter
/// (`ttdn_number_changes`, migration 0009), so a sequence is final when a reader sees it: a cursor
/// never skips a change that commits later, never repeats one, and a long transaction elsewhere
/// delays nothing but its own changes.
struct ChangeRoutes {
    let pool: PQPool
    /// Resource types in the feed, as the resources registered them with their routes.
    let types: ChangeFeedTypes

    func register(_ routes: Routes) {
        routes.list("/v1/changes", list)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.caller
        let visible = self.types.visible(toAdmin: caller.isAdmin)
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
        var after = 0
        if let raw = query.string("after", maxLength: 500) {
            if let cursor = Cursor.decode(raw), cursor.count == 1, let sequence = Int(cursor[0]), sequence >= 0 {
                after = sequence
            } else {
                query.fail("after", "is not a cursor this server issued")
            }
        }
        try query.finish()
        let (numbered, changes) = try await pool.withSharedConnection {
            try await AuditRepository.changes(
                after: after, types: types, scoped: caller.isAdmin ? [] : self.types.scopedToCallerUnit(), within: caller.unitID, limit: limit,
                on: $0)
        }
        var last = changes.last?.sequence ?? after
        // A short page has seen every numbered change of other types too: skip past them.
        if changes.count < limit { last = max(last, numbered) }
        // The cursor always comes back, even on an empty page: poll again with it.
        return try Pagination.response(
            request: request, items: changes, nextCursor: Cursor.encode([String(last)]),
            cursorParameter: "after")
    }
}
