import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `/v1/webhook-subscriptions` (admin): who is told what. The secret is in the answer to POST
/// only; `/deliveries` is the log of each event's delivery, `/redeliver` sends one again.
struct WebhookRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.collection(
            of: WebhookSubscription.self, "/v1/webhook-subscriptions", list: list, create: create, get: get, update: update, delete: delete,
            changesTo: .admins)
        routes.list("/v1/webhook-subscriptions/{id}/deliveries", deliveries)
        routes.add(.post, "/v1/webhook-subscriptions/{id}/deliveries/{delivery_id}/redeliver", redeliver)
    }

    /// As for tokens: `{"subscription": ..., "secret": ...}`.
    struct Created: Encodable {
        let subscription: WebhookSubscription
        let secret: String?
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("manage webhook subscriptions")
        var query = QueryReader(request)
        let page = query.page()
        try query.finish()
        let pool = self.pool
        return try await Pagination.list(request: request, page: page, filename: "webhook-subscriptions") { cursor, limit in
            try await pool.withSharedConnection { try await WebhookRepository.list(after: cursor, limit: limit, on: $0) }
        }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("manage webhook subscriptions")
        return try await AuditedWrite.get(WebhookRepository.self, try pathID(context, what: WebhookRepository.noun), request: request, pool: pool)
    }

    /// 201 with the secret, once (a replay of the same Idempotency-Key answers it without).
    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("manage webhook subscriptions")
        let body = try await JSONRequestBody.json(request)
        let fields = try body.input(WebhookSubscriptionFields.self, creating: true)
        let secret = WebhookSignature.newSecret()
        return try await Idempotency.run(request: request, context: context, pool: pool, body: body.bytes) { write in
            let created = try await WebhookRepository.explaining { try await WebhookRepository.insert(fields, secret: secret, on: write.connection) }
            try await write.record("create", before: nil, after: created)
            return try StoredResponse.json(
                Created(subscription: created, secret: secret), replayedAs: Created(subscription: created, secret: nil), status: .created,
                headers: ["Location": created.location, "ETag": created.etag, "Cache-Control": "no-store"])
        }
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: WebhookRepository.noun)
        try context.caller.requireAdmin("manage webhook subscriptions")
        let body = try await JSONRequestBody.mergePatch(request)
        let fields = try body.input(WebhookSubscriptionFields.self, creating: false)
        return try await AuditedWrite.update(WebhookRepository.self, id, request: request, context: context, pool: pool) { current, write in
            try await WebhookRepository.update(current, with: fields, on: write.connection)
        }
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: WebhookRepository.noun)
        try context.caller.requireAdmin("manage webhook subscriptions")
        return try await AuditedWrite.delete(WebhookRepository.self, id, request: request, context: context, pool: pool)
    }

    /// Newest first; `status` filters.
    @Sendable func deliveries(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: WebhookRepository.noun)
        try context.caller.requireAdmin("manage webhook subscriptions")
        var query = QueryReader(request)
        let status = query.enumeration("status", DeliveryStatus.self)?.rawValue
        let page = query.page()
        try query.finish()
        let pool = self.pool
        guard try await pool.withSharedConnection({ try await WebhookRepository.find(id, on: $0) }) != nil else {
            throw Problem.notFound(WebhookRepository.noun)
        }
        return try await Pagination.list(request: request, page: page, filename: "webhook-deliveries") { cursor, limit in
            try await pool.withSharedConnection {
                try await WebhookRepository.deliveries(of: id, status: status, after: cursor, limit: limit, on: $0)
            }
        }
    }

    enum DeliveryStatus: String, CaseIterable { case pending, succeeded, failed }

    /// 202: the delivery is due again now (also a failed one, or one of a disabled subscription
    /// once it is turned back on).
    @Sendable func redeliver(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: WebhookRepository.noun)
        let delivery = try pathID(context, "delivery_id", what: "the delivery")
        try context.caller.requireAdmin("manage webhook subscriptions")
        try QueryReader(request).finish()
        guard let again = try await pool.withSharedConnection({ try await WebhookRepository.redeliver(delivery, of: id, on: $0) }) else {
            throw Problem.notFound("the delivery")
        }
        return try JSONOutput.response(again, status: .accepted)
    }
}
