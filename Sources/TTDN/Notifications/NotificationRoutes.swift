import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `GET /v1/notifications`: a unit's inbox (an editor's or a unit-bound viewer's own unit, with
/// what is for every unit); admins see every inbox (`unit_id` picks one). `POST …/{id}/read`
/// and `…/unread` mark it for the unit. `POST /v1/messages` (admin): the office writes to one
/// unit, every unit of a kind, or every unit below a parent.
struct NotificationRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.publishChanges(of: Message.self, to: .admins)
        routes.list("/v1/notifications", list)
        routes.add(.post, "/v1/notifications/{id}/read", mark(read: true))
        routes.add(.post, "/v1/notifications/{id}/unread", mark(read: false))
        routes.add(.post, "/v1/messages", send)
        routes.add(.get, "/v1/messages/{id}", getMessage)
    }

    /// The inbox a caller reads: its unit's; an admin's or an unbound viewer's: the one asked for, or all.
    static func inbox(of caller: Principal, asked: UUID?) -> UUID? {
        if caller.isAdmin || caller.unitID == nil { return asked }
        return caller.unitID
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.caller
        var query = QueryReader(request)
        let asked = query.uuid("unit_id")
        let filter = NotificationFilter(
            unitID: Self.inbox(of: caller, asked: asked), unread: query.bool("unread"), type: query.string("type", maxLength: 100))
        let page = query.page()
        try query.finish()
        if !caller.isAdmin, let asked, asked != caller.unitID, caller.unitID != nil {
            throw Problem.forbidden("a token bound to a unit reads its own unit's notifications only")
        }
        let pool = self.pool
        return try await Pagination.list(request: request, page: page, filename: "notifications") { cursor, limit in
            try await pool.withSharedConnection { try await NotificationRepository.list(filter, after: cursor, limit: limit, on: $0) }
        }
    }

    func mark(read: Bool) -> Routes.Handler {
        { request, context in
            let id = try pathID(context, what: "the notification")
            let caller = try context.caller
            try caller.requireWriter("mark notifications")
            try QueryReader(request).finish()
            let marked = try await pool.withSharedConnection { connection -> Notification in
                guard let current = try await NotificationRepository.find(id, on: connection),
                    caller.isAdmin || current.unitId == nil || current.unitId == caller.unitID
                else { throw Problem.notFound("the notification") }
                return try await NotificationRepository.mark(id, read: read, by: caller.tokenID, on: connection)!
            }
            return try JSONOutput.response(marked)
        }
    }

    @Sendable func send(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("send messages to units")
        let body = try await JSONRequestBody.json(request)
        let fields = try body.input(MessageFields.self, creating: true)
        let day = HaiPhong.today()
        return try await AuditedWrite.create(MessageRepository.self, request: request, context: context, pool: pool, body: body) { write in
            if let kind = fields.unitKind.value, try await !MessageRepository.isUnitKind(kind, on: write.connection) {
                throw Problem.validation([FieldError("unit_kind", "is not a kind of unit")])
            }
            let message = try await MessageRepository.send(fields, on: day, sentBy: write.principal?.tokenID, on: write.connection)
            // A message nobody receives is a mistake (a kind of unit abolished, an empty parent): say so, keep nothing.
            guard !message.recipients.isEmpty else {
                let field = fields.unitID.value != nil ? "unit_id" : fields.unitKind.value != nil ? "unit_kind" : "parent_id"
                throw Problem.validation([FieldError(field, "names no unit that exists today (\(day)); nobody would receive the message")])
            }
            return message
        }
    }

    @Sendable func getMessage(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("read the office's messages")
        return try await AuditedWrite.get(MessageRepository.self, try pathID(context, what: MessageRepository.noun), request: request, pool: pool)
    }
}
