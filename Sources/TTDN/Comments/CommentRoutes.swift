import Foundation
import Hummingbird
import PQ
import TTDNKit

/// Threads between a unit and the Department office: `GET` and `POST <parent>/{id}/comments`
/// on a report, an assignment or an activity; `GET`, `PATCH` (the author edits) and `DELETE`
/// (the author or an admin; the message stays, marked deleted) `/v1/comments/{id}`. Whoever may
/// see the parent reads its thread; admins and the editors of the parent's unit write in it.
struct CommentRoutes {
    let pool: PQPool
    let parents: [ParentResource]

    func register(_ routes: Routes) {
        routes.publishChanges(of: Comment.self, to: .withinCallerUnit)
        for parent in parents {
            routes.list("\(parent.path)/{id}/comments", thread(parent))
            routes.add(.post, "\(parent.path)/{id}/comments", create(parent))
        }
        routes.add(.get, "/v1/comments/{id}", get)
        routes.add(.patch, "/v1/comments/{id}", update)
        routes.add(.delete, "/v1/comments/{id}", delete)
    }

    private func parent(of comment: Comment) -> ParentResource {
        parents.first { $0.column == "\(comment.parentType)_id" }!
    }

    /// The comment, when the caller may see its parent; 404 otherwise.
    private func requireVisible(_ comment: Comment, to caller: Principal, on connection: PQConnection) async throws {
        _ = try await parent(of: comment).requireVisible(comment.parentId, to: caller, on: connection, as: CommentRepository.noun)
    }

    func thread(_ parent: ParentResource) -> Routes.Handler {
        { request, context in
            let id = try pathID(context, what: parent.noun)
            let caller = try context.caller
            var query = QueryReader(request)
            let page = query.page()
            try query.finish()
            let pool = self.pool
            _ = try await pool.withSharedConnection { try await parent.requireVisible(id, to: caller, on: $0) }
            return try await Pagination.list(request: request, page: page, filename: "comments") { cursor, limit in
                try await pool.withSharedConnection { try await CommentRepository.thread(on: parent, id, after: cursor, limit: limit, on: $0) }
            }
        }
    }

    func create(_ parent: ParentResource) -> Routes.Handler {
        { request, context in
            let parentID = try pathID(context, what: parent.noun)
            let caller = try context.caller
            try caller.requireWriter("write comments")
            let body = try await JSONRequestBody.json(request)
            let fields = try body.input(CommentFields.self, creating: true)
            return try await AuditedWrite.create(CommentRepository.self, request: request, context: context, pool: pool, body: body) { write in
                let unit = try await parent.requireVisible(parentID, to: caller, on: write.connection)
                try await ParentResource.requireOwnUnit(unit, caller: caller, what: "write in the threads", on: write.connection)
                return try await CommentRepository.insert(
                    on: parent, parentID, unit: unit, body: fields.body.value!, author: caller, on: write.connection)
            }
        }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: CommentRepository.noun)
        let caller = try context.caller
        try QueryReader(request).finish()
        let comment = try await pool.withSharedConnection { connection -> Comment in
            guard let comment = try await CommentRepository.find(id, on: connection) else { throw Problem.notFound(CommentRepository.noun) }
            try await requireVisible(comment, to: caller, on: connection)
            return comment
        }
        return try Conditional.resource(comment, etag: comment.etag, request: request)
    }

    /// Only the author changes what it wrote; a deleted comment is not edited back.
    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: CommentRepository.noun)
        let caller = try context.caller
        try caller.requireWriter("edit comments")
        let body = try await JSONRequestBody.mergePatch(request)
        let fields = try body.input(CommentFields.self, creating: false)
        return try await AuditedWrite.update(
            CommentRepository.self, id, request: request, context: context, pool: pool,
            authorize: { current, write in
                try await requireVisible(current, to: caller, on: write.connection)
                guard current.authorTokenId == caller.tokenID else { throw Problem.forbidden("only its author may edit a comment") }
                guard current.deletedAt == nil else { throw Problem.conflict("a deleted comment cannot be edited", slug: "comment-deleted") }
            }
        ) { current, write in
            guard let text = fields.body.value, text != current.body else { return current }
            return try await CommentRepository.edit(current.id, body: text, on: write.connection)
        }
    }

    /// 204; the author or an admin marks it deleted (deleting twice changes nothing).
    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: CommentRepository.noun)
        let caller = try context.caller
        try caller.requireWriter("delete comments")
        _ = try await AuditedWrite.update(
            // Audited as an update: the comment stays in the thread (and in mirrors of the feed), marked deleted.
            CommentRepository.self, id, request: request, context: context, pool: pool,
            authorize: { current, write in
                try await requireVisible(current, to: caller, on: write.connection)
                guard caller.isAdmin || current.authorTokenId == caller.tokenID else {
                    throw Problem.forbidden("only its author or an admin may delete a comment")
                }
            }
        ) { current, write in
            current.deletedAt != nil ? current : try await CommentRepository.markDeleted(current.id, on: write.connection)
        }
        return Response(status: .noContent)
    }
}
