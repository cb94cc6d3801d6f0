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

    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> AppConfig {
        var config = AppConfig()
        if let host = environment["HOST"], !host.isEmpty { config.host = host }
        if let port = environment["PORT"].flatMap(Int.init) { config.port = port }
        config.databaseURL = environment["DATABASE_URL"] ?? ""
        if let level = environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) { config.logLevel = level }
        if let size = environment["TTDN_POOL_SIZE"].flatMap(Int.init), size > 0 { config.poolSize = size }
        if let ms = environment["TTDN_POOL_TIMEOUT_MS"].flatMap(Int.init), ms > 0 { config.poolAcquireTimeout = .milliseconds(ms) }
        if let ms = environment["TTDN_STATEMENT_TIMEOUT_MS"].flatMap(Int.init), ms > 0 { config.statementTimeoutMilliseconds = ms }
        if let dir = environment["TTDN_SQL_DIR"], !dir.isEmpty { config.sqlDirectory = dir }
        if let dir = environment["TTDN_TEMPLATE_DIR"], !dir.isEmpty { config.templateDirectory = dir }
        if let path = environment["TTDN_OPENAPI"], !path.isEmpty { config.openapiPath = path }
        if let dir = environment["TTDN_DOCS_DIR"], !dir.isEmpty { config.docsDirectory = dir }
        if let origins = environment["TTDN_CORS_ORIGINS"] {
            config.corsOrigins = origins.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if let seconds = environment["TTDN_SHUTDOWN_TIMEOUT_S"].flatMap(Int.init), seconds > 0 { config.shutdownTimeout = .seconds(seconds) }
        if let rate = environment["TTDN_RATE_LIMIT_RPS"].flatMap(Double.init), rate >= 0 { config.rateLimitPerSecond = rate }
        if let ms = environment["TTDN_TOKEN_CACHE_MS"].flatMap(Int.init), ms >= 0 { config.tokenCacheLifetime = .milliseconds(ms) }
        if let burst = environment["TTDN_RATE_LIMIT_BURST"].flatMap(Double.init), burst >= 1 { config.rateLimitBurst = burst }
        if let seconds = environment["TTDN_IDLE_TIMEOUT_S"].flatMap(Int.init), seconds > 0 { config.connectionLimits.idleTimeout = .seconds(seconds) }
        if let seconds = environment["TTDN_BODY_TIMEOUT_S"].flatMap(Int.init), seconds > 0 {
            config.connectionLimits.bodyReadTimeout = .seconds(seconds)
        }
        if let bytes = environment["TTDN_ATTACHMENT_MAX_BYTES"].flatMap(Int.init), bytes > 0 { config.attachmentMaxBytes = bytes }
        if let ms = environment["TTDN_WEBHOOK_POLL_MS"].flatMap(Int.init), ms > 0 { config.webhooks.pollInterval = .milliseconds(ms) }
        if let n = environment["TTDN_WEBHOOK_CONCURRENCY"].flatMap(Int.init), n > 0 { config.webhooks.maxConcurrent = n }
        if let ms = environment["TTDN_WEBHOOK_TIMEOUT_MS"].flatMap(Int.init), ms > 0 { config.webhooks.attemptTimeout = .milliseconds(ms) }
        if let ms = environment["TTDN_WEBHOOK_RETRY_BASE_MS"].flatMap(Int.init), ms > 0 { config.webhooks.retryBase = .milliseconds(ms) }
        if let ms = environment["TTDN_WEBHOOK_RETRY_MAX_MS"].flatMap(Int.init), ms > 0 { config.webhooks.retryMax = .milliseconds(ms) }
        if let hours = environment["TTDN_WEBHOOK_RETRY_HOURS"].flatMap(Int.init), hours >= 24 { config.webhooks.retryWindow = .seconds(hours * 3600) }
        if let n = environment["TTDN_WEBHOOK_DISABLE_AFTER"].flatMap(Int.init), n > 0 { config.webhooks.disableAfter = n }
        if let days = environment["TTDN_REMINDER_DAYS"] {
            let parsed = days.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.filter { $0 > 0 }
            if !parsed.isEmpty { config.reminders.daysBefore = Array(Set(parsed)).sorted(by: >) }
        }
        if let seconds = environment["TTDN_REMINDER_INTERVAL_S"].flatMap(Int.init), seconds > 0 { config.reminders.interval = .seconds(seconds) }
        if let count = environment["TTDN_MAX_CONNECTIONS"].flatMap(Int.init), count > 0 { config.connectionLimits.maxConnections = count }
        return config
    }

    public var migrationsDirectory: URL { URL(fileURLWithPath: sqlDirectory).appendingPathComponent("migrations") }
    public var seedDirectory: URL { URL(fileURLWithPath: sqlDirectory).appendingPathComponent("seed") }
}
