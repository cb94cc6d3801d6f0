import ArgumentParser
import Foundation
import Logging
import PQ
import ServiceLifecycle
import TTDN
import TTDNKit

@main
struct TTDNCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ttdn",
        abstract: "REST API for the foreign-information plan of the Hai Phong Department of Education and Training.",
        version: TTDNBuild.version,
        subcommands: [Serve.self, Migrate.self, Seed.self, Token.self, Routes.self]
    )
}

/// Options every database command shares; the environment (DATABASE_URL ...) is the default.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "PostgreSQL URL or conninfo (default: $DATABASE_URL).")
    var databaseURL: String?

    @Option(help: "Folder holding migrations/ and seed/ (default: $TTDN_SQL_DIR or ./sql).")
    var sqlDir: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical (default: $LOG_LEVEL or info).")
    var logLevel: String?

    @Option(help: "A file of NAME=value settings, as .env.example (default: $TTDN_CONFIG_FILE, else none).")
    var configFile: String?

    /// The settings: these options, then `settings` (further `--name value` arguments), the
    /// environment, the config file. Any value ttdn cannot use stops the command, named.
    func config(settings: [String] = [], options extra: [String: String] = [:]) async throws -> AppConfig {
        var options = extra
        if let databaseURL { options["DATABASE_URL"] = databaseURL }
        if let sqlDir { options["TTDN_SQL_DIR"] = sqlDir }
        if let logLevel { options["LOG_LEVEL"] = logLevel }
        let config = await AppConfig.load(options: options, arguments: settings, configFile: configFile)
        guard config.invalidSettings.isEmpty else {
            throw ValidationError("invalid settings: \(config.invalidSettings.joined(separator: "; "))")
        }
        AppLogging.bootstrap(format: config.logFormat)
        guard !config.databaseURL.isEmpty else {
            throw ValidationError("no database: set DATABASE_URL or pass --database-url")
        }
        return config
    }

    func logger(_ config: AppConfig) -> Logger {
        var logger = Logger(label: "ttdn")
        logger.logLevel = config.logLevel
        return logger
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the HTTP API.")

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Address to listen on (default: $HOST or 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (default: $PORT or 8080).") var port: Int?
    @Flag(help: "Apply pending migrations before serving instead of refusing to start.") var migrate = false
    @Argument(
        parsing: .allUnrecognized,
        help: "Any other setting as --name value, the environment name in lower case with dashes (--ttdn-pool-size 4); see .env.example.")
    var settings: [String] = []

    func run() async throws {
        var options: [String: String] = [:]
        if let host { options["HOST"] = host }
        if let port { options["PORT"] = String(port) }
        var config = try await database.config(settings: settings, options: options)
        config.migrateOnStart = migrate
        let app = try await buildApplication(config)
        // SIGTERM/SIGINT: stop accepting, let requests in flight finish, close the pool. Near
        // TTDN_SHUTDOWN_TIMEOUT_S what still runs is cancelled (its statements get a cancel
        // request and roll back: no client without an answer has a committed write), so the
        // process is gone within the timeout.
        var group = ServiceGroupConfiguration(
            services: [app], gracefulShutdownSignals: [.sigterm, .sigint],
            cancellationSignals: [], logger: database.logger(config))
        group.maximumGracefulShutdownDuration = config.shutdownTimeout - config.shutdownCancellationMargin
        group.maximumCancellationDuration = config.shutdownCancellationMargin
        try await ServiceGroup(configuration: group).run()
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending migrations from sql/migrations.")
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let config = try await database.config()
        let pool = config.makePool(logger: database.logger(config))
        defer { pool.close() }
        let applied = try await Migrator(directory: config.migrationsDirectory).migrate(on: pool, logger: database.logger(config))
        print(applied.isEmpty ? "database is up to date" : "applied: \(applied.map { "\($0.version)_\($0.name)" }.joined(separator: ", "))")
    }
}

struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Load the seed data (the 2023 plan); idempotent.")
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let config = try await database.config()
        let pool = config.makePool(logger: database.logger(config))
        defer { pool.close() }
        let files = try await Seeder.seed(config, pool: pool, logger: database.logger(config))
        print("seeded: \(files.joined(separator: ", "))")
    }
}

struct Routes: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print every route the server serves, one `METHOD /path` a line.")

    func run() {
        for route in routeTable().routes { print(route.description) }
    }
}

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage API tokens.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token; its secret is printed once, alone on the last line.")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "admin, editor or viewer.") var role: String
        @Option(help: "Code of the unit an editor (or a scoped viewer) belongs to.") var unit: String?
        @Option(help: "What the token is for.") var name: String = "cli"
        @Option(help: "Last day the token works, YYYY-MM-DD (Asia/Ho_Chi_Minh).") var expires: String?

        func run() async throws {
            let config = try await database.config()
            guard let role = Role(rawValue: role) else { throw ValidationError("--role must be admin, editor or viewer") }
            var expiresOn: CalendarDate?
            if let expires {
                guard let date = CalendarDate(expires) else { throw ValidationError("--expires must be a date YYYY-MM-DD") }
                expiresOn = date
            }
            if role == .editor, unit == nil { throw ValidationError("an editor token needs --unit CODE") }
            if role == .admin, unit != nil { throw ValidationError("an admin token has no unit") }
            let pool = config.makePool(logger: database.logger(config))
            defer { pool.close() }
            let created = try await TokenAdmin.create(pool: pool, role: role, unitCode: unit, name: name, expiresOn: expiresOn)
            print("created \(role.rawValue) token \(created.token.id) (public id \(created.token.publicId))")
            print(created.secret)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never their secrets).")
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let config = try await database.config()
            let pool = config.makePool(logger: database.logger(config))
            defer { pool.close() }
            for line in try await TokenAdmin.list(pool: pool) { print(line) }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by id or public id.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The token's id (UUID) or public id.") var id: String

        func run() async throws {
            let config = try await database.config()
            let pool = config.makePool(logger: database.logger(config))
            defer { pool.close() }
            guard try await TokenAdmin.revoke(pool: pool, id: id) else { throw ValidationError("no token \(id)") }
            print("revoked \(id)")
        }
    }
}
