import Logging
import PQ
import ServiceLifecycle
import TTDNKit

/// The connection pool as a service of the application's service group: the HTTP server stops
/// first (requests in flight finish), then the pool closes.
public struct DatabaseService: Service {
    public let pool: PQPool

    public init(pool: PQPool) { self.pool = pool }

    public func run() async throws {
        try? await gracefulShutdown()
        pool.close()
    }
}

extension AppConfig {
    public func makePool(logger: Logger) -> PQPool {
        PQPool(
            configuration: PQConfiguration(
                url: databaseURL, applicationName: "ttdn",
                statementTimeoutMilliseconds: statementTimeoutMilliseconds),
            maxConnections: poolSize, acquireTimeout: poolAcquireTimeout, logger: logger)
    }
}
