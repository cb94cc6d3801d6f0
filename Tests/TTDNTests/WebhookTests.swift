import Crypto
import Foundation
import Hummingbird
import PQ
import TTDN
import TTDNKit
import TestSupport
import Testing

/// A webhook receiver on loopback: records every request; answers 503 while `failing`.
final class WebhookReceiver: @unchecked Sendable {
    struct Received: Sendable {
        let headers: [String: String]
        let body: Data
        var id: String { headers["webhook-id"] ?? "" }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    }

    private let lock = NSLock()
    private var received: [Received] = []
    private var failingNow = false
    private(set) var port = 0
    private var task: Task<Void, any Error>?

    var failing: Bool {
        get { lock.withLock { failingNow } }
        set { lock.withLock { failingNow = newValue } }
    }
    var all: [Received] { lock.withLock { received } }
    var url: String { "http://127.0.0.1:\(port)/hook" }

    static func start() async throws -> WebhookReceiver {
        let receiver = WebhookReceiver()
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 22)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let failing = receiver.lock.withLock { () -> Bool in
                receiver.received.append(Received(headers: headers, body: Data(body.readableBytesView)))
                return receiver.failingNow
            }
            return Response(status: failing ? .serviceUnavailable : .noContent)
        }
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) })
        receiver.task = Task { try await app.run() }
        var iterator = stream.makeAsyncIterator()
        receiver.port = await iterator.next() ?? 0
        return receiver
    }

    /// Waits until `condition` holds of what arrived (at most `seconds`).
    func wait(seconds: Double = 20, until condition: ([Received]) -> Bool) async throws -> [Received] {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let now = all
            if condition(now) { return now }
            try await Task.sleep(for: .milliseconds(50))
        }
        return all
    }
}

/// A server of its own (its own database) that delivers webhooks quickly: retries after 100 ms.
struct WebhookServer {
    let server: TestServer

    static func start(disableAfter: Int = 1000) async throws -> WebhookServer {
        let url = try await TestDatabase.createDatabase(prefix: "ttdn_hooks")
        var config = TestServer.makeConfig(databaseURL: url)
        config.runWorkers = true
        config.webhooks.pollInterval = .milliseconds(50)
        config.webhooks.retryBase = .milliseconds(100)
        config.webhooks.retryMax = .milliseconds(400)
        config.webhooks.attemptTimeout = .seconds(3)
        config.webhooks.disableAfter = disableAfter
        config.reminders.interval = .seconds(3600)
        let pool = config.makePool(logger: .init(label: "test"))
        try await Migrator(directory: config.migrationsDirectory).migrate(on: pool)
        _ = try await Seeder.seed(config, pool: pool, logger: .init(label: "test"))
        let admin = try await pool.withConnection { connection in
            try await Tokens.create(on: connection, role: .admin, unitID: nil, name: "hooks admin", expiresOn: nil).secret
        }
        let (port, _) = try await TestServer.start(config)
        return WebhookServer(server: TestServer(baseURL: "http://127.0.0.1:\(port)", pool: pool, config: config, adminToken: admin))
    }

    /// A second `ttdn serve` on the same database.
    func secondProcess() async throws -> TestServer {
        let (port, _) = try await TestServer.start(server.config)
        return TestServer(baseURL: "http://127.0.0.1:\(port)", pool: server.pool, config: server.config, adminToken: server.adminToken)
    }

    func subscribe(_ url: String, types: [String] = [], unit: String? = nil) async throws -> (id: String, secret: String) {
        var body: [String: Any] = ["url": url, "event_types": types]
        if let unit { body["unit_id"] = unit }
        let answer = try await server.post("/v1/webhook-subscriptions", body)
        guard answer.status == 201, let subscription = answer.json["subscription"] as? [String: Any] else {
            throw CLIError("subscribe: \(answer.status) \(answer.text)")
        }
        return (subscription["id"] as! String, answer.json["secret"] as! String)
    }
}

