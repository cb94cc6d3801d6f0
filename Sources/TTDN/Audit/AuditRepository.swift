import Foundation
import PQ
import TTDNKit

/// Filters of `GET /v1/audit-events`; dates are Hai Phong days, both inclusive.
struct AuditFilter: Sendable {
    var resourceType: String?
    var resourceID: String?
    var actor: UUID?
    var from: CalendarDate?
    var to: CalendarDate?
}

/// All the SQL that reads the audit log and the change feed (rows are written by `Write.audit`).
enum AuditRepository {
    static func list(_ f: AuditFilter, after cursor: [String]?, limit: Int, on connection: PQConnection) async throws -> ([AuditEvent], [String]?) {
        var conditions: [PQQuery] = ["true"]
        if let v = f.resourceType { conditions.append("resource_type = \(v)") }
        if let v = f.resourceID { conditions.append("resource_id = \(v)") }
        if let v = f.actor { conditions.append("actor_token_id = \(v)") }
        if let v = f.from { conditions.append("occurred_at >= (\(v)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')") }
        if let v = f.to { conditions.append("occurred_at < ((\(v)::date + 1)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')") }
        if let last = cursor?.first.flatMap(Int.init) { conditions.append("id > \(last)") }
        let events = try await connection.query(
            """
            SELECT \(AuditEvent.columns) FROM audit_events WHERE \(PQQuery.joined(conditions, separator: " AND ")) ORDER BY id LIMIT \(limit + 1)
            """
        ).map(AuditEvent.init(row:))
        return Pagination.cut(events, limit: limit) { [String($0.id)] }
    }

    /// Numbers what has committed since the last reader (`ttdn_number_changes`, migration 0009),
    /// then reads up to `limit` changes of `types` past `after`. Also returns the last number given.
    /// `scoped`: types of which only changes of records of `root`'s unit tree are read (nil root: all).
    static func changes(
        after: Int, types: [String], scoped: [String] = [], within root: UUID? = nil, limit: Int, on connection: PQConnection
    ) async throws -> (numbered: Int, changes: [Change]) {
        let scope: PQQuery
        if let root, !scoped.isEmpty {
            scope = """
                AND (l.resource_type <> ALL(\(scoped)) OR coalesce(a.after->>'unit_id', a.before->>'unit_id')::uuid IN (
                    WITH RECURSIVE below(id) AS (SELECT \(root)::uuid UNION SELECT u.id FROM units u JOIN below b ON u.parent_id = b.id)
                    SELECT id FROM below))
                """
        } else {
            scope = ""
        }
        let numbered = try await connection.query("SELECT ttdn_number_changes() AS last")[0].decode("last", as: Int.self)
        let changes = try await connection.query(
            """
            SELECT l.sequence, a.resource_type, a.resource_id, a.action, a.occurred_at, a.after::text AS after
            FROM change_log l JOIN audit_events a ON a.id = l.audit_event_id
            WHERE l.sequence > \(after) AND l.resource_type = ANY(\(types)) \(scope)
            ORDER BY l.sequence
            LIMIT \(limit)
            """
        ).map { row in
            let action: String = try row.decode("action")
            return Change(
                sequence: try row.decode("sequence"), resourceType: try row.decode("resource_type"),
                resourceId: try row.decode("resource_id"), action: action, occurredAt: try row.decode("occurred_at"),
                deleted: action == "delete", resource: try row.decode("after", as: String?.self).map(RawJSON.init))
        }
        return (numbered, changes)
    }
}
