import Foundation
import PQ
import TTDNKit

/// Filters of `GET /v1/notifications`.
struct NotificationFilter: Sendable {
    /// Only this unit's inbox (with what is for every unit); nil: every inbox (admins).
    var unitID: UUID?
    var unread: Bool?
    var type: String?
}

/// All the SQL of the units' inboxes.
enum NotificationRepository {
    static func find(_ id: UUID, on connection: PQConnection) async throws -> Notification? {
        try await connection.query("SELECT \(Notification.columns) FROM notifications n WHERE n.id = \(id)").first.map(Notification.init(row:))
    }

    /// Newest first.
    static func list(
        _ f: NotificationFilter, after cursor: [String]?, limit: Int, on connection: PQConnection
    ) async throws -> ([Notification], [String]?) {
        var conditions: [PQQuery] = ["true"]
        if let v = f.unitID { conditions.append("(n.unit_id = \(v) OR n.unit_id IS NULL)") }
        if let v = f.unread { conditions.append(v ? "n.read_at IS NULL" : "n.read_at IS NOT NULL") }
        if let v = f.type { conditions.append("n.type = \(v)") }
        if let cursor, cursor.count == 2, let at = PQTimestamp.parse(cursor[0]), let id = UUID(uuidString: cursor[1]) {
            conditions.append("(n.created_at, n.id) < (\(at), \(id))")
        }
        let rows = try await connection.query(
            """
            SELECT \(Notification.columns) FROM notifications n WHERE \(PQQuery.joined(conditions, separator: " AND "))
            ORDER BY n.created_at DESC, n.id DESC LIMIT \(limit + 1)
            """
        ).map(Notification.init(row:))
        return Pagination.cut(rows, limit: limit) { [PQTimestamp.format($0.createdAt), $0.id.text] }
    }

    static func mark(_ id: UUID, read: Bool, by token: UUID, on connection: PQConnection) async throws -> Notification? {
        _ = try await connection.query(
            """
            UPDATE notifications SET read_at = CASE WHEN \(read) THEN coalesce(read_at, now()) END,
                read_by = CASE WHEN \(read) THEN coalesce(read_by, \(token)) END, version = version + 1
            WHERE id = \(id)
            """)
        return try await find(id, on: connection)
    }
}

/// All the SQL of the office's messages to units.
enum MessageRepository: ResourceRepository {
    static let noun = "the message"

    static func find(_ id: UUID, forUpdate: Bool = false, on connection: PQConnection) async throws -> Message? {
        try await connection.query("SELECT \(Message.columns) FROM messages m WHERE m.id = \(id)").first.map(Message.init(row:))
    }

    static func isUnitKind(_ kind: String, on connection: PQConnection) async throws -> Bool {
        try await connection.query("SELECT \(kind) = ANY (enum_range(NULL::unit_kind)::text[]) AS known")[0].decode("known")
    }

    /// The message, its recipients (units existing on `day`), and one `message.sent` event per recipient.
    static func send(_ f: MessageFields, on day: CalendarDate, sentBy: UUID?, on connection: PQConnection) async throws -> Message {
        let id: UUID = try await connection.query(
            """
            WITH audience AS (
                SELECT u.id FROM units u
                WHERE (u.valid_from IS NULL OR u.valid_from <= \(day)::date) AND (u.valid_to IS NULL OR u.valid_to >= \(day)::date)
                  AND (u.id = \(f.unitID.value)
                       OR u.kind::text = \(f.unitKind.value)
                       OR (u.id <> \(f.parentID.value) AND u.id IN (SELECT ttdn_unit_subtree(\(f.parentID.value)))))
            )
            INSERT INTO messages (title, body, unit_id, unit_kind, parent_id, recipients, sent_by)
            SELECT \(f.title.value), \(f.body.value), \(f.unitID.value), \(f.unitKind.value)::unit_kind, \(f.parentID.value),
                   coalesce((SELECT array_agg(id ORDER BY id) FROM audience), '{}'), \(sentBy)
            RETURNING id
            """)[0].decode("id")
        _ = try await connection.query(
            """
            INSERT INTO outbox_events (type, resource_type, resource_id, unit_id, data, occasion)
            SELECT 'message.sent', 'messages', m.id::text, r.unit,
                   jsonb_build_object('title', m.title, 'body', m.body, 'message_id', m.id, 'unit_id', r.unit),
                   'message.sent:' || m.id || ':' || r.unit
            FROM messages m CROSS JOIN LATERAL unnest(m.recipients) AS r(unit) WHERE m.id = \(id)
            """)
        return try await find(id, on: connection)!
    }

    static func explain(_ error: PQError) -> FieldError? {
        switch error.constraint {
        case "messages_unit_fkey": return FieldError("unit_id", "does not name an existing unit")
        case "messages_parent_fkey": return FieldError("parent_id", "does not name an existing unit")
        default: return nil
        }
    }
}
