import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PQ
import TTDNKit

/// Evidence files: `POST <parent>/{id}/attachments` with the file as the raw body (its
/// `Content-Type` and a `Content-Disposition` filename), `GET <parent>/{id}/attachments`,
/// `GET /v1/attachments/{id}` and its bytes at `…/content`, `DELETE /v1/attachments/{id}`.
/// Who may see or add a file is who may see or write its parent.
struct AttachmentRoutes {
    let pool: PQPool
    let parents: [ParentResource]
    let maxBytes: Int

    func register(_ routes: Routes) {
        routes.publishChanges(of: Attachment.self, to: .withinCallerUnit)
        for parent in parents {
            routes.list("\(parent.path)/{id}/attachments", list(parent))
            routes.add(.post, "\(parent.path)/{id}/attachments", upload(parent))
        }
        routes.add(.get, "/v1/attachments/{id}", get)
        routes.add(.get, "/v1/attachments/{id}/content", content)
        routes.add(.delete, "/v1/attachments/{id}", delete)
    }

    /// The parent declaration an attachment hangs on (`activity` → the activities').
    private func parent(of attachment: Attachment) -> ParentResource {
        parents.first { $0.column == "\(attachment.parentType)_id" }!
    }

    /// The attachment, when the caller may see its parent; 404 otherwise.
    private func visible(_ id: UUID, caller: Principal, on connection: PQConnection) async throws -> Attachment {
        guard let attachment = try await AttachmentRepository.find(id, on: connection) else { throw Problem.notFound(AttachmentRepository.noun) }
        _ = try await parent(of: attachment).requireVisible(attachment.parentId, to: caller, on: connection, as: AttachmentRepository.noun)
        return attachment
    }

    func list(_ parent: ParentResource) -> Routes.Handler {
        { request, context in
            let id = try pathID(context, what: parent.noun)
            let caller = try context.caller
            try QueryReader(request).finish()
            let files = try await pool.withSharedConnection { connection in
                _ = try await parent.requireVisible(id, to: caller, on: connection)
                return try await AttachmentRepository.list(on: parent, id, on: connection)
            }
            return try Pagination.response(request: request, items: files, nextCursor: nil)
        }
    }

    /// Reads the whole file (at most `maxBytes`) before anything is written: a file that does not
    /// arrive whole leaves nothing behind, and no connection waits on a slow client.
    func upload(_ parent: ParentResource) -> Routes.Handler {
        { request, context in
            let parentID = try pathID(context, what: parent.noun)
            let caller = try context.caller
            try caller.requireWriter("add attachments")
            try QueryReader(request).finish()
            let accepted = EvidenceType.allCases.map(\.rawValue).joined(separator: ", ")
            guard let declared = EvidenceType.declared(request.headers[.contentType]).flatMap(EvidenceType.init(rawValue:)) else {
                throw Problem(
                    .unsupportedMediaType, slug: "unsupported-media-type", title: "Unsupported media type",
                    detail: "send the file as the raw body with its Content-Type, one of: \(accepted)")
            }
            guard let filename = request.headers[.contentDisposition].flatMap(ContentDisposition.filename) else {
                throw Problem.badRequest(
                    "name the file with a Content-Disposition header, e.g. attachment; filename=\"bao-cao.pdf\"",
                    errors: [FieldError("Content-Disposition", "must give a filename")])
            }
            guard filename.unicodeScalars.count <= 255, !filename.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
                throw Problem.badRequest(
                    "the filename must be at most 255 characters, without control characters",
                    errors: [FieldError("Content-Disposition", "the filename must be at most 255 characters, without control characters")])
            }
            let tooLarge = Problem(
                .contentTooLarge, slug: "attachment-too-large", title: "The file is too large",
                detail: "an attachment may have at most \(maxBytes) bytes")
            if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBytes { throw tooLarge }
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: maxBytes)
            } catch let error as HTTPError where error.status == .contentTooLarge {
                throw tooLarge
            } catch is NIOTooManyBytesError {
                throw tooLarge
            }
            let bytes = Array(body.readableBytesView)
            guard !bytes.isEmpty else { throw Problem.badRequest("the request body is empty; send the file as the body") }
            guard let actual = EvidenceType.sniff(bytes) else {
                throw Problem(
                    .unsupportedMediaType, slug: "content-not-accepted", title: "The file is not of an accepted kind",
                    detail: "the content is not \(declared.name) (nor any accepted kind: \(accepted)); the type is read from the content")
            }
            guard actual == declared else {
                throw Problem(
                    .unsupportedMediaType, slug: "content-type-mismatch", title: "The content does not match its Content-Type",
                    detail: "the content is \(actual.name), not \(declared.name) as declared; send it with Content-Type: \(actual.rawValue)")
            }
            let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
            return try await Idempotency.run(request: request, context: context, pool: pool, body: body) { write in
                let unit = try await parent.requireVisible(parentID, to: caller, on: write.connection)
                try await parent.requireWritable(parentID, unit, caller, write.connection)
                let created = try await AttachmentRepository.explaining {
                    try await AttachmentRepository.insert(
                        on: parent, parentID, unit: unit, filename: filename, type: actual, bytes: bytes, sha256: digest,
                        uploadedBy: caller.tokenID, on: write.connection)
                }
                try await write.record("create", before: nil, after: created)
                return try StoredResponse.json(created, status: .created, headers: ["Location": created.location, "ETag": created.etag])
            }
        }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: AttachmentRepository.noun)
        let caller = try context.caller
        try QueryReader(request).finish()
        let attachment = try await pool.withSharedConnection { try await visible(id, caller: caller, on: $0) }
        return try Conditional.resource(attachment, etag: attachment.etag, request: request)
    }

    /// The bytes, streamed chunk by chunk, with the type and name they were stored with.
    @Sendable func content(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: AttachmentRepository.noun)
        let caller = try context.caller
        try QueryReader(request).finish()
        let (attachment, chunks) = try await pool.withSharedConnection { connection in
            let attachment = try await visible(id, caller: caller, on: connection)
            return (attachment, try await AttachmentRepository.chunkCount(of: id, on: connection))
        }
        // The bytes never change: their digest is a strong validator.
        let etag = "\"v1-sha256-\(attachment.sha256)\""
        if Conditional.notModified(request, etag: etag) { return Conditional.notModifiedResponse(etag: etag) }
        var headers = HTTPFields()
        headers[.contentType] = attachment.contentType
        headers[.contentDisposition] = ContentDisposition.attachment(filename: attachment.filename)
        headers[.eTag] = etag
        headers[.cacheControl] = "private, no-cache"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        let pool = self.pool
        let body = ResponseBody(contentLength: attachment.sizeBytes) { writer in
            for position in 0..<chunks {
                guard let bytes = try await pool.withSharedConnection({ try await AttachmentRepository.chunk(position, of: id, on: $0) }) else {
                    throw Problem.notFound(AttachmentRepository.noun)
                }
                try await writer.write(ByteBuffer(bytes: bytes))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: AttachmentRepository.noun)
        let caller = try context.caller
        try caller.requireWriter("delete attachments")
        return try await AuditedWrite.delete(
            AttachmentRepository.self, id, request: request, context: context, pool: pool,
            authorize: { current, write in
                let parent = self.parent(of: current)
                let unit = try await parent.requireVisible(current.parentId, to: caller, on: write.connection, as: AttachmentRepository.noun)
                try await parent.requireWritable(current.parentId, unit, caller, write.connection)
            })
    }
}
