import Foundation
import Hummingbird
import PQ

/// `/v1/tokens`, admin only. The secret appears once, in the answer to POST.
struct TokenRoutes {
    let pool: PQPool
    let cache: TokenCache

    func register(_ routes: Routes) {
        routes.add(.get, "/v1/tokens", list)
        routes.add(.post, "/v1/tokens", create)
        routes.add(.get, "/v1/tokens/{id}", get)
        routes.add(.post, "/v1/tokens/{id}/revoke", revoke)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("manage tokens")
        var query = QueryReader(request)
        let page = query.page()
        try query.finish()
        let pool = self.pool
        return try await Pagination.list(request: request, page: page, filename: "tokens") { cursor, limit in
            var condition: PQQuery = "true"
            if let cursor, cursor.count == 2, let id = UUID(uuidString: cursor[1]), let after = PQTimestamp.parse(cursor[0]) {
                condition = "(created_at, id) > (\(after), \(id))"
            }
            let tokens = try await pool.query("""
                SELECT \(TokenView.columns) FROM api_tokens WHERE \(condition) ORDER BY created_at, id LIMIT \(limit + 1)
                """).map(TokenView.init(row:))
            return Pagination.cut(tokens, limit: limit) { [PQTimestamp.format($0.createdAt), $0.id] }
        }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("manage tokens")
        let id = try pathID(context, what: "the token")
        let rows = try await pool.query("SELECT \(TokenView.columns) FROM api_tokens WHERE id = \(id)")
        guard let row = rows.first else { throw Problem.notFound("the token") }
        return try JSONOutput.response(try TokenView(row: row))
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("manage tokens")
        try JSONBody.requireJSON(request)
        let body = try await JSONBody.collect(request)
        var reader = try InputReader(try JSONBody.parse(body))
        let role = reader.required("role", reader.enumeration("role", Role.self))
        let unitID = reader.uuid("unit_id").value
        let name = reader.required("name", reader.string("name", maxLength: 200))
        let expiresOn = reader.date("expires_on").value
        if role == .editor, unitID == nil { reader.fail("unit_id", "is required for an editor token") }
        if role == .admin, unitID != nil { reader.fail("unit_id", "must be absent for an admin token") }
        try reader.finish()
        guard let role, let name else { throw Problem.validation(reader.errors) }
        return try await Idempotency.run(request: request, context: context, pool: pool, body: body) { write in
            let created = try await explainingConstraints({ $0.constraint == "api_tokens_unit_fkey" ? FieldError("unit_id", "does not name an existing unit") : nil }) {
                try await Tokens.create(on: write.connection, role: role, unitID: unitID, name: name, expiresOn: expiresOn)
            }
            try await write.audit(AuditEntry("api_tokens", id: created.token.id, action: "create", before: TokenView?.none, after: created.token))
            return try StoredResponse.json(Answer(token: created.token, secret: created.secret), status: .created,
                                           headers: ["Location": "/v1/tokens/\(created.token.id)", "Cache-Control": "no-store"])
        }
    }

    /// The secret is shown once: a replay of an idempotent create answers without it.
    struct Answer: Encodable {
        let token: TokenView
        let secret: String?
    }

    @Sendable func revoke(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("manage tokens")
        let id = try pathID(context, what: "the token")
        let token = try await context.write(pool) { write -> TokenView in
            let before = try await write.query("SELECT \(TokenView.columns) FROM api_tokens WHERE id = \(id) FOR UPDATE")
            guard let row = before.first else { throw Problem.notFound("the token") }
            let after = try await write.query("""
                UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = \(id) RETURNING \(TokenView.columns)
                """)
            let revoked = try TokenView(row: after[0])
            try await write.audit(AuditEntry("api_tokens", id: id.lowercased, action: "revoke",
                                             before: try TokenView(row: row), after: revoked))
            return revoked
        }
        cache.forget(tokenID: id)
        return try JSONOutput.response(token)
    }
}
