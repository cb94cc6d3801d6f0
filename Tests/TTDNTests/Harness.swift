import Foundation
import PQ
import TTDN
import TTDNKit
import TestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The repository's `sql/` folder, found from this file's path.
let sqlDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("sql").path

/// An HTTP answer, with the body kept as bytes and decoded on demand.
struct HTTPAnswer: Sendable {
    let status: Int
    let headers: [String: String]
    let body: Data

    func header(_ name: String) -> String? {
        headers.first { $0.key.lowercased() == name.lowercased() }?.value
    }
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    var items: [[String: Any]] { json["items"] as? [[String: Any]] ?? [] }
    var text: String { String(decoding: body, as: UTF8.self) }
    /// The field names of a problem's `errors[]`.
    var errorFields: [String] { (json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String } }
}

/// A real ttdn server on a free port, against a database of its own in the test PostgreSQL.
/// One per test process; tests stay independent by creating their own data (unique codes).
final class TestServer: Sendable {
    let baseURL: String
    let pool: PQPool
    let config: AppConfig
    let adminToken: String

    private static let shared = SharedServer()

    static func get() async throws -> TestServer { try await shared.server() }

    init(baseURL: String, pool: PQPool, config: AppConfig, adminToken: String) {
        self.baseURL = baseURL
        self.pool = pool
        self.config = config
        self.adminToken = adminToken
    }

    /// Starts ttdn against `config` and returns the port it listens on.
    static func start(_ config: AppConfig) async throws -> (port: Int, task: Task<Void, any Error>) {
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        let app = try await buildApplication(config, onServerRunning: { port in continuation.yield(port) })
        let task = Task { try await app.run() }
        var iterator = stream.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CLIError("server did not start") }
        return (port, task)
    }

    static func makeConfig(databaseURL: String) -> AppConfig {
        var config = AppConfig()
        config.databaseURL = databaseURL
        config.port = 0
        config.sqlDirectory = sqlDirectory
        config.corsOrigins = ["https://dashboard.haiphong.gov.vn"]
        let root = URL(fileURLWithPath: sqlDirectory).deletingLastPathComponent()
        config.templateDirectory = root.appendingPathComponent("templates").path
        config.openapiPath = root.appendingPathComponent("openapi.yaml").path
        config.docsDirectory = root.appendingPathComponent("docs").path
        config.logLevel = .warning
        config.poolSize = 8
        config.rateLimitPerSecond = 0  // the concurrency tests fire hundreds of requests with one token
        config.runWorkers = false  // webhook and reminder tests run their own, with their own clock and pace
        return config
    }

    /// A token of `role`, bound to `unit` when given.
    func token(_ role: Role, unit: String? = nil, expiresOn: CalendarDate? = nil) async throws -> String {
        let unitID = unit.flatMap { UUID(uuidString: $0) }
        return try await pool.withConnection { connection in
            try await Tokens.create(on: connection, role: role, unitID: unitID, name: "test \(role.rawValue)", expiresOn: expiresOn).secret
        }
    }

    func request(
        _ method: String, _ path: String, token: String? = nil, json: Any? = nil, body: Data? = nil,
        headers: [String: String] = [:]
    ) async throws -> HTTPAnswer {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = method
        request.timeoutInterval = 30
        if let token = token ?? (headers["Authorization"] == nil ? adminToken : nil) {
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        }
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let body { request.httpBody = body }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        // In a task of its own, which a cancelled caller does not cancel: cancelling URLSession's
        // async data(for:) can deadlock swift-corelibs-foundation (the cancellation handler waits
        // for the session's queue while that queue waits to resume the task). Requests end by
        // their own timeout instead.
        let (data, response) = try await Task { try await URLSession.shared.data(for: request) }.value
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (key, value) in http.allHeaderFields { fields["\(key)"] = "\(value)" }
        return HTTPAnswer(status: http.statusCode, headers: fields, body: data)
    }

    func get(_ path: String, token: String? = nil, headers: [String: String] = [:]) async throws -> HTTPAnswer {
        try await request("GET", path, token: token, headers: headers)
    }

    func post(_ path: String, _ json: Any, token: String? = nil, headers: [String: String] = [:]) async throws -> HTTPAnswer {
        try await request("POST", path, token: token, json: json, headers: headers)
    }

    func patch(_ path: String, _ json: Any, token: String? = nil, headers: [String: String] = [:]) async throws -> HTTPAnswer {
        var headers = headers
        if headers["Content-Type"] == nil { headers["Content-Type"] = "application/merge-patch+json" }
        return try await request("PATCH", path, token: token, json: json, headers: headers)
    }

    func delete(_ path: String, token: String? = nil, headers: [String: String] = [:]) async throws -> HTTPAnswer {
        try await request("DELETE", path, token: token, headers: headers)
    }

    /// Creates a unit with a unique code and returns its JSON.
    func createUnit(_ fields: [String: Any] = [:], token: String? = nil) async throws -> [String: Any] {
        var body: [String: Any] = ["code": uniqueCode(), "name": "Trường THPT Thử nghiệm \(uniqueCode())", "kind": "high_school"]
        for (key, value) in fields { body[key] = value }
        let answer = try await post("/v1/units", body, token: token)
        guard answer.status == 201 else { throw CLIError("creating a unit answered \(answer.status): \(answer.text)") }
        return answer.json
    }

    /// Audit rows for one resource, oldest first.
    func auditActions(_ type: String, id: String) async throws -> [String] {
        let rows = try await pool.query("SELECT action FROM audit_events WHERE resource_type = \(type) AND resource_id = \(id) ORDER BY id")
        return try rows.map { try $0.decode("action", as: String.self) }
    }
}

func uniqueCode(_ prefix: String = "T") -> String { "\(prefix)-\(UUID().uuidString.prefix(12))" }

/// One server for the whole test process. The first caller starts it; callers that arrive while
/// it starts await the same task (an actor alone would let each of them start its own).
private actor SharedServer {
    private var starting: Task<TestServer, any Error>?

    func server() async throws -> TestServer {
        if let starting { return try await starting.value }
        let task = Task { try await SharedServer.start() }
        starting = task
        return try await task.value
    }

    private static func start() async throws -> TestServer {
        let url = try await TestDatabase.createDatabase(prefix: "ttdn")
        let config = TestServer.makeConfig(databaseURL: url)
        let pool = config.makePool(logger: .init(label: "test"))
        try await Migrator(directory: config.migrationsDirectory).migrate(on: pool)
        _ = try await Seeder.seed(config, pool: pool, logger: .init(label: "test"))
        let admin = try await pool.withConnection { connection in
            try await Tokens.create(on: connection, role: .admin, unitID: nil, name: "test admin", expiresOn: nil).secret
        }
        let (port, _) = try await TestServer.start(config)
        return TestServer(baseURL: "http://127.0.0.1:\(port)", pool: pool, config: config, adminToken: admin)
    }
}
