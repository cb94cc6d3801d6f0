import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `GET /v1/audit-events`, admin only, oldest first.
struct AuditRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.list("/v1/audit-events", list)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("read the audit log")
        var query = QueryReader(request)
        let filter = AuditFilter(
            resourceType: query.string("resource_type", maxLength: 64), resourceID: query.string("resource_id", maxLength: 128),
            actor: query.uuid("actor_token_id"), from: query.date("from"), to: query.date("to"))
        let page = query.page()
        try query.finish()
        let pool = self.pool
        return try await Pagination.list(
            request: request, page: page, filename: "audit-events",
            columns: CSVColumns(header: AuditEvent.csvHeader, row: \.csvRow)
        ) { cursor, limit in
            try await pool.withSharedConnection { try await AuditRepository.list(filter, after: cursor, limit: limit, on: $0) }
        }
    }
}
