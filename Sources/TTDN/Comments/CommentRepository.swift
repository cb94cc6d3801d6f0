import Foundation
import PQ
import TTDNKit

/// All the SQL of comment threads.
enum CommentRepository: ResourceRepository {
    static let noun = "the comment"

    static func find(_ id: UUID, forUpdate: Bool = false, on connection: PQConnection) async throws -> Comment? {
        let lock = PQQuery(unescaped: forUpdate ? " FOR UPDATE" : "")
        return try await connection.query("SELECT \(Comment.columns) FROM comments c WHERE c.id = \(id)\(lock)").first.map(Comment.init(row:))
    }

    /// A page of the thread on one parent, oldest first.
    static func thread(
        on parent: ParentResource, _ id: UUID, after cursor: [String]?, limit: Int, on connection: PQConnection
    ) async throws -> ([Comment], [String]?) {
        var after: PQQuery = ""
        if let cursor, cursor.count == 2, let at = PQTimestamp.parse(cursor[0]), let last = UUID(uuidString: cursor[1]) {
            after = "AND (c.created_at, c.id) > (\(at), \(last))"
        }
        let comments = try await connection.query(
            """
            SELECT \(Comment.columns) FROM comments c WHERE c.\(unescaped: parent.column) = \(id) \(after)
            ORDER BY c.created_at, c.id LIMIT \(limit + 1)
            """
        ).map(Comment.init(row:))
        return Pagination.cut(comments, limit: limit) { [PQTimestamp.format($0.createdAt), $0.id.text] }
    }

    static func insert(
        on parent: ParentResource, _ parentID: UUID, unit: UUID?, body: String, author: Principal, on connection: PQConnection
    )
        async throws -> Comment
    {
        let id: UUID = try await connection.query(
            """
            INSERT INTO comments (\(unescaped: parent.column), unit_id, author_token_id, author_name, author_role, author_unit_id, body)
            VALUES (\(parentID), \(unit), \(author.tokenID), \(author.name), \(author.role)::token_role, \(author.unitID), \(body))
            RETURNING id
            """)[0].decode("id")
        return try await find(id, on: connection)!
    }

    static func edit(_ id: UUID, body: String, on connection: PQConnection) async throws -> Comment {
        _ = try await connection.query("UPDATE comments SET body = \(body), edited_at = now(), version = version + 1 WHERE id = \(id)")
        return try await find(id, on: connection)!
    }

    /// The comment keeps its place in the thread, marked deleted, without its text.
    static func markDeleted(_ id: UUID, on connection: PQConnection) async throws -> Comment {
        _ = try await connection.query("UPDATE comments SET body = NULL, deleted_at = now(), version = version + 1 WHERE id = \(id)")
        return try await find(id, on: connection)!
    }
}