/// What a receiver must do (Standard Webhooks): HMAC-SHA256 of `id.timestamp.body` with the
/// secret's bytes, compared with each `v1,` signature of the header.
func verifySignature(_ received: WebhookReceiver.Received, secret: String) -> Bool {
    guard let id = received.headers["webhook-id"], let timestamp = received.headers["webhook-timestamp"],
        let header = received.headers["webhook-signature"], let key = Data(base64Encoded: String(secret.dropFirst("whsec_".count)))
    else { return false }
    let signed = Data("\(id).\(timestamp).".utf8) + received.body
    let expected = Data(HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: key))).base64EncodedString()
    return header.split(separator: " ").contains { $0 == "v1,\(expected)" }
}

@Suite("Webhooks", .serialized)
struct WebhookTests {
    @Test func eventsArriveSignedAndTheDeliveryLogSaysSo() async throws {
        let hooks = try await WebhookServer.start()
        let server = hooks.server
        let receiver = try await WebhookReceiver.start()
        let (subscription, secret) = try await hooks.subscribe(receiver.url, types: ["report.*", "unit.created"])
        #expect(secret.hasPrefix("whsec_"))
        #expect(try await server.get("/v1/webhook-subscriptions/\(subscription)").json["secret"] == nil)

        let unit = try await server.createUnit(["kind": "district_office"])["id"] as! String
        let period = try await makePeriod(server)
        let report = try await server.post("/v1/reports", ["unit_id": unit, "period_id": period])
        let reportID = report.json["id"] as! String
        #expect(try await server.request("POST", "/v1/reports/\(reportID)/submit").status == 200)
        #expect(try await server.post("/v1/reports/\(reportID)/return", ["comment": "Bổ sung số liệu"]).status == 200)
        // A change of another kind is not for this subscription.
        #expect(try await server.patch("/v1/units/\(unit)", ["phone": "0225 3 123 456"]).status == 200)

        let types = ["unit.created", "report.created", "report.submitted", "report.returned"]
        let received = try await receiver.wait { Set($0.compactMap { $0.json["type"] as? String }).isSuperset(of: types) }
        // Deliveries run side by side: no order is promised, each event arrives (once, here).
        #expect(received.map { $0.json["type"] as? String ?? "" }.sorted() == types.sorted())
        for delivery in received {
            #expect(verifySignature(delivery, secret: secret))
            #expect(abs((Double(delivery.headers["webhook-timestamp"] ?? "") ?? 0) - Date().timeIntervalSince1970) < 60)
            #expect(delivery.headers["content-type"]?.hasPrefix("application/json") == true)
        }
        // The resource as the API returns it.
        let returned = try #require(received.first { $0.json["type"] as? String == "report.returned" }?.json["data"] as? [String: Any])
        #expect(returned["id"] as? String == reportID)
        #expect(returned["status"] as? String == "returned")
        // A forged body does not verify.
        let forged = WebhookReceiver.Received(headers: received[0].headers, body: received[0].body + Data(" ".utf8))
        #expect(!verifySignature(forged, secret: secret))

        // The receiver has the bodies before the sender has recorded their answers: wait for that.
        var log = try await server.get("/v1/webhook-subscriptions/\(subscription)/deliveries")
        for _ in 0..<100 where !log.items.allSatisfy({ $0["status"] as? String == "succeeded" }) {
            try await Task.sleep(for: .milliseconds(50))
            log = try await server.get("/v1/webhook-subscriptions/\(subscription)/deliveries")
        }
        #expect(log.items.count == 4)
        #expect(log.items.allSatisfy { $0["status"] as? String == "succeeded" && $0["attempts"] as? Int == 1 && $0["last_status"] as? Int == 204 })
        #expect(log.items.allSatisfy { $0["last_latency_ms"] is Int })

        // Only http(s) targets; only admins.
        #expect(try await server.post("/v1/webhook-subscriptions", ["url": "ftp://example.vn/hook"]).status == 422)
        #expect(try await server.post("/v1/webhook-subscriptions", ["url": receiver.url, "event_types": ["Report"]]).status == 422)
        let editor = try await server.token(.editor, unit: unit)
        #expect(try await server.post("/v1/webhook-subscriptions", ["url": receiver.url], token: editor).status == 403)
    }

