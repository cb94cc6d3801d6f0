import Foundation
import PQ
import Synchronization
import TTDN
import TTDNKit
import TestSupport
import Testing

final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

/// These stop and start a PostgreSQL of their own, so the other tests are not disturbed.
@Suite("The server when the database goes away")
struct DatabaseOutageTests {
    @Test func readinessFollowsTheDatabaseWithoutRestartingTheServer() async throws {
        let cluster = try PrivateCluster()
        defer { cluster.destroy() }
        var config = TestServer.makeConfig(databaseURL: cluster.url)
        config.migrateOnStart = true
        let (port, task) = try await TestServer.start(config)
        defer { task.cancel() }
        let pool = config.makePool(logger: .init(label: "test"))
        defer { pool.close() }
        let token = try await pool.withConnection {
            try await Tokens.create(on: $0, role: .admin, unitID: nil, name: "outage", expiresOn: nil).secret
        }
        let server = TestServer(baseURL: "http://127.0.0.1:\(port)", pool: pool, config: config, adminToken: token)
        #expect(try await server.get("/readyz").status == 200)
        #expect(try await server.post("/v1/units", ["code": uniqueCode(), "name": "Trước", "kind": "high_school"]).status == 201)

        // A steady mix of reads and writes for the whole test; every acknowledged write must survive.
        let acknowledgedSoFar = Counter()
        let load = Task { () -> (acknowledged: [String], statuses: [Int: Int]) in
            var acknowledged: [String] = []
            var statuses: [Int: Int] = [:]
            while !Task.isCancelled {
                let code = uniqueCode("LOAD")
                let body = try JSONSerialization.data(withJSONObject: ["code": code, "name": "Tải", "kind": "high_school"])
                if let write = try? await server.request("POST", "/v1/units", body: body, headers: ["Content-Type": "application/json"]) {
                    statuses[write.status, default: 0] += 1
                    if write.status == 201 {
                        acknowledged.append(code)
                        acknowledgedSoFar.increment()
                    }
                }
                if let read = try? await server.get("/v1/units?limit=5") { statuses[read.status, default: 0] += 1 }
                try? await Task.sleep(for: .milliseconds(20))
            }
            return (acknowledged, statuses)
        }

        /// Lets the load acknowledge a few more writes, so every phase has some.
        func letLoadRun() async throws {
            let target = acknowledgedSoFar.value + 3
            let deadline = ContinuousClock.now + .seconds(20)
            while acknowledgedSoFar.value < target, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        try await letLoadRun()
        for mode in ["fast", "immediate"] {
            try cluster.stop(mode: mode)
            let started = ContinuousClock.now
            let ready = try await server.get("/readyz")
            #expect(ready.status == 503)
            #expect(ready.header("Retry-After") != nil)
            #expect(try await server.get("/healthz").status == 200)
            let list = try await server.get("/v1/units")
            #expect(list.status == 503, "\(mode): \(list.text)")
            #expect(list.header("Retry-After") != nil)
            #expect(list.header("Content-Type") == "application/problem+json")
            let write = try await server.post("/v1/units", ["code": uniqueCode(), "name": "Trong lúc mất", "kind": "high_school"])
            #expect(write.status == 503)
            #expect(ContinuousClock.now - started < .seconds(10))

            try cluster.start()
            var recovered = false
            let back = ContinuousClock.now
            while ContinuousClock.now - back < .seconds(5) {
                if try await server.get("/readyz").status == 200 { recovered = true; break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(recovered, "\(mode): not ready within 5 s of PostgreSQL coming back")
            #expect(try await server.get("/v1/units?limit=1").status == 200)
            #expect(try await server.post("/v1/units", ["code": uniqueCode(), "name": "Sau", "kind": "high_school"]).status == 201)
        }
        try await letLoadRun()
        load.cancel()
        let (acknowledged, statuses) = try await load.value
        #expect(statuses[500] == nil, "\(statuses)")
        #expect(Set(statuses.keys).isSubset(of: [200, 201, 503]), "\(statuses)")
        #expect(!acknowledged.isEmpty)
        let stored = try await pool.query("SELECT count(*)::int8 AS n FROM units WHERE code = ANY(\(acknowledged))")
        #expect(try stored[0].decode("n", as: Int.self) == acknowledged.count)
    }

    @Test func startsWithTheDatabaseDownAndBecomesReady() async throws {
        let cluster = try PrivateCluster()
        defer { cluster.destroy() }
        let pool = PQPool(configuration: PQConfiguration(url: cluster.url), maxConnections: 1)
        defer { pool.close() }
        try await Migrator(directory: URL(fileURLWithPath: sqlDirectory).appendingPathComponent("migrations")).migrate(on: pool)
        try cluster.stop(mode: "fast")
        let config = TestServer.makeConfig(databaseURL: cluster.url)
        let (port, task) = try await TestServer.start(config)
        defer { task.cancel() }
        let server = TestServer(baseURL: "http://127.0.0.1:\(port)", pool: pool, config: config, adminToken: "")
        #expect(try await server.get("/readyz").status == 503)
        try cluster.start()
        var ready = false
        for _ in 0..<50 where !ready {
            ready = try await server.get("/readyz").status == 200
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(ready)
    }

    @Test func refusesToServeAnUnmigratedDatabase() async throws {
        let url = try await TestDatabase.createDatabase(prefix: "unmigrated")
        let config = TestServer.makeConfig(databaseURL: url)
        await #expect(throws: StartupError.self) {
            _ = try await buildApplication(config)
        }
    }
}
