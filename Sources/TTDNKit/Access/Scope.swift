import Foundation
import PQ

/// Unit-subtree questions that access rules ask.
package enum Scope {
    /// True when `unit` is `root` or lies below it.
    package static func unit(_ unit: UUID, isWithin root: UUID, on connection: PQConnection) async throws -> Bool {
        if unit == root { return true }
        let rows = try await connection.query(
            """
            WITH RECURSIVE up(id, parent_id, depth) AS (
                SELECT id, parent_id, 0 FROM units WHERE id = \(unit)
                UNION
                SELECT u.id, u.parent_id, up.depth + 1 FROM units u JOIN up ON u.id = up.parent_id WHERE up.depth < 50
            )
            SELECT EXISTS (SELECT 1 FROM up WHERE id = \(root)) AS within
            """)
        return try rows[0].decode("within", as: Bool.self)
    }
}