    @Test func aReceiverDownForAWhileGetsEveryEventOnceItIsBack() async throws {
        let hooks = try await WebhookServer.start()
        let server = hooks.server
        let receiver = try await WebhookReceiver.start()
        receiver.failing = true
        let (subscription, secret) = try await hooks.subscribe(receiver.url, types: ["unit.created"])
        var units: Set<String> = []
        for _ in 0..<5 { units.insert(try await server.createUnit()["id"] as! String) }
        // Down: every event is tried, and tried again.
        _ = try await receiver.wait { received in
            units.allSatisfy { unit in received.filter { ($0.json["data"] as? [String: Any])?["id"] as? String == unit }.count >= 2 }
        }
        let pending = try await server.get("/v1/webhook-subscriptions/\(subscription)/deliveries?status=pending")
        #expect(pending.items.count == 5)
        #expect(pending.items.allSatisfy { $0["last_status"] as? Int == 503 && $0["next_attempt_at"] is String })

        receiver.failing = false
        let succeeded = try await waitFor(seconds: 20) {
            try await server.get("/v1/webhook-subscriptions/\(subscription)/deliveries?status=succeeded").items.count == 5
        }
        #expect(succeeded)
        // Each event kept its webhook-id across attempts: duplicates only by id, none lost.
        let all = receiver.all
        #expect(Set(all.map(\.id)).count == 5)
        #expect(Set(all.compactMap { ($0.json["data"] as? [String: Any])?["id"] as? String }) == units)
        #expect(all.allSatisfy { verifySignature($0, secret: secret) })

        // An admin sends one again: the same webhook-id arrives once more.
        let delivery = try #require(try await server.get("/v1/webhook-subscriptions/\(subscription)/deliveries?limit=1").items.first)
        let before = all.count
        let again = try await server.request(
            "POST", "/v1/webhook-subscriptions/\(subscription)/deliveries/\(delivery["id"] as! String)/redeliver")
        #expect(again.status == 202)
        let after = try await receiver.wait { $0.count > before }
        #expect(after.last?.id == delivery["event_id"] as? String)
    }

    @Test func twoProcessesDeliverEachEventOnce() async throws {
        let hooks = try await WebhookServer.start()
        let second = try await hooks.secondProcess()
        let receiver = try await WebhookReceiver.start()
        _ = try await hooks.subscribe(receiver.url, types: ["unit.created"])
        for index in 0..<30 { _ = try await (index % 2 == 0 ? hooks.server : second).createUnit() }
        let received = try await receiver.wait { $0.count >= 30 }
        try await Task.sleep(for: .milliseconds(500))
        #expect(received.count == 30)
        #expect(receiver.all.count == 30)
        #expect(Set(receiver.all.map(\.id)).count == 30)
    }

    @Test func aLongRunOfFailuresTurnsASubscriptionOffUntilAnAdminTurnsItOn() async throws {
        let hooks = try await WebhookServer.start(disableAfter: 4)
        let server = hooks.server
        // Nothing listens on port 9 of loopback: every attempt is refused. One event, so the one
        // delivery in the log has been attempted whatever the machine's speed.
        let (subscription, _) = try await hooks.subscribe("http://127.0.0.1:9/hook", types: ["unit.created"])
        _ = try await server.createUnit()
        let disabled = try await waitFor(seconds: 20) {
            try await server.get("/v1/webhook-subscriptions/\(subscription)").json["active"] as? Bool == false
        }
        #expect(disabled)
        let off = try await server.get("/v1/webhook-subscriptions/\(subscription)")
        #expect((off.json["disabled_reason"] as? String)?.contains("4 failed deliveries") == true)
        let log = try await server.get("/v1/webhook-subscriptions/\(subscription)/deliveries")
        #expect(log.items.count == 1)
        #expect(log.items.allSatisfy { $0["last_status"] is NSNull && $0["last_error"] is String })
        let on = try await server.patch("/v1/webhook-subscriptions/\(subscription)", ["active": true])
        #expect(on.status == 200)
        #expect(on.json["consecutive_failures"] as? Int == 0)
        #expect(on.json["disabled_reason"] is NSNull)
    }
}

/// Polls `condition` until it holds (at most `seconds`).
func waitFor(seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(100))
    }
    return try await condition()
}
