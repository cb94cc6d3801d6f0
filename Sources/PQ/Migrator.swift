import Crypto
import Foundation
import Logging

/// Applies `NNNN_name.sql` files in order, each in its own transaction, and records them in
/// `schema_migrations` with a SHA-256 checksum. A recorded migration whose file changed is refused.
public struct Migrator: Sendable {
    public struct Migration: Sendable, Equatable {
        public let version: Int
        public let name: String
        public let sql: String

        public init(version: Int, name: String, sql: String) {
            self.version = version
            self.name = name
            self.sql = sql
        }

        public var checksum: String { SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined() }
    }

    public enum Failure: Error, CustomStringConvertible {
        case badFileName(String)
        case duplicateVersion(Int)
        case checksumMismatch(version: Int, name: String)
        case unknownApplied(version: Int)

        public var description: String {
            switch self {
            case .badFileName(let name): return "migration file \(name) is not named NNNN_name.sql"
            case .duplicateVersion(let v): return "two migration files have version \(v)"
            case .checksumMismatch(let v, let name):
                return
                    "migration \(v) (\(name)) was applied with different contents; applied migrations must never be edited — add a new migration instead"
            case .unknownApplied(let v):
                return "the database has migration \(v) applied, which this build does not know; run a newer ttdn"
            }
        }
    }

    public let migrations: [Migration]

    public init(migrations: [Migration]) { self.migrations = migrations.sorted { $0.version < $1.version } }

    /// Reads every `*.sql` file of `directory`.
    public init(directory: URL) throws {
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
        var seen = Set<Int>()
        var migrations: [Migration] = []
        for file in files {
            let base = file.deletingPathExtension().lastPathComponent
            let pieces = base.split(separator: "_", maxSplits: 1)
            guard pieces.count == 2, pieces[0].count == 4, let version = Int(pieces[0]) else {
                throw Failure.badFileName(file.lastPathComponent)
            }
            guard seen.insert(version).inserted else { throw Failure.duplicateVersion(version) }
            migrations.append(
                Migration(
                    version: version, name: String(pieces[1]),
                    sql: try String(contentsOf: file, encoding: .utf8)))
        }
        self.init(migrations: migrations)
    }

    private static let lockKey = 7_244_201_901  // pg_advisory_xact_lock: one migrator at a time

    private static let createTable: PQQuery = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version integer PRIMARY KEY,
            name text NOT NULL,
            checksum text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """

    /// Versions that are not applied yet; throws if an applied one changed.
    public func pending(on pool: PQPool) async throws -> [Migration] {
        try await pool.withConnection { connection in
            try await pendingMigrations(connection)
        }
    }

    private func pendingMigrations(_ connection: PQConnection) async throws -> [Migration] {
        let exists = try await connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS present")
        guard try exists[0].decode("present", as: Bool.self) else { return migrations }
        let rows = try await connection.query("SELECT version, checksum FROM schema_migrations ORDER BY version")
        var applied: [Int: String] = [:]
        for row in rows { applied[try row.decode("version")] = try row.decode("checksum", as: String.self) }
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for (version, checksum) in applied {
            guard let migration = known[version] else { throw Failure.unknownApplied(version: version) }
            guard migration.checksum == checksum else {
                throw Failure.checksumMismatch(version: version, name: migration.name)
            }
        }
        return migrations.filter { applied[$0.version] == nil }
    }

    /// Applies what is pending; returns the versions applied.
    @discardableResult
    public func migrate(on pool: PQPool, logger: Logger = Logger(label: "pq.migrate")) async throws -> [Migration] {
        var applied: [Migration] = []
        try await pool.withConnection { connection in
            for migration in try await pendingMigrations(connection) {
                try await connection.runScript("BEGIN")
                do {
                    _ = try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))")
                    _ = try await connection.query(Self.createTable)
                    // Another migrator may have applied it while we waited for the lock.
                    let done = try await connection.query("SELECT 1 FROM schema_migrations WHERE version = \(migration.version)")
                    if done.isEmpty {
                        try await connection.runScript(migration.sql)
                        _ = try await connection.query(
                            """
                            INSERT INTO schema_migrations (version, name, checksum)
                            VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                            """)
                        applied.append(migration)
                        logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                    }
                    try await connection.runScript("COMMIT")
                } catch {
                    try? await connection.runScript("ROLLBACK")
                    throw error
                }
            }
        }
        return applied
    }
}
