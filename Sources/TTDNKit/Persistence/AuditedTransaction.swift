import Foundation
import PQ

/// What a write records: the resource, the action and its representation before and after.
public struct AuditEntry: Sendable {
    public let resourceType: String
    public let resourceID: String
    public let action: String
    public let before: Data?
    public let after: Data?

    public init<B: Encodable, A: Encodable>(_ resourceType: String, id: String, action: String, before: B?, after: A?) throws {
        self.init(
            resourceType, id: id, action: action, beforeJSON: try before.map { try JSONOutput.data($0) },
            afterJSON: try after.map { try JSONOutput.data($0) })
    }

    /// An entry of representations already written by `JSONOutput.data` (a created resource's
    /// answer is the same bytes as its audit row's `after`).
    public init(_ resourceType: String, id: String, action: String, beforeJSON: Data?, afterJSON: Data?) {
        self.resourceType = resourceType
        self.resourceID = id
        self.action = action
        self.before = beforeJSON
        self.after = afterJSON
    }
}

/// A write transaction: the connection, who is writing, and the audit trail it leaves.
/// Every audit row is written in the same transaction as the change it records.
public struct Write: Sendable {
    public let connection: PQConnection
    public let principal: Principal?
    public let requestID: String

    public init(connection: PQConnection, principal: Principal?, requestID: String) {
        self.connection = connection
        self.principal = principal
        self.requestID = requestID
    }

    public func query(_ query: PQQuery) async throws -> PQRows { try await connection.query(query) }

    /// Queues the audit row to go out with the transaction's next statement (at the latest its
    /// COMMIT): it returns nothing anyone reads, so it costs no round trip of its own.
    public func audit(_ entry: AuditEntry) async throws {
        let before = entry.before.map { String(decoding: $0, as: UTF8.self) }
        let after = entry.after.map { String(decoding: $0, as: UTF8.self) }
        try connection.sendWithNext(
            """
            INSERT INTO audit_events (actor_token_id, actor_role, actor_unit_id, resource_type, resource_id,
                                      action, changed_fields, before, after, request_id)
            SELECT \(principal?.tokenID), \(principal?.role.rawValue)::token_role, \(principal?.unitID),
                   \(entry.resourceType), \(entry.resourceID), \(entry.action),
                   coalesce((SELECT array_agg(key ORDER BY key)
                             FROM jsonb_each(\(after)::jsonb) a FULL JOIN jsonb_each(\(before)::jsonb) b USING (key)
                             WHERE a.value IS DISTINCT FROM b.value), '{}'),
                   \(before)::jsonb, \(after)::jsonb, \(requestID)
            """)
    }
}

extension AppRequestContext {
    /// Runs `body` in a transaction that records audit rows for this caller.
    public func write<T>(_ pool: PQPool, _ body: (Write) async throws -> T) async throws -> T {
        let principal = self.principal
        let requestID = self.requestID
        return try await pool.withTransaction { connection in
            try await body(Write(connection: connection, principal: principal, requestID: requestID))
        }
    }
}
