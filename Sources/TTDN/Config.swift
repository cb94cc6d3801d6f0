import Foundation
import Logging
import TTDNKit

/// Everything ttdn reads from its environment, in one place. Flags of `ttdn serve` override it.
public struct AppConfig: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var databaseURL = ""
    public var logLevel: Logger.Level = .info
    public var poolSize = 8
    public var poolAcquireTimeout: Duration = .seconds(5)
    public var statementTimeoutMilliseconds = 15_000
    public var sqlDirectory = "sql"
    /// Browser origins allowed to call the API (CORS), `*` for any; none by default.
    public var corsOrigins: [String] = []
    /// Where document templates are (`consolidated-report/`).
    public var templateDirectory = "templates"
    /// The contract served at `/openapi.yaml` and `/openapi.json`, and the `/docs` page's directory.
    public var openapiPath = "openapi.yaml"
    public var docsDirectory = "docs"
    /// Apply pending migrations at start instead of refusing to serve.
    public var migrateOnStart = false
    /// How long SIGTERM waits for requests in flight before the process exits.
    public var shutdownTimeout: Duration = .seconds(20)
    /// The end of the shutdown timeout kept for cancelling what still runs: a quarter of it, at most 1 s.
    public var shutdownCancellationMargin: Duration { min(.seconds(1), shutdownTimeout / 4) }
    /// Requests a second per token, per process (0 turns the limit off), and the burst allowed.
    public var rateLimitPerSecond: Double = 100
    public var rateLimitBurst: Double = 200
    /// How long a verified token is remembered (0: looked up on every request).
    public var tokenCacheLifetime: Duration = .seconds(1)
    /// The largest evidence file accepted, in bytes (20 MiB by default).
    public var attachmentMaxBytes = 20 << 20
    /// Webhook deliveries and reminders (services of `ttdn serve`; off for `runWorkers = false`).
    public var webhooks = WebhookSettings()
    public var reminders = ReminderSettings()
    public var runWorkers = true

    /// Idle and read timeouts, and the cap on open connections.
    public var connectionLimits = ConnectionLimits()

    public init() {}

    /// Settings given with a value ttdn cannot use, each as `NAME=value (what it must be)`;
    /// `ttdn` refuses to start while there is one.
    public var invalidSettings: [String] = []
    /// `text` (key=value lines) or `json` (one JSON object per line).
    public var logFormat = "text"

    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> AppConfig {
        var config = AppConfig()
        var invalid: [String] = []
        func text(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        func integer(_ name: String, atLeast minimum: Int) -> Int? {
            guard let raw = text(name) else { return nil }
            guard let value = Int(raw), value >= minimum else {
                invalid.append("\(name)=\(raw) (an integer of at least \(minimum))")
                return nil
            }
            return value
        }
        func number(_ name: String, atLeast minimum: Double) -> Double? {
            guard let raw = text(name) else { return nil }
            guard let value = Double(raw), value >= minimum, value.isFinite else {
                invalid.append("\(name)=\(raw) (a number of at least \(minimum))")
                return nil
            }
            return value
        }
        if let host = text("HOST") { config.host = host }
        if let port = integer("PORT", atLeast: 0) { config.port = port }
        config.databaseURL = environment["DATABASE_URL"] ?? ""
        if let raw = text("LOG_LEVEL") {
            if let level = Logger.Level(rawValue: raw) {
                config.logLevel = level
            } else {
                invalid.append("LOG_LEVEL=\(raw) (\(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
        }
        if let raw = text("LOG_FORMAT") {
            if ["text", "json"].contains(raw) { config.logFormat = raw } else { invalid.append("LOG_FORMAT=\(raw) (text or json)") }
        }
        if let size = integer("TTDN_POOL_SIZE", atLeast: 1) { config.poolSize = size }
        if let ms = integer("TTDN_POOL_TIMEOUT_MS", atLeast: 1) { config.poolAcquireTimeout = .milliseconds(ms) }
        if let ms = integer("TTDN_STATEMENT_TIMEOUT_MS", atLeast: 1) { config.statementTimeoutMilliseconds = ms }
        if let dir = text("TTDN_SQL_DIR") { config.sqlDirectory = dir }
        if let dir = text("TTDN_TEMPLATE_DIR") { config.templateDirectory = dir }
        if let path = text("TTDN_OPENAPI") { config.openapiPath = path }
        if let dir = text("TTDN_DOCS_DIR") { config.docsDirectory = dir }
        if let origins = environment["TTDN_CORS_ORIGINS"] {
            config.corsOrigins = origins.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if let seconds = integer("TTDN_SHUTDOWN_TIMEOUT_S", atLeast: 1) { config.shutdownTimeout = .seconds(seconds) }
        if let rate = number("TTDN_RATE_LIMIT_RPS", atLeast: 0) { config.rateLimitPerSecond = rate }
        if let ms = integer("TTDN_TOKEN_CACHE_MS", atLeast: 0) { config.tokenCacheLifetime = .milliseconds(ms) }
        if let burst = number("TTDN_RATE_LIMIT_BURST", atLeast: 1) { config.rateLimitBurst = burst }
        if let seconds = integer("TTDN_IDLE_TIMEOUT_S", atLeast: 1) { config.connectionLimits.idleTimeout = .seconds(seconds) }
        if let seconds = integer("TTDN_BODY_TIMEOUT_S", atLeast: 1) { config.connectionLimits.bodyReadTimeout = .seconds(seconds) }
        if let count = integer("TTDN_MAX_CONNECTIONS", atLeast: 1) { config.connectionLimits.maxConnections = count }
        if let bytes = integer("TTDN_ATTACHMENT_MAX_BYTES", atLeast: 1) { config.attachmentMaxBytes = bytes }
        if let ms = integer("TTDN_WEBHOOK_POLL_MS", atLeast: 1) { config.webhooks.pollInterval = .milliseconds(ms) }
        if let n = integer("TTDN_WEBHOOK_CONCURRENCY", atLeast: 1) { config.webhooks.maxConcurrent = n }
        if let ms = integer("TTDN_WEBHOOK_TIMEOUT_MS", atLeast: 1) { config.webhooks.attemptTimeout = .milliseconds(ms) }
        if let ms = integer("TTDN_WEBHOOK_RETRY_BASE_MS", atLeast: 1) { config.webhooks.retryBase = .milliseconds(ms) }
        if let ms = integer("TTDN_WEBHOOK_RETRY_MAX_MS", atLeast: 1) { config.webhooks.retryMax = .milliseconds(ms) }
        if let hours = integer("TTDN_WEBHOOK_RETRY_HOURS", atLeast: 24) { config.webhooks.retryWindow = .seconds(hours * 3600) }
        if let n = integer("TTDN_WEBHOOK_DISABLE_AFTER", atLeast: 1) { config.webhooks.disableAfter = n }
        if let raw = text("TTDN_REMINDER_DAYS") {
            let parsed = raw.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            if parsed.isEmpty || parsed.contains(where: { ($0 ?? 0) < 1 }) {
                invalid.append("TTDN_REMINDER_DAYS=\(raw) (days before a due date, comma-separated, e.g. 7,2)")
            } else {
                config.reminders.daysBefore = Array(Set(parsed.compactMap { $0 })).sorted(by: >)
            }
        }
        if let seconds = integer("TTDN_REMINDER_INTERVAL_S", atLeast: 1) { config.reminders.interval = .seconds(seconds) }
        config.invalidSettings = invalid
        return config
    }

    public var migrationsDirectory: URL { URL(fileURLWithPath: sqlDirectory).appendingPathComponent("migrations") }
    public var seedDirectory: URL { URL(fileURLWithPath: sqlDirectory).appendingPathComponent("seed") }
}
