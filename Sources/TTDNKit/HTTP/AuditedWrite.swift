import Foundation
import Hummingbird
import NIOCore
import PQ

/// A JSON request body, read and parsed once: the bytes are what an Idempotency-Key is
/// compared by, the value is what the model's input rules read.
package struct JSONRequestBody {
    package let bytes: ByteBuffer
    package let value: JSONValue

    package static let mergePatchTypes = ["application/merge-patch+json", "application/json"]

    package static func json(_ request: Request, mediaTypes: [String] = ["application/json"]) async throws -> JSONRequestBody {
        try JSONBody.requireJSON(request, mediaTypes: mediaTypes)
        let bytes = try await JSONBody.collect(request)
        return JSONRequestBody(bytes: bytes, value: try JSONBody.parse(bytes))
    }

    /// A PATCH body: a JSON merge patch (RFC 7396), also accepted as plain JSON.
    package static func mergePatch(_ request: Request) async throws -> JSONRequestBody {
        try await json(request, mediaTypes: mergePatchTypes)
    }

    package func reader() throws -> InputReader { try InputReader(value) }
}

/// A repository whose rows can be deleted outright.
package protocol DeletableRepository: ResourceRepository {
    static func delete(_ id: Resource.ID, on connection: PQConnection) async throws
}

/// The CRUD skeleton every resource shares, written once: find (for update) or 404, an
/// authorization check on the current row, If-Match, constraints explained as 422s, the audit
/// row in the same transaction, and the answer with its ETag.
package enum AuditedWrite {
    package static func get<R: ResourceRepository>(_ repository: R.Type, _ id: R.Resource.ID, request: Request, pool: PQPool) async throws -> Response
    {
        try QueryReader(request).finish()
        guard let resource = try await pool.withConnection({ try await R.find(id, forUpdate: false, on: $0) }) else {
            throw Problem.notFound(R.noun)
        }
        return try Conditional.resource(resource, etag: resource.etag, request: request)
    }

    /// 201 with `Location` and `ETag`; honours Idempotency-Key.
    package static func create<R: ResourceRepository>(
        _ repository: R.Type, request: Request, context: AppRequestContext, pool: PQPool, body: JSONRequestBody,
        _ insert: @escaping (Write) async throws -> R.Resource
    ) async throws -> Response {
        try await Idempotency.run(request: request, context: context, pool: pool, body: body.bytes) { write in
            let created = try await R.explaining { try await insert(write) }
            try await write.record("create", before: nil, after: created)
            return try StoredResponse.json(
                created, status: .created,
                headers: ["Location": created.location, "ETag": created.etag])
        }
    }

    /// Locks the current row, lets `authorize` refuse it, checks If-Match, applies the change.
    package static func update<R: ResourceRepository>(
        _ repository: R.Type, _ id: R.Resource.ID, request: Request, context: AppRequestContext, pool: PQPool, action: String = "update",
        authorize: (R.Resource, Write) async throws -> Void = { _, _ in },
        _ apply: (R.Resource, Write) async throws -> R.Resource
    ) async throws -> Response {
        let updated = try await context.write(pool) { write -> R.Resource in
            let current = try await lock(R.self, id, request: request, write: write, authorize: authorize)
            let updated = try await R.explaining { try await apply(current, write) }
            try await write.record(action, before: current, after: updated)
            return updated
        }
        return try Conditional.resource(updated, etag: updated.etag, request: request)
    }

    /// 204; `whenReferenced` answers a foreign-key violation (the row is still in use).
    package static func delete<R: DeletableRepository>(
        _ repository: R.Type, _ id: R.Resource.ID, request: Request, context: AppRequestContext, pool: PQPool,
        authorize: (R.Resource, Write) async throws -> Void = { _, _ in }, whenReferenced: Problem? = nil
    ) async throws -> Response {
        try await context.write(pool) { write in
            let current = try await lock(R.self, id, request: request, write: write, authorize: authorize)
            do {
                try await R.delete(id, on: write.connection)
            } catch let error as PQError where error.isForeignKeyViolation && whenReferenced != nil {
                throw whenReferenced!
            }
            try await write.record("delete", before: current, after: nil)
        }
        return Response(status: .noContent)
    }

    /// The current row, locked for this transaction: 404 when missing, the caller's check, 412 on a stale If-Match.
    package static func lock<R: ResourceRepository>(
        _ repository: R.Type, _ id: R.Resource.ID, request: Request, write: Write,
        authorize: (R.Resource, Write) async throws -> Void = { _, _ in }
    ) async throws -> R.Resource {
        guard let current = try await R.find(id, forUpdate: true, on: write.connection) else { throw Problem.notFound(R.noun) }
        try await authorize(current, write)
        try Conditional.checkIfMatch(request, etag: current.etag)
        return current
    }
}
