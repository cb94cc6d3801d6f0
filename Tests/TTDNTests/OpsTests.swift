import Foundation
import TTDN
import TTDNKit
import TestSupport
import Testing

@Suite("Ops endpoints and HTTP basics")
struct OpsTests {
    @Test func healthAndReadinessAnswerWithoutToken() async throws {
        let server = try await TestServer.get()
        let health = try await server.request("GET", "/healthz", headers: ["Authorization": ""])
        #expect(health.status == 200)
        let ready = try await server.request("GET", "/readyz", headers: ["Authorization": ""])
        #expect(ready.status == 200)
    }

    @Test func metricsExposeRequestDurationByRouteMethodAndStatus() async throws {
        let server = try await TestServer.get()
        _ = try await server.get("/v1/units?limit=1")
        let metrics = try await server.request("GET", "/metrics", headers: ["Authorization": ""])
        #expect(metrics.status == 200)
        #expect(metrics.text.contains("# TYPE http_server_request_duration_seconds histogram"))
        #expect(metrics.text.contains("# HELP http_server_request_duration_seconds "))
        #expect(metrics.text.contains("# TYPE http_server_requests_total counter"))
        #expect(metrics.text.contains("http_server_active_requests{"))
        #expect(metrics.text.contains("ttdn_build_info{version=\"\(TTDNBuild.version)\"} 1"))
        #expect(metrics.text.contains("# HELP ttdn_db_pool_size "))
        #expect(metrics.text.contains("ttdn_db_pool_in_use_connections "))
        #expect(metrics.text.contains("ttdn_db_pool_waiters "))
        #expect(metrics.text.contains("process_cpu_seconds_total "))
        #expect(metrics.text.contains("process_resident_memory_bytes "))
        #expect(metrics.text.contains("process_open_fds "))
        // Conventions: no counter without `_total`, no duration without its unit.
        #expect(!metrics.text.contains("hb_requests"))
        #expect(!metrics.text.contains("http_server_request_duration{"))
        #expect(metrics.text.contains("http_route=\"/v1/units\""))
        #expect(metrics.text.contains("http_request_method=\"GET\""))
        #expect(metrics.text.contains("http_response_status_code=\"200\""))
    }

    @Test func unknownPathIsProblem404() async throws {
        let server = try await TestServer.get()
        let answer = try await server.get("/v1/nothing-here")
        #expect(answer.status == 404)
        #expect(answer.header("Content-Type") == "application/problem+json")
        #expect(answer.json["status"] as? Int == 404)
        #expect(answer.json["type"] as? String != nil)
    }

    @Test func knownPathWithOtherMethodIs405WithAllow() async throws {
        let server = try await TestServer.get()
        let answer = try await server.request("PUT", "/v1/units")
        #expect(answer.status == 405)
        #expect(answer.header("Allow") == "GET, POST")
        let item = try await server.request("POST", "/v1/units/00000000-0000-0000-0000-000000000000")
        #expect(item.status == 405)
        #expect(item.header("Allow")?.contains("PATCH") == true)
    }

    @Test func requestIDIsEchoedOrGenerated() async throws {
        let server = try await TestServer.get()
        let echoed = try await server.get("/healthz", headers: ["X-Request-ID": "trace-4711"])
        #expect(echoed.header("X-Request-ID") == "trace-4711")
        let generated = try await server.get("/v1/units/not-a-unit")
        #expect(generated.header("X-Request-ID")?.count == 36)
    }

    @Test func oversizedBodyIs413AndMalformedJSONIs400() async throws {
        let server = try await TestServer.get()
        let big = Data(repeating: UInt8(ascii: "a"), count: (1 << 20) + 10)
        let tooLarge = try await server.request("POST", "/v1/units", body: big, headers: ["Content-Type": "application/json"])
        #expect(tooLarge.status == 413)
        #expect(tooLarge.header("Content-Type") == "application/problem+json")
        let malformed = try await server.request("POST", "/v1/units", body: Data("{\"code\": ".utf8), headers: ["Content-Type": "application/json"])
        #expect(malformed.status == 400)
        let invalidUTF8 = try await server.request(
            "POST", "/v1/units", body: Data([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), headers: ["Content-Type": "application/json"])
        #expect(invalidUTF8.status == 400)
        let wrongType = try await server.request(
            "POST", "/v1/units", body: Data("code=x".utf8), headers: ["Content-Type": "application/x-www-form-urlencoded"])
        #expect(wrongType.status == 415)
    }
}
