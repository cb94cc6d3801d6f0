import Foundation
import Hummingbird
import Logging
import Metrics
import PQ
import Prometheus
import ServiceLifecycle
import Synchronization
import TTDNKit

/// The build, as `ttdn --version` and `ttdn_build_info` say it.
public enum TTDNBuild {
    public static let version = "0.2.0"
}

/// The application's long-lived parts, built once by `buildApplication`.
public struct AppDependencies: Sendable {
    public let pool: PQPool
    public let metrics: PrometheusCollectorRegistry
    public let routes: RouteTable
    var rateLimiter: RateLimiter? = nil
    var tokenCache = TokenCache(lifetime: .zero)
    /// The consolidated report's DOCX template (absent only in `routeTable()`, which serves nothing).
    var consolidatedDocument: ConsolidatedDocument? = nil
    var corsOrigins: [String] = []
    var attachmentMaxBytes = AppConfig().attachmentMaxBytes
    /// The contract and the documentation page (absent only in `routeTable()`).
    var documents: ApiDocuments? = nil
}

/// Logging is process-global too: the text or (`LOG_FORMAT=json`) the JSON handler, installed once.
public enum AppLogging {
    private static let installed = Mutex(false)

    public static func bootstrap(format: String) {
        let first = installed.withLock { installed -> Bool in
            defer { installed = true }
            return !installed
        }
        guard first else { return }
        if format == "json" {
            LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
        } else {
            LoggingSystem.bootstrap { TextLogHandler(label: $0) }
        }
    }
}

/// Metrics are process-global in swift-metrics: bootstrap once, reuse the registry after.
private let metricsRegistry: Mutex<PrometheusCollectorRegistry?> = Mutex(nil)

func bootstrapMetrics() -> PrometheusCollectorRegistry {
    metricsRegistry.withLock { registry in
        if let registry { return registry }
        let created = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: created)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
            .seconds(5), .seconds(10),
        ]
        MetricsSystem.bootstrap(factory)
        registry = created
        return created
    }
}

/// Every route, with the middleware stack every request passes through, outermost first.
public func buildRouter(_ dependencies: AppDependencies) -> Router<AppRequestContext> {
    // HEAD wherever GET is (RFC 9110): the GET's status and headers, no body.
    let router = Router(context: AppRequestContext.self, options: .autoGenerateHeadEndpoints)
    // Problem details in the language Accept-Language asks for (English, or Vietnamese for unit staff).
    router.add(middleware: ProblemLanguageMiddleware(catalogs: [.vietnamese]))
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: HTTPMetricsMiddleware(metrics: HTTPMetrics(registry: dependencies.metrics)))
    router.add(middleware: CanonicalPathMiddleware())
    router.add(middleware: HTTPSemanticsMiddleware(routes: dependencies.routes, allowedOrigins: dependencies.corsOrigins))
    router.add(middleware: ProblemMiddleware(routes: dependencies.routes))
    router.add(middleware: CSVOptionsMiddleware())

    let pool = dependencies.pool, cache = dependencies.tokenCache
    let authenticator = Authenticator(
        pool: pool,
        verify: { token, beforeLookup in
            try await Tokens.authenticate(token, pool: pool, cache: cache, beforeLookup: beforeLookup)
        }, limiter: dependencies.rateLimiter)
    let routes = Routes(
        router: router, authenticator: authenticator, changes: ChangeFeedTypes(),
        aggregateValidator: SnapshotValidatorMiddleware(pool: pool, build: TTDNBuild.version))
    OpsRoutes(pool: dependencies.pool, metrics: dependencies.metrics).register(routes)
    DocsRoutes(documents: dependencies.documents).register(routes)
    UnitRoutes(pool: dependencies.pool).register(routes)
    PlanRoutes(pool: dependencies.pool).register(routes)
    PlanTaskRoutes(pool: dependencies.pool).register(routes)
    UnitPlanRoutes(pool: dependencies.pool).register(routes)
    EventRoutes(pool: dependencies.pool).register(routes)
    ActivityRoutes(pool: dependencies.pool).register(routes)
    DifficultyRoutes(pool: dependencies.pool).register(routes)
    TrainingRoutes(pool: dependencies.pool).register(routes)
    MediaRoutes(pool: dependencies.pool).register(routes)
    ReportPeriodRoutes(pool: dependencies.pool).register(routes)
    ReportIndicatorRoutes(pool: dependencies.pool).register(routes)
    ReportRoutes(pool: dependencies.pool).register(routes)
    ReportTargetRoutes(pool: dependencies.pool).register(routes)
    ConsolidatedReportRoutes(pool: dependencies.pool, document: dependencies.consolidatedDocument).register(routes)
    AttachmentRoutes(
        pool: dependencies.pool, parents: [ReportRoutes.parent, ActivityRoutes.parent, AssignmentRoutes.parent, MediaRoutes.parent],
        maxBytes: dependencies.attachmentMaxBytes
    ).register(routes)
    CommentRoutes(pool: dependencies.pool, parents: [ReportRoutes.parent, ActivityRoutes.parent, AssignmentRoutes.parent]).register(routes)
    NotificationRoutes(pool: dependencies.pool).register(routes)
    WebhookRoutes(pool: dependencies.pool).register(routes)
    TokenRoutes(pool: dependencies.pool, cache: dependencies.tokenCache).register(routes)
    AuditRoutes(pool: dependencies.pool).register(routes)
    ChangeRoutes(pool: dependencies.pool, types: routes.changes).register(routes)
    dependencies.routes.load(router)
    return router
}

