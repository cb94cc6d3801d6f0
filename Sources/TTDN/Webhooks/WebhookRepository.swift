import Foundation
import PQ
import TTDNKit

/// An event claimed for delivery to one subscription: what to send, where, with which key.
struct ClaimedDelivery: Sendable {
    let id: UUID
    let attempt: Int
    let createdAt: Date
    let url: String
    let secret: String
    let subscriptionID: UUID
    let eventID: UUID
    let eventType: String
    let occurredAt: Date
    /// The body: `{"id","type","timestamp","data"}`, built by PostgreSQL from the stored event.
    let payload: String
}

/// All the SQL of webhook subscriptions and their deliveries.
enum WebhookRepository: DeletableRepository {
    static let noun = "the webhook subscription"

    static func find(_ id: UUID, forUpdate: Bool = false, on connection: PQConnection) async throws -> WebhookSubscription? {
        let lock = PQQuery(unescaped: forUpdate ? " FOR UPDATE" : "")
        return try await connection.query("SELECT \(WebhookSubscription.columns) FROM webhook_subscriptions s WHERE s.id = \(id)\(lock)")
            .first.map(WebhookSubscription.init(row:))
    }

    static func list(after cursor: [String]?, limit: Int, on connection: PQConnection) async throws -> ([WebhookSubscription], [String]?) {
        var after: PQQuery = ""
        if let cursor, cursor.count == 2, let at = PQTimestamp.parse(cursor[0]), let id = UUID(uuidString: cursor[1]) {
            after = "WHERE (s.created_at, s.id) > (\(at), \(id))"
        }
        let rows = try await connection.query(
            "SELECT \(WebhookSubscription.columns) FROM webhook_subscriptions s \(after) ORDER BY s.created_at, s.id LIMIT \(limit + 1)"
        ).map(WebhookSubscription.init(row:))
        return Pagination.cut(rows, limit: limit) { [PQTimestamp.format($0.createdAt), $0.id.text] }
    }

    static func insert(_ f: WebhookSubscriptionFields, secret: String, on connection: PQConnection) async throws -> WebhookSubscription {
        let id: UUID = try await connection.query(
            """
            INSERT INTO webhook_subscriptions (url, description, event_types, unit_id, secret, active)
            VALUES (\(f.url.value), \(f.description.value), \(Array(Set(f.eventTypes.value ?? [])).sorted()), \(f.unitID.value),
                    \(secret), \(f.active.value ?? true))
            RETURNING id
            """)[0].decode("id")
        return try await find(id, on: connection)!
    }

    /// A merge patch; turning a subscription back on clears its failures.
    static func update(
        _ current: WebhookSubscription, with f: WebhookSubscriptionFields, on connection: PQConnection
    ) async throws
        -> WebhookSubscription
    {
        let active = f.active.merged(into: current.active) ?? current.active
        let reenabled = active && !current.active
        _ = try await connection.query(
            """
            UPDATE webhook_subscriptions s SET url = \(f.url.merged(into: current.url)), description = \(f.description.merged(into: current.description)),
                event_types = \(f.eventTypes.isAbsent ? current.eventTypes : Array(Set(f.eventTypes.value ?? [])).sorted()),
                unit_id = \(f.unitID.merged(into: current.unitId)), active = \(active),
                disabled_reason = CASE WHEN \(active) THEN NULL ELSE coalesce(s.disabled_reason, 'disabled by an admin') END,
                consecutive_failures = CASE WHEN \(reenabled) THEN 0 ELSE s.consecutive_failures END,
                updated_at = now(), version = s.version + 1
            WHERE s.id = \(current.id)
            """)
        return try await find(current.id, on: connection)!
    }

    static func delete(_ id: UUID, on connection: PQConnection) async throws {
        _ = try await connection.query("DELETE FROM webhook_subscriptions WHERE id = \(id)")
    }

    static func explain(_ error: PQError) -> FieldError? {
        switch error.constraint {
        case "webhook_subscriptions_url": return FieldError("url", "must be an absolute http or https URL of at most 2000 characters")
        case "webhook_subscriptions_unit_fkey": return FieldError("unit_id", "does not name an existing unit")
        default: return nil
        }
    }

    // MARK: - Deliveries

    static func deliveries(
        of subscription: UUID, status: String?, after cursor: [String]?, limit: Int, on connection: PQConnection
    ) async throws -> ([WebhookDelivery], [String]?) {
        var conditions: [PQQuery] = ["d.subscription_id = \(subscription)"]
        if let status { conditions.append("d.status = \(status)::webhook_delivery_status") }
        if let cursor, cursor.count == 2, let at = PQTimestamp.parse(cursor[0]), let id = UUID(uuidString: cursor[1]) {
            conditions.append("(d.created_at, d.id) < (\(at), \(id))")
        }
        let rows = try await connection.query(
            """
            SELECT \(WebhookDelivery.columns) FROM webhook_deliveries d JOIN outbox_events e ON e.id = d.event_id
            WHERE \(PQQuery.joined(conditions, separator: " AND ")) ORDER BY d.created_at DESC, d.id DESC LIMIT \(limit + 1)
            """
        ).map(WebhookDelivery.init(row:))
        return Pagination.cut(rows, limit: limit) { [PQTimestamp.format($0.createdAt), $0.id.text] }
    }

