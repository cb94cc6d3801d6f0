import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `/v1/tokens`, admin only. The secret appears once, in the answer to POST.
struct TokenRoutes {
    let pool: PQPool
    let cache: TokenCache

    func register(_ routes: Routes) {
        routes.publishChanges(of: TokenView.self, to: .admins)
        routes.list("/v1/tokens", list)
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
            try await pool.withSharedConnection { try await TokenRepository.list(after: cursor, limit: limit, on: $0) }
        }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("manage tokens")
        let id = try pathID(context, what: "the token")
        guard let token = try await pool.withSharedConnection({ try await TokenRepository.find(id, on: $0) }) else {
            throw Problem.notFound("the token")
        }
        return try JSONOutput.response(token)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("manage tokens")
        let body = try await JSONRequestBody.json(request)
        var reader = try body.reader()
        let role = reader.required("role", reader.enumeration("role", Role.self))
        let unitID = reader.uuid("unit_id").value
        let name = reader.required("name", reader.string("name", maxLength: 200))
        let expiresOn = reader.date("expires_on").value
        if role == .editor, unitID == nil { reader.fail("unit_id", "is required for an editor token") }
        if role == .admin, unitID != nil { reader.fail("unit_id", "must be absent for an admin token") }
        try reader.finish()
        guard let role, let name else { throw Problem.validation(reader.errors) }
        return try await Idempotency.run(request: request, context: context, pool: pool, body: body.bytes) { write in
            let created = try await explainingConstraints(TokenRepository.explain) {
                try await Tokens.create(on: write.connection, role: role, unitID: unitID, name: name, expiresOn: expiresOn)
            }
            try await write.audit(
                AuditEntry(TokenView.auditType, id: created.token.id.text, action: "create", before: TokenView?.none, after: created.token))
            return try StoredResponse.json(
                Answer(token: created.token, secret: created.secret),
                replayedAs: Answer(token: created.token, secret: nil), status: .created,
                headers: ["Location": "/v1/tokens/\(created.token.id.text)", "Cache-Control": "no-store"])
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
            guard let before = try await TokenRepository.find(id, forUpdate: true, on: write.connection) else { throw Problem.notFound("the token") }
            let revoked = try await TokenRepository.revoke(idOrPublicID: id.text, on: write.connection)!
            try await write.audit(AuditEntry(TokenView.auditType, id: id.text, action: "revoke", before: before, after: revoked))
            return revoked
        }
        cache.forget(tokenID: id)
        return try JSONOutput.response(token)
    }
}
