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

    /// The body of an action that may come without one: the JSON sent, or an empty object.
    package static func optional(_ request: Request) async throws -> JSONRequestBody {
        let sent = request.headers[.contentType] != nil || request.headers[.contentLength].flatMap(Int.init).map({ $0 > 0 }) == true
        return sent ? try await json(request) : JSONRequestBody(bytes: ByteBuffer(), value: .object([:]))
    }

    /// The optional body of an action (`{"comment": ...}`); `requiredBecause`: a comment must be
    /// given, and the 422 says why.
    package static func comment(_ request: Request, requiredBecause reason: String? = nil) async throws -> String? {
        var reader = try await optional(request).reader()
        let comment = reader.string("comment", maxLength: 5000).value
        try reader.finish(readOnly: [])
        if let reason, comment == nil { throw Problem.validation([FieldError("comment", "is required \(reason)")]) }
        return comment
    }

    /// The resource's input read from this body by its rules: all problems at once, as a 422.
    package func input<F: ResourceInput>(_ type: F.Type, creating: Bool) throws -> F {
        var reader = try reader()
        let fields = reader.fields(F.self, creating: creating)
        try reader.finish(readOnly: F.readOnly)
        return fields
    }
}

/// A repository whose rows can be deleted outright.
package protocol DeletableRepository: ResourceRepository {
    static func delete(_ id: Resource.ID, on connection: PQConnection) async throws
}

/// A repository whose rows are written straight from the resource's input: with it the kit's
/// create and update below need nothing but the authorization the route decides.
package protocol WritableRepository: ResourceRepository {
    associatedtype Input: ResourceInput
    static func insert(_ input: Input, on connection: PQConnection) async throws -> Resource
    static func update(_ current: Resource, with input: Input, on connection: PQConnection) async throws -> Resource
}

/// The CRUD skeleton every resource shares, written once: find (for update) or 404, an
/// authorization check on the current row, If-Match, constraints explained as 422s, the audit
/// row in the same transaction, and the answer with its ETag.
package enum AuditedWrite {
    package static func get<R: ResourceRepository>(_ repository: R.Type, _ id: R.Resource.ID, request: Request, pool: PQPool) async throws -> Response
    {
        try QueryReader(request).finish()
        guard let resource = try await pool.withSharedConnection({ try await R.find(id, forUpdate: false, on: $0) }) else {
            throw Problem.notFound(R.noun)
        }
        return try Conditional.resource(resource, etag: resource.etag, request: request)
    }

    /// `GET` of a resource whose JSON is its row (`RowJSON`, as a list page of it is): the answer
    /// is written from the row `find` reads (none: 404), with the ETag of its `version`.
    package static func get(
        _ noun: String, request: Request, pool: PQPool, row find: @escaping @Sendable (PQConnection) async throws -> PQRows
    ) async throws -> Response {
        try QueryReader(request).finish()
        let rows = try await pool.withSharedConnection(find)
        guard !rows.isEmpty else { throw Problem.notFound(noun) }
        let etag = Conditional.etag(version: try rows[0].decode("version"))
        if Conditional.notModified(request, etag: etag) { return Conditional.notModifiedResponse(etag: etag) }
        return JSONOutput.response(json: try RowJSON.object(rows), headers: [.eTag: etag])
    }

    /// `POST` of a resource whose JSON is its row (`RowJSON`, as its `GET` is): `insert` returns
    /// the created row, whose JSON is the answer and its audit row's `after`, with `Location` and
    /// `ETag` from its `id` and `version`. Honours Idempotency-Key.
    package static func create<R: ResourceRepository>(
        _ repository: R.Type, request: Request, context: AppRequestContext, pool: PQPool, body: JSONRequestBody,
        row insert: @escaping (Write) async throws -> PQRows
    ) async throws -> Response {
        try await Idempotency.run(request: request, context: context, pool: pool, body: body.bytes) { write in
            let rows = try await R.explaining { try await insert(write) }
            let id: String = try rows[0].decode("id")
            let json = Data(try RowJSON.object(rows))
            try await write.recordCreate(R.Resource.self, id: id, json: json)
            return StoredResponse.json(
                encoded: json, status: .created,
                headers: ["Location": "\(R.Resource.collectionPath)/\(id)", "ETag": Conditional.etag(version: try rows[0].decode("version"))])
        }
    }

    /// 201 with `Location` and `ETag`; honours Idempotency-Key.
    package static func create<R: ResourceRepository>(
        _ repository: R.Type, request: Request, context: AppRequestContext, pool: PQPool, body: JSONRequestBody,
        _ insert: @escaping (Write) async throws -> R.Resource
    ) async throws -> Response {
        try await Idempotency.run(request: request, context: context, pool: pool, body: body.bytes) { write in
            let created = try await R.explaining { try await insert(write) }
            // The answer and the audit row's `after` are the same bytes: written once.
            let json = try JSONOutput.data(created)
            try await write.recordCreate(created, json: json)
            return StoredResponse.json(
                encoded: json, status: .created,
                headers: ["Location": created.location, "ETag": created.etag])
        }
    }

    /// `POST` of a plain resource: the body read by its input rules, inserted, audited.
    package static func create<R: WritableRepository>(
        _ repository: R.Type, request: Request, context: AppRequestContext, pool: PQPool
    ) async throws -> Response {
        let body = try await JSONRequestBody.json(request)
        let input = try body.input(R.Input.self, creating: true)
        return try await create(R.self, request: request, context: context, pool: pool, body: body) { write in
            try await R.insert(input, on: write.connection)
        }
    }

    /// `PATCH` of a plain resource: a merge patch read by its input rules; `check` may refuse
    /// the change given the current row (a transition that is not allowed).
    package static func update<R: WritableRepository>(
        _ repository: R.Type, _ id: R.Resource.ID, request: Request, context: AppRequestContext, pool: PQPool,
        check: @escaping (R.Resource, R.Input) throws -> Void = { _, _ in }
    ) async throws -> Response {
        let body = try await JSONRequestBody.mergePatch(request)
        let input = try body.input(R.Input.self, creating: false)
        return try await update(R.self, id, request: request, context: context, pool: pool) { current, write in
            try check(current, input)
            return try await R.update(current, with: input, on: write.connection)
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
