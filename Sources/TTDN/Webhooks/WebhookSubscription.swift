import Foundation
import PQ
import TTDNKit

/// A system that wants to be told: where to deliver, which events, of which units. Its secret
/// signs the deliveries and is shown once, when it is created.
public struct WebhookSubscription: Codable, Sendable, StoredResource {
    public var id: UUID
    public var url: String
    public var description: String?
    public var eventTypes: [String]
    public var unitId: UUID?
    public var active: Bool
    public var disabledReason: String?
    public var consecutiveFailures: Int
    public var createdAt: Date
    public var updatedAt: Date
    public var version: Int

    package static let auditType = "webhook_subscriptions"
    package static let collectionPath = "/v1/webhook-subscriptions"
    public var etag: String { Conditional.etag(version: version) }

    static let columns = PQQuery(
        unescaped: """
            s.id, s.url, s.description, s.event_types, s.unit_id, s.active, s.disabled_reason, s.consecutive_failures,
            s.created_at, s.updated_at, s.version
            """)

    init(row: PQRow) throws {
        id = try row.decode("id")
        url = try row.decode("url")
        description = try row.decode("description")
        eventTypes = try row.decode("event_types")
        unitId = try row.decode("unit_id")
        active = try row.decode("active")
        disabledReason = try row.decode("disabled_reason")
        consecutiveFailures = try row.decode("consecutive_failures")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
        version = try row.decode("version")
    }
}

/// One event's delivery to one subscription, with its attempts so far.
public struct WebhookDelivery: Codable, Sendable {
    public var id: UUID
    public var subscriptionId: UUID
    public var eventId: UUID
    public var eventType: String
    public var status: String
    public var attempts: Int
    public var nextAttemptAt: Date?
    public var lastStatus: Int?
    public var lastError: String?
    public var lastLatencyMs: Int?
    public var createdAt: Date
    public var deliveredAt: Date?

    static let columns = PQQuery(
        unescaped: """
            d.id, d.subscription_id, d.event_id, e.type AS event_type, d.status::text AS status, d.attempts,
            d.next_attempt_at, d.last_status, d.last_error, d.last_latency_ms, d.created_at, d.delivered_at
            """)

    init(row: PQRow) throws {
        id = try row.decode("id")
        subscriptionId = try row.decode("subscription_id")
        eventId = try row.decode("event_id")
        eventType = try row.decode("event_type")
        status = try row.decode("status")
        attempts = try row.decode("attempts")
        nextAttemptAt = try row.decode("next_attempt_at")
        lastStatus = try row.decode("last_status")
        lastError = try row.decode("last_error")
        lastLatencyMs = try row.decode("last_latency_ms")
        createdAt = try row.decode("created_at")
        deliveredAt = try row.decode("delivered_at")
    }
}

/// The writable fields of a subscription.
struct WebhookSubscriptionFields: Sendable, ResourceInput {
    static let requiredOnCreate = ["url"]
    static let readOnly = InputReader.readOnly.union(["secret", "disabled_reason", "consecutive_failures"])

    var url: Field<String> = .absent
    var description: Field<String> = .absent
    var eventTypes: Field<[String]> = .absent
    var unitID: Field<UUID> = .absent
    var active: Field<Bool> = .absent

    init(reading reader: inout InputReader) {
        url = reader.url("url")
        description = reader.string("description", maxLength: 500)
        eventTypes = reader.stringArray("event_types", maxCount: 100, maxLength: 100)
        if let types = eventTypes.value,
            let wrong = types.first(where: { $0.range(of: "^[a-z_]+\\.([a-z_]+|\\*)$", options: .regularExpression) == nil })
        {
            reader.fail("event_types", "every item must be an event type such as report.submitted, or a family such as report.*; \(wrong) is not")
        }
        unitID = reader.uuid("unit_id")
        active = reader.bool("active")
        for (key, isNull) in [("url", url.isNull), ("active", active.isNull)] where isNull { reader.fail(key, "must not be null") }
    }
}
