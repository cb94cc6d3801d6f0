import Foundation
import PQ
import TTDNKit

/// One message of a thread between a unit and the Department office on a report, an
/// assignment or an activity. Edited and deleted messages keep their place and say so; a
/// deleted one keeps no text.
public struct Comment: Codable, Sendable, StoredResource {
    public var id: UUID
    /// `report`, `assignment` or `activity`.
    public var parentType: String
    public var parentId: UUID
    /// The unit of the parent when the thread was written to, for tokens bound to a unit.
    public var unitId: UUID?
    public var authorTokenId: UUID
    public var authorName: String
    public var authorRole: Role
    public var authorUnitId: UUID?
    public var body: String?
    public var createdAt: Date
    public var editedAt: Date?
    public var deletedAt: Date?
    public var version: Int

    package static let auditType = "comments"
    package static let collectionPath = "/v1/comments"
    public var etag: String { Conditional.etag(version: version) }

    /// The parent columns of `comments`; exactly one is set.
    static let parentColumns = ["report_id", "activity_id", "assignment_id"]

    static let columns = PQQuery(
        unescaped: """
            c.id, CASE \(parentColumns.map { "WHEN c.\($0) IS NOT NULL THEN '\($0.dropLast(3))'" }.joined(separator: " ")) END AS parent_type,
            coalesce(\(parentColumns.map { "c.\($0)" }.joined(separator: ", "))) AS parent_id, c.unit_id, c.author_token_id,
            c.author_name, c.author_role, c.author_unit_id, c.body, c.created_at, c.edited_at, c.deleted_at, c.version
            """)

    init(row: PQRow) throws {
        id = try row.decode("id")
        parentType = try row.decode("parent_type")
        parentId = try row.decode("parent_id")
        unitId = try row.decode("unit_id")
        authorTokenId = try row.decode("author_token_id")
        authorName = try row.decode("author_name")
        authorRole = try row.decode("author_role")
        authorUnitId = try row.decode("author_unit_id")
        body = try row.decode("body")
        createdAt = try row.decode("created_at")
        editedAt = try row.decode("edited_at")
        deletedAt = try row.decode("deleted_at")
        version = try row.decode("version")
    }
}

/// What a caller writes of a comment: its text.
struct CommentFields: Sendable, ResourceInput {
    static let requiredOnCreate = ["body"]
    static let readOnly = InputReader.readOnly.union([
        "parent_type", "parent_id", "unit_id", "author_token_id", "author_name", "author_role", "author_unit_id", "edited_at",
        "deleted_at",
    ])

    var body: Field<String> = .absent

    init(reading reader: inout InputReader) {
        body = reader.string("body", maxLength: 10000)
        reader.notNull("body", body)
    }
}