    /// Sends a delivery again as soon as a worker is free, whatever became of it.
    static func redeliver(_ delivery: UUID, of subscription: UUID, on connection: PQConnection) async throws -> WebhookDelivery? {
        let rows = try await connection.query(
            """
            UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), leased_until = NULL
            WHERE id = \(delivery) AND subscription_id = \(subscription) RETURNING id
            """)
        guard !rows.isEmpty else { return nil }
        return try await connection.query(
            "SELECT \(WebhookDelivery.columns) FROM webhook_deliveries d JOIN outbox_events e ON e.id = d.event_id WHERE d.id = \(delivery)"
        ).first.map(WebhookDelivery.init(row:))
    }

    /// Takes up to `limit` due deliveries of active subscriptions for `lease`; rows another process
    /// holds are skipped (`SKIP LOCKED`), and a lease that ran out (a process that died) is taken over.
    static func claim(limit: Int, lease: Duration, on connection: PQConnection) async throws -> [ClaimedDelivery] {
        let seconds = Double(lease.components.seconds) + Double(lease.components.attoseconds) / 1e18
        return try await connection.query(
            """
            WITH due AS (
                SELECT d.id FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
                WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND (d.leased_until IS NULL OR d.leased_until < now()) AND s.active
                ORDER BY d.next_attempt_at LIMIT \(limit)
                FOR UPDATE OF d SKIP LOCKED
            )
            UPDATE webhook_deliveries d SET leased_until = clock_timestamp() + make_interval(secs => \(seconds)), attempts = d.attempts + 1
            FROM due, webhook_subscriptions s, outbox_events e
            WHERE d.id = due.id AND s.id = d.subscription_id AND e.id = d.event_id
            RETURNING d.id, d.attempts, d.created_at, s.url, s.secret, s.id AS subscription_id, e.id AS event_id, e.type, e.occurred_at,
                jsonb_build_object('id', e.id, 'type', e.type,
                                   'timestamp', to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                                   'resource_type', e.resource_type, 'resource_id', e.resource_id, 'unit_id', e.unit_id,
                                   'data', e.data)::text AS payload
            """
        ).map { row in
            ClaimedDelivery(
                id: try row.decode("id"), attempt: try row.decode("attempts"), createdAt: try row.decode("created_at"),
                url: try row.decode("url"), secret: try row.decode("secret"), subscriptionID: try row.decode("subscription_id"),
                eventID: try row.decode("event_id"), eventType: try row.decode("type"), occurredAt: try row.decode("occurred_at"),
                payload: try row.decode("payload"))
        }
    }

    /// What one attempt gave: done, or the next try (nil: given up), and the subscription's run of
    /// failures, which turns it off at `disableAfter`.
    static func record(
        _ delivery: ClaimedDelivery, status: Int?, error: String?, latencyMs: Int, startedAt: Date, nextAttempt: Date?,
        disableAfter: Int, on connection: PQConnection
    ) async throws {
        let succeeded = status.map { (200..<300).contains($0) } ?? false
        _ = try await connection.query(
            """
            WITH attempt AS (
                INSERT INTO webhook_attempts (delivery_id, attempt, started_at, status, latency_ms, error)
                VALUES (\(delivery.id), \(delivery.attempt), \(startedAt), \(status), \(latencyMs), \(error))
                ON CONFLICT DO NOTHING
            ), delivery AS (
                UPDATE webhook_deliveries SET leased_until = NULL, last_status = \(status), last_error = \(error),
                    last_latency_ms = \(latencyMs),
                    status = CASE WHEN \(succeeded) THEN 'succeeded' WHEN \(nextAttempt) IS NULL THEN 'failed' ELSE 'pending' END::webhook_delivery_status,
                    delivered_at = CASE WHEN \(succeeded) THEN now() ELSE delivered_at END,
                    next_attempt_at = CASE WHEN \(succeeded) THEN NULL ELSE \(nextAttempt) END
                WHERE id = \(delivery.id)
            )
            UPDATE webhook_subscriptions SET
                consecutive_failures = CASE WHEN \(succeeded) THEN 0 ELSE consecutive_failures + 1 END,
                active = active AND (\(succeeded) OR consecutive_failures + 1 < \(disableAfter)),
                disabled_reason = CASE WHEN active AND NOT \(succeeded) AND consecutive_failures + 1 >= \(disableAfter)
                                       THEN 'disabled after ' || (consecutive_failures + 1) || ' failed deliveries in a row' ELSE disabled_reason END
            WHERE id = \(delivery.subscriptionID)
            """)
    }
}