/// The routes without a server, for `ttdn routes` and the contract tests.
public func routeTable() -> RouteTable {
    let dependencies = AppDependencies(
        pool: PQPool(configuration: PQConfiguration(url: "")), metrics: PrometheusCollectorRegistry(), routes: RouteTable())
    _ = buildRouter(dependencies)
    return dependencies.routes
}

/// Builds the server: checks that the database is migrated (or migrates it when asked),
/// then serves. The pool is a service that closes after the server has drained.
public func buildApplication(
    _ config: AppConfig, onServerRunning: (@Sendable (Int) async -> Void)? = nil
) async throws -> some ApplicationProtocol {
    var logger = Logger(label: "ttdn")
    logger.logLevel = config.logLevel
    let pool = config.makePool(logger: logger)
    if let url = URLComponents(string: config.databaseURL), let host = url.host {
        logger.info("database", metadata: ["host": .string(host), "port": .stringConvertible(url.port ?? 5432), "name": .string(url.path)])
    }
    try await checkMigrations(config, pool: pool, logger: logger)

    let limiter = config.rateLimitPerSecond > 0 ? RateLimiter(rate: config.rateLimitPerSecond, burst: config.rateLimitBurst) : nil
    let dependencies = AppDependencies(
        pool: pool, metrics: bootstrapMetrics(), routes: RouteTable(), rateLimiter: limiter,
        tokenCache: TokenCache(lifetime: config.tokenCacheLifetime),
        consolidatedDocument: try ConsolidatedDocument(directory: URL(fileURLWithPath: config.templateDirectory)),
        corsOrigins: config.corsOrigins, attachmentMaxBytes: config.attachmentMaxBytes,
        documents: loadDocuments(config, logger: logger))
    let router = buildRouter(dependencies)
    var app = Application(
        router: router,
        server: GuardedHTTP1Channel.builder(config.connectionLimits),
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "ttdn"),
        onServerRunning: { channel in await onServerRunning?(channel.localAddress?.port ?? config.port) },
        logger: logger)
    // Shut down in reverse order: the server drains, the workers stop, then the pool closes.
    app.addServices(DatabaseService(pool: pool))
    if config.runWorkers {
        app.addServices(
            WebhookDeliveryService(pool: pool, settings: config.webhooks, logger: logger),
            ReminderScheduler(pool: pool, settings: config.reminders, logger: logger))
    }
    return app
}

/// The contract and the docs page; without them (a deployment that left them out) ttdn serves
/// everything else and says so.
func loadDocuments(_ config: AppConfig, logger: Logger) -> ApiDocuments? {
    do {
        return try ApiDocuments(openapi: URL(fileURLWithPath: config.openapiPath), directory: URL(fileURLWithPath: config.docsDirectory))
    } catch {
        logger.warning(
            "openapi.yaml or the docs page not found; /openapi.yaml, /openapi.json and /docs answer 404",
            metadata: ["openapi": .string(config.openapiPath), "docs": .string(config.docsDirectory)])
        return nil
    }
}

/// Serving an unmigrated database would fail request by request; refuse at start instead, and
/// say what to run. A database that cannot be reached is not refused: ttdn starts, /readyz
/// answers 503 and it becomes ready when PostgreSQL comes up.
func checkMigrations(_ config: AppConfig, pool: PQPool, logger: Logger) async throws {
    let migrator = try Migrator(directory: config.migrationsDirectory)
    do {
        if config.migrateOnStart {
            try await migrator.migrate(on: pool, logger: logger)
            return
        }
        let pending = try await migrator.pending(on: pool)
        guard pending.isEmpty else { throw StartupError.unmigrated(pending.map { "\($0.version)_\($0.name)" }) }
    } catch let error as PQError where error.isUnavailable {
        logger.warning("database unreachable at start; serving, /readyz answers 503 until it is up")
    }
}

public enum StartupError: Error, CustomStringConvertible {
    case unmigrated([String])
    public var description: String {
        switch self {
        case .unmigrated(let names):
            return "the database is not migrated (pending: \(names.joined(separator: ", "))); run `ttdn migrate` or start with `ttdn serve --migrate`"
        }
    }
}
