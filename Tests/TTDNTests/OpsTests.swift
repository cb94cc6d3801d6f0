import Foundation
import Hummingbird
import Logging
import Synchronization
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
        #expect(metrics.text.contains("ttdn_db_pool_shared_leases "))
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

    /// Hummingbird drops a HEAD answer's body unwritten, so a HEAD is counted when it is
    /// answered; a large body (the contract, over 64 KiB) used to wait for a last byte that
    /// never came, and was never counted.
    @Test func headAnswersAreCountedLargeOrSmall() async throws {
        let server = try await TestServer.get()
        let large = try await server.request("HEAD", "/openapi.yaml", headers: ["Authorization": ""])
        #expect(large.status == 200)
        #expect(large.body.isEmpty)
        let small = try await server.request("HEAD", "/healthz", headers: ["Authorization": ""])
        #expect(small.status == 200)
        let metrics = try await server.request("GET", "/metrics", headers: ["Authorization": ""]).text
        for route in ["/openapi.yaml", "/healthz"] {
            let series = "http_server_requests_total{http_request_method=\"HEAD\",http_route=\"\(route)\",http_response_status_code=\"200\"}"
            #expect(metrics.contains(series), "\(route)")
        }
        // The same large body to a GET is counted once its last byte is written.
        let got = try await server.request("GET", "/openapi.yaml", headers: ["Authorization": ""])
        #expect(got.body.count > ResponseBody.oneBufferLimit)
        let after = try await server.request("GET", "/metrics", headers: ["Authorization": ""]).text
        #expect(
            after.contains("http_server_requests_total{http_request_method=\"GET\",http_route=\"/openapi.yaml\",http_response_status_code=\"200\"}"))
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

    /// Made ids are version-4 UUIDs in form and never repeat, from any number of tasks at once.
    @Test func madeRequestIDsAreDistinctVersion4UUIDs() async throws {
        let ids = await withTaskGroup(of: [UUID].self) { group in
            for _ in 0..<4 { group.addTask { (0..<5_000).map { _ in RequestID.next() } } }
            return await group.reduce(into: [UUID]()) { $0 += $1 }
        }
        #expect(Set(ids).count == 20_000)
        for id in ids.prefix(1_000) {
            let text = id.uuidString.lowercased()
            #expect(text.count == 36)
            #expect(Array(text)[14] == "4", "\(text)")
            #expect("89ab".contains(Array(text)[19]), "\(text)")
        }
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

    /// The text handler writes StreamLogHandler's lines, with the metadata set before the line.
    @Test func textLogLinesAreStreamLogHandlerLines() throws {
        final class Lines: TextOutputStream, @unchecked Sendable {
            let text = Mutex("")
            func write(_ string: String) { text.withLock { $0 += string } }
        }
        let ours = Lines()
        let theirs = Lines()
        var handler = TextLogHandler(label: "ttdn") { StreamLogHandler(label: $0, stream: ours, metadataProvider: nil) }
        var reference = StreamLogHandler(label: "ttdn", stream: theirs, metadataProvider: nil)
        for key in ["hb.request.id", "request_id", "token"] {
            handler[metadataKey: key] = "v-\(key)"
            reference[metadataKey: key] = "v-\(key)"
        }
        handler[metadataKey: "hb.request.id"] = nil
        reference[metadataKey: "hb.request.id"] = nil
        for logHandler in [handler as any LogHandler, reference] {
            var logger = Logger(label: "ttdn") { _ in logHandler }
            logger.logLevel = .info
            logger.warning("slow", metadata: ["status": .stringConvertible(200)])
            logger.debug("not at info")
        }
        // The same line but for the timestamp (its first word).
        let line = { (lines: Lines) in lines.text.withLock { $0 }.split(separator: " ", maxSplits: 1).last.map(String.init) }
        #expect(line(ours) == line(theirs))
        #expect(line(ours)?.hasPrefix("warning ttdn: request_id=v-request_id status=200 token=v-token [") == true, "\(line(ours) ?? "")")
        #expect(ours.text.withLock { $0.filter { $0 == "\n" }.count } == 1)
    }

    @Test func jsonLogsAreOneObjectPerLineWithMillisecondTimestamps() throws {
        let lines = Mutex<[[UInt8]]>([])
        var handler = JSONLogHandler(label: "ttdn") { line in lines.withLock { $0.append(line) } }
        handler[metadataKey: "request_id"] = "abc"
        var logger = Logger(label: "ttdn") { _ in handler }
        logger.logLevel = .info
        logger.info("request", metadata: ["status": .stringConvertible(200), "path": "/v1/units"])
        logger.debug("not at info")
        let written = lines.withLock { $0 }
        #expect(written.count == 1)
        let line = try #require(written.first)
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(line.dropLast().contains(UInt8(ascii: "\n")) == false)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
        #expect(object["message"] as? String == "request")
        #expect(object["level"] as? String == "info")
        #expect(object["request_id"] as? String == "abc")
        #expect(object["status"] as? String == "200")
        let timestamp = try #require(object["timestamp"] as? String)
        #expect(timestamp.range(of: "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$", options: .regularExpression) != nil)
    }

    @Test func everyBadSettingIsRefusedWithItsName() {
        let config = AppConfig.fromEnvironment([
            "LOG_LEVEL": "verbose", "LOG_FORMAT": "xml", "TTDN_POOL_SIZE": "0", "PORT": "eighty", "TTDN_REMINDER_DAYS": "7,soon",
            "TTDN_WEBHOOK_RETRY_HOURS": "12", "TTDN_RATE_LIMIT_RPS": "fast",
        ])
        let names = config.invalidSettings.map { String($0.prefix { $0 != "=" }) }
        #expect(
            Set(names) == [
                "LOG_LEVEL", "LOG_FORMAT", "TTDN_POOL_SIZE", "PORT", "TTDN_REMINDER_DAYS", "TTDN_WEBHOOK_RETRY_HOURS", "TTDN_RATE_LIMIT_RPS",
            ])
        #expect(config.invalidSettings.contains { $0.hasPrefix("LOG_LEVEL=verbose (trace, debug, info") })
        let good = AppConfig.fromEnvironment(["LOG_LEVEL": "debug", "LOG_FORMAT": "json", "TTDN_REMINDER_DAYS": "10, 3"])
        #expect(good.invalidSettings.isEmpty)
        #expect(good.logFormat == "json")
        #expect(good.reminders.daysBefore == [10, 3])
    }

    /// `.env.example` gives every setting a value ttdn takes: its defaults.
    @Test func theExampleEnvironmentIsValidAndItsDefaultsAreTheDefaults() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".env.example")
        var environment: [String: String] = [:]
        for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2 { environment[String(parts[0])] = String(parts[1]) }
        }
        #expect(environment.count >= 30)
        let example = AppConfig.fromEnvironment(environment), defaults = AppConfig()
        #expect(example.invalidSettings.isEmpty)
        #expect(example.port == defaults.port && example.poolSize == defaults.poolSize && example.attachmentMaxBytes == defaults.attachmentMaxBytes)
        #expect(example.reminders.daysBefore == defaults.reminders.daysBefore)
        #expect(example.webhooks.retryWindow == defaults.webhooks.retryWindow && example.webhooks.disableAfter == defaults.webhooks.disableAfter)
    }
}
