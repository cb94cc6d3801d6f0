import Configuration
import Foundation
import Logging
import SystemPackage
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

    /// Every setting from, first match winning: `options` (what `ttdn` itself parsed: `--port`,
    /// `--database-url` ..., by setting name), `arguments` (any other setting on the command line,
    /// `--ttdn-pool-size 4`), `environment`, then `configFile` or `TTDN_CONFIG_FILE` (a file in
    /// `.env` form, as `.env.example`). An unknown argument or an unreadable file is refused like a bad value.
    public static func load(
        options: [String: String] = [:], arguments: [String] = [], configFile: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async -> AppConfig {
        var problems: [String] = []
        let known = Set(settingNames.map { "--" + $0.lowercased().replacingOccurrences(of: "_", with: "-") })
        if let stray = arguments.first, !stray.hasPrefix("--") { problems.append("\(stray) (an argument ttdn does not take)") }
        for argument in arguments where argument.hasPrefix("--") && !known.contains(String(argument.prefix { $0 != "=" })) {
            problems.append("\(argument) (not a setting of ttdn; the settings are listed in .env.example)")
        }
        var providers: [any ConfigProvider] = [
            InMemoryProvider(
                name: "options",
                values: Dictionary(
                    uniqueKeysWithValues: options.map {
                        (AbsoluteConfigKey(key($0.key)), ConfigValue(.string($0.value), isSecret: $0.key == "DATABASE_URL"))
                    })),
            CommandLineArgumentsProvider(arguments: ["ttdn"] + arguments),
            EnvironmentVariablesProvider(environmentVariables: environment),
        ]
        if let file = configFile ?? environment["TTDN_CONFIG_FILE"].flatMap({ $0.isEmpty ? nil : $0 }) {
            do {
                providers.append(try await EnvironmentVariablesProvider(environmentFilePath: FilePath(file)))
            } catch {
                problems.append("TTDN_CONFIG_FILE=\(file) (a readable file of NAME=value lines, as .env.example)")
            }
        }
        var config = load(from: ConfigReader(providers: providers))
        config.invalidSettings = problems + config.invalidSettings
        return config
    }

    /// The settings read from `environment` alone (a test's, or the process's).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> AppConfig {
        load(from: ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: environment)))
    }

    /// Every setting's name as the environment spells it; `key(_:)` gives the reader's key,
    /// `--name-in-dashes` the command line's.
    public static let settingNames = [
        "HOST", "PORT", "DATABASE_URL", "LOG_LEVEL", "LOG_FORMAT", "TTDN_POOL_SIZE", "TTDN_POOL_TIMEOUT_MS",
        "TTDN_STATEMENT_TIMEOUT_MS", "TTDN_SQL_DIR", "TTDN_TEMPLATE_DIR", "TTDN_OPENAPI", "TTDN_DOCS_DIR", "TTDN_CORS_ORIGINS",
        "TTDN_SHUTDOWN_TIMEOUT_S", "TTDN_RATE_LIMIT_RPS", "TTDN_TOKEN_CACHE_MS", "TTDN_RATE_LIMIT_BURST", "TTDN_IDLE_TIMEOUT_S",
        "TTDN_BODY_TIMEOUT_S", "TTDN_MAX_CONNECTIONS", "TTDN_ATTACHMENT_MAX_BYTES", "TTDN_WEBHOOK_POLL_MS",
        "TTDN_WEBHOOK_CONCURRENCY", "TTDN_WEBHOOK_TIMEOUT_MS", "TTDN_WEBHOOK_RETRY_BASE_MS", "TTDN_WEBHOOK_RETRY_MAX_MS",
        "TTDN_WEBHOOK_RETRY_HOURS", "TTDN_WEBHOOK_DISABLE_AFTER", "TTDN_REMINDER_DAYS", "TTDN_REMINDER_INTERVAL_S",
    ]

    /// The reader's key of a setting: `TTDN_POOL_SIZE` is `ttdn.pool.size`, which swift-configuration
    /// looks up as `TTDN_POOL_SIZE` in the environment and a `.env` file, `--ttdn-pool-size` on the command line.
    public static func key(_ name: String) -> ConfigKey { ConfigKey(name.lowercased().split(separator: "_").map(String.init)) }

    /// Every setting from `reader`, each checked: a value ttdn cannot use is listed in `invalidSettings`
    /// by its name, never silently replaced by the default.
    public static func load(from reader: ConfigReader) -> AppConfig {
        var config = AppConfig()
        var invalid: [String] = []
        func text(_ name: String) -> String? {
            let secret = name == "DATABASE_URL"
            // The command line splits a value at commas; such a value is still one text here.
            let value =
                reader.string(forKey: key(name), isSecret: secret) ?? reader.stringArray(forKey: key(name), isSecret: secret)?.joined(separator: ",")
            return value.flatMap { $0.isEmpty ? nil : $0 }
        }
        func list(_ name: String) -> [String]? {
            reader.stringArray(forKey: key(name)).map { $0.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        }
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
        config.databaseURL = text("DATABASE_URL") ?? ""
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
        if let origins = list("TTDN_CORS_ORIGINS") { config.corsOrigins = origins }
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
        if let days = list("TTDN_REMINDER_DAYS"), !days.isEmpty {
            let raw = days.joined(separator: ","), parsed = days.map { Int($0) }
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
