import Crypto
import Foundation
import Logging
import PQ
import ServiceLifecycle
import TTDNKit

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// How deliveries are made and retried.
public struct WebhookSettings: Sendable {
    /// How often an idle worker looks for due deliveries.
    public var pollInterval: Duration = .seconds(1)
    /// Deliveries in flight at once, per process.
    public var maxConcurrent = 4
    /// One attempt's time limit (connect, send, answer).
    public var attemptTimeout: Duration = .seconds(10)
    /// The first retry waits this long, each next one twice as long (±20 %), at most `retryMax`.
    public var retryBase: Duration = .seconds(30)
    public var retryMax: Duration = .seconds(3600)
    /// Retries stop this long after the event (at least 24 hours).
    public var retryWindow: Duration = .seconds(26 * 3600)
    /// Failed attempts in a row after which a subscription is turned off.
    public var disableAfter = 100

    public init() {}
}

/// Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 of
/// `<webhook-id>.<webhook-timestamp>.<body>` with the secret's bytes (base64 after `whsec_`).
enum WebhookSignature {
    static func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return "whsec_" + Data(bytes).base64EncodedString()
    }

    static func sign(secret: String, id: String, timestamp: Int, body: String) -> String {
        let key = SymmetricKey(data: Data(base64Encoded: String(secret.dropFirst("whsec_".count))) ?? Data(secret.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(id).\(timestamp).\(body)".utf8), using: key)
        return "v1," + Data(mac).base64EncodedString()
    }
}

/// Delivers the outbox's events to their subscriptions: a service of the server's service
/// group. Several processes share the work: a delivery is claimed with `FOR UPDATE SKIP LOCKED`
/// and a lease, so in normal operation each is sent once; a process that dies mid-attempt leaves
/// a lease that runs out and another process sends it again (at-least-once: receivers
/// deduplicate by `webhook-id`). On shutdown it stops claiming and lets attempts in flight end.
public struct WebhookDeliveryService: Service {
    let pool: PQPool
    let settings: WebhookSettings
    let logger: Logger

    public init(pool: PQPool, settings: WebhookSettings, logger: Logger) {
        self.pool = pool
        self.settings = settings
        self.logger = logger
    }

    public func run() async throws {
        let session = URLSession(configuration: .ephemeral)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let lease = settings.attemptTimeout * 2 + .seconds(5)
            let claimed: [ClaimedDelivery]
            do {
                claimed = try await pool.withConnection { try await WebhookRepository.claim(limit: settings.maxConcurrent, lease: lease, on: $0) }
            } catch {
                logger.debug("webhook deliveries not claimed", metadata: ["error": .string("\(error)")])
                claimed = []
            }
            if claimed.isEmpty {
                try? await Task.sleep(for: settings.pollInterval)
                continue
            }
            await withTaskGroup(of: Void.self) { group in
                for delivery in claimed { group.addTask { await attempt(delivery, session: session) } }
            }
        }
    }

    /// One attempt, then its result recorded; never throws.
    func attempt(_ delivery: ClaimedDelivery, session: URLSession) async {
        let startedAt = Date()
        let clock = ContinuousClock.now
        let (status, error) = await send(delivery, session: session)
        let latency = Int((ContinuousClock.now - clock) / .milliseconds(1))
        let succeeded = status.map { (200..<300).contains($0) } ?? false
        let next = succeeded ? nil : nextAttempt(after: delivery.attempt, firstAt: delivery.createdAt)
        do {
            try await pool.withConnection { connection in
                try await WebhookRepository.record(
                    delivery, status: status, error: error, latencyMs: latency, startedAt: startedAt, nextAttempt: next,
                    disableAfter: settings.disableAfter, on: connection)
            }
        } catch {
            // The lease runs out and the delivery is tried again: at least once.
            logger.warning("webhook attempt not recorded", metadata: ["delivery": .string(delivery.id.text), "error": .string("\(error)")])
        }
        logger.debug(
            "webhook attempt",
            metadata: [
                "delivery": .string(delivery.id.text), "type": .string(delivery.eventType), "status": .string(status.map(String.init) ?? "none"),
                "latency_ms": .stringConvertible(latency),
            ])
    }

    /// When to try again after `attempt` failures: exponential, with jitter, within the window.
    func nextAttempt(after attempt: Int, firstAt: Date) -> Date? {
        let base = Double(settings.retryBase.components.seconds) + Double(settings.retryBase.components.attoseconds) / 1e18
        let cap = Double(settings.retryMax.components.seconds)
        let delay = min(base * pow(2, Double(max(0, attempt - 1))), cap) * Double.random(in: 0.8...1.2)
        let next = Date().addingTimeInterval(delay)
        let window = Double(settings.retryWindow.components.seconds)
        return next.timeIntervalSince(firstAt) <= window ? next : nil
    }

    /// The POST, signed; its status or why there is none.
    func send(_ delivery: ClaimedDelivery, session: URLSession) async -> (Int?, String?) {
        guard let url = URL(string: delivery.url) else { return (nil, "the URL is not valid") }
        let timestamp = Int(Date().timeIntervalSince1970)
        let id = delivery.eventID.text
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.timeoutInterval = Double(settings.attemptTimeout.components.seconds) + Double(settings.attemptTimeout.components.attoseconds) / 1e18
        request.httpBody = Data(delivery.payload.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("ttdn-webhooks", forHTTPHeaderField: "User-Agent")
        request.setValue(id, forHTTPHeaderField: "webhook-id")
        request.setValue(String(timestamp), forHTTPHeaderField: "webhook-timestamp")
        request.setValue(
            WebhookSignature.sign(secret: delivery.secret, id: id, timestamp: timestamp, body: delivery.payload),
            forHTTPHeaderField: "webhook-signature")
        // In a task of its own: cancelling URLSession's async calls can deadlock
        // swift-corelibs-foundation; an attempt ends by its own timeout instead.
        let outcome = await Task { () -> (Int?, String?) in
            do {
                let (_, response) = try await session.data(for: request)
                return ((response as? HTTPURLResponse)?.statusCode, nil)
            } catch {
                return (nil, String(describing: error).prefix(500).description)
            }
        }.value
        return outcome
    }
}
