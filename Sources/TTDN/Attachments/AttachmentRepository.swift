import Foundation
import PQ
import TTDNKit

/// All the SQL of evidence files: their rows and their bytes, chunk by chunk.
enum AttachmentRepository: DeletableRepository {
    static let noun = "the attachment"
    /// Bytes are stored and streamed in chunks of this size.
    static let chunkSize = 1 << 20

    static func find(_ id: UUID, forUpdate: Bool = false, on connection: PQConnection) async throws -> Attachment? {
        let lock = PQQuery(unescaped: forUpdate ? " FOR UPDATE" : "")
        return try await connection.query("SELECT \(Attachment.columns) FROM attachments f WHERE f.id = \(id)\(lock)").first.map(
            Attachment.init(row:))
    }

    /// The files on one parent, oldest first.
    static func list(on parent: ParentResource, _ id: UUID, on connection: PQConnection) async throws -> [Attachment] {
        try await connection.query(
            """
            SELECT \(Attachment.columns) FROM attachments f WHERE f.\(unescaped: parent.column) = \(id)
            ORDER BY f.created_at, f.id
            """
        ).map(Attachment.init(row:))
    }

    /// The file's row and its bytes; the caller's transaction makes the two one.
    static func insert(
        on parent: ParentResource, _ parentID: UUID, unit: UUID?, filename: String, type: EvidenceType, bytes: [UInt8], sha256: String,
        uploadedBy: UUID?, on connection: PQConnection
    ) async throws -> Attachment {
        let id: UUID = try await connection.query(
            """
            INSERT INTO attachments (\(unescaped: parent.column), unit_id, filename, content_type, size_bytes, sha256, uploaded_by)
            VALUES (\(parentID), \(unit), \(filename), \(type.rawValue), \(bytes.count), \(sha256), \(uploadedBy))
            RETURNING id
            """)[0].decode("id")
        var position = 0
        for start in stride(from: 0, to: bytes.count, by: chunkSize) {
            let chunk = PQBytea(Array(bytes[start..<min(start + chunkSize, bytes.count)]))
            _ = try await connection.query("INSERT INTO attachment_chunks (attachment_id, position, data) VALUES (\(id), \(position), \(chunk))")
            position += 1
        }
        return try await find(id, on: connection)!
    }

    /// How many chunks hold the file's bytes.
    static func chunkCount(of id: UUID, on connection: PQConnection) async throws -> Int {
        try await connection.query("SELECT count(*)::bigint AS n FROM attachment_chunks WHERE attachment_id = \(id)")[0].decode("n")
    }

    /// One chunk, or nil when the file was deleted meanwhile.
    static func chunk(_ position: Int, of id: UUID, on connection: PQConnection) async throws -> [UInt8]? {
        let rows = try await connection.query(
            "SELECT data FROM attachment_chunks WHERE attachment_id = \(id) AND position = \(position)")
        return try rows.first.map { try $0.decode("data", as: PQBytea.self).bytes }
    }

    static func delete(_ id: UUID, on connection: PQConnection) async throws {
        _ = try await connection.query("DELETE FROM attachments WHERE id = \(id)")
    }

    static func explain(_ error: PQError) -> FieldError? {
        switch error.constraint {
        case "attachments_filename_check":
            return FieldError("Content-Disposition", "the filename must be 1 to 255 characters without / \\ or control characters")
        default: return nil
        }
    }
}
