import Foundation
import PQ
import TTDNKit

/// One entry of a unit's inbox: a reminder, a returned report with the office's comment, a new
/// assignment, a message from the Department. Read by the unit (one mark for the unit).
public struct Notification: Encodable, Sendable {
    public var id: UUID
    public var eventId: UUID
    /// Null: for every unit.
    public var unitId: UUID?
    public var type: String
    public var title: String
    public var body: String?
    public var resourceType: String?
    public var resourceId: String?
    public var createdAt: Date
    public var readAt: Date?
    public var readBy: UUID?

    static let columns = PQQuery(
        unescaped: "n.id, n.event_id, n.unit_id, n.type, n.title, n.body, n.resource_type, n.resource_id, n.created_at, n.read_at, n.read_by")

    init(row: PQRow) throws {
        id = try row.decode("id")
        eventId = try row.decode("event_id")
        unitId = try row.decode("unit_id")
        type = try row.decode("type")
        title = try row.decode("title")
        body = try row.decode("body")
        resourceType = try row.decode("resource_type")
        resourceId = try row.decode("resource_id")
        createdAt = try row.decode("created_at")
        readAt = try row.decode("read_at")
        readBy = try row.decode("read_by")
    }
}

/// What the Department office sent to units ("please send the H1 report"): to one unit, to
/// every unit of a kind, or to every unit below a parent.
public struct Message: Codable, Sendable, StoredResource {
    public var id: UUID
    public var title: String
    public var body: String
    public var unitId: UUID?
    public var unitKind: String?
    public var parentId: UUID?
    public var recipients: [UUID]
    public var sentBy: UUID?
    public var createdAt: Date
    public var version: Int

    package static let auditType = "messages"
    package static let collectionPath = "/v1/messages"
    public var etag: String { Conditional.etag(version: version) }

    static let columns = PQQuery(
        unescaped: "m.id, m.title, m.body, m.unit_id, m.unit_kind::text AS unit_kind, m.parent_id, m.recipients, m.sent_by, m.created_at, m.version")

    init(row: PQRow) throws {
        id = try row.decode("id")
        title = try row.decode("title")
        body = try row.decode("body")
        unitId = try row.decode("unit_id")
        unitKind = try row.decode("unit_kind")
        parentId = try row.decode("parent_id")
        recipients = try row.decode("recipients")
        sentBy = try row.decode("sent_by")
        createdAt = try row.decode("created_at")
        version = try row.decode("version")
    }
}

/// A new message: its text and exactly one audience.
struct MessageFields: Sendable, ResourceInput {
    static let requiredOnCreate = ["title", "body"]

    var title: Field<String> = .absent
    var body: Field<String> = .absent
    var unitID: Field<UUID> = .absent
    var unitKind: Field<String> = .absent
    var parentID: Field<UUID> = .absent

    init(reading reader: inout InputReader) {
        title = reader.string("title", maxLength: 300)
        body = reader.string("body", maxLength: 20000)
        unitID = reader.uuid("unit_id")
        unitKind = reader.string("unit_kind", maxLength: 40)
        parentID = reader.uuid("parent_id")
        if [unitID.value != nil, unitKind.value != nil, parentID.value != nil].filter({ $0 }).count != 1 {
            reader.fail("unit_id", "name exactly one audience: unit_id, unit_kind or parent_id")
        }
    }
}
