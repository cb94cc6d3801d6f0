import Foundation
import PQ
import TTDN
import TTDNKit
import TestSupport
import Testing

/// RFC 9110 and CORS, for every route (the test server allows one origin: `https://dashboard.haiphong.gov.vn`).
@Suite("HTTP semantics: HEAD, OPTIONS, Vary, CORS, challenges")
struct HTTPSemanticsTests {
    @Test func headAnswersWhatGetAnswersWithoutABody() async throws {
        let server = try await TestServer.get()
        let health = try await server.request("HEAD", "/healthz")
        #expect(health.status == 200)
        #expect(health.body.isEmpty)
        let unit = try await server.createUnit()
        let path = "/v1/units/\(unit["id"]!)"
        let get = try await server.get(path)
        let head = try await server.request("HEAD", path)
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        #expect(head.header("ETag") == get.header("ETag"))
        #expect(head.header("Content-Type") == get.header("Content-Type"))
        #expect(try await server.request("HEAD", path, headers: ["If-None-Match": get.header("ETag")!]).status == 304)
        #expect(try await server.request("HEAD", "/v1/units/\(UUID().uuidString.lowercased())").status == 404)
        #expect(try await server.request("HEAD", "/v1/units", headers: ["Authorization": ""]).status == 401)
    }

    @Test func optionsSaysWhatIsAllowed() async throws {
        let server = try await TestServer.get()
        let collection = try await server.request("OPTIONS", "/v1/units", headers: ["Authorization": ""])
        #expect(collection.status == 204)
        #expect(collection.header("Allow") == "GET, POST, HEAD, OPTIONS")
        let item = try await server.request("OPTIONS", "/v1/units/\(UUID().uuidString.lowercased())")
        #expect(Set((item.header("Allow") ?? "").components(separatedBy: ", ")) == ["GET", "PATCH", "DELETE", "HEAD", "OPTIONS"])
        #expect(item.header("Accept-Patch") == "application/merge-patch+json, application/json")
        #expect(try await server.request("OPTIONS", "/v1/nothing-here").status == 404)
        let put = try await server.request("PUT", "/v1/units")
        #expect(put.status == 405)
    }

    @Test func negotiatedAnswersVaryByAccept() async throws {
        let server = try await TestServer.get()
        let list = try await server.get("/v1/units?limit=1")
        #expect(list.header("Vary")?.contains("Accept") == true)
        let csv = try await server.get("/v1/units?limit=1", headers: ["Accept": "text/csv"])
        #expect(csv.header("Vary")?.contains("Accept") == true)
    }

    @Test func corsForTheAllowedOriginOnly() async throws {
        let server = try await TestServer.get()
        let origin = "https://dashboard.haiphong.gov.vn"
        let preflight = try await server.request(
            "OPTIONS", "/v1/units", headers: ["Authorization": "", "Origin": origin, "Access-Control-Request-Method": "POST"])
        #expect(preflight.status == 204)
        #expect(preflight.header("Access-Control-Allow-Origin") == origin)
        #expect(preflight.header("Access-Control-Allow-Methods")?.contains("POST") == true)
        #expect(preflight.header("Access-Control-Allow-Headers")?.contains("Authorization") == true)
        let get = try await server.get("/v1/units?limit=1", headers: ["Origin": origin])
        #expect(get.header("Access-Control-Allow-Origin") == origin)
        #expect(get.header("Access-Control-Expose-Headers")?.contains("ETag") == true)
        #expect(get.header("Vary")?.contains("Origin") == true)
        let stranger = try await server.get("/v1/units?limit=1", headers: ["Origin": "https://evil.example"])
        #expect(stranger.header("Access-Control-Allow-Origin") == nil)
        let strangerPreflight = try await server.request("OPTIONS", "/v1/units", headers: ["Authorization": "", "Origin": "https://evil.example"])
        #expect(strangerPreflight.header("Access-Control-Allow-Methods") == nil)
    }

    @Test func theChallengeNamesAnErrorOnlyWhenCredentialsWereSent() async throws {
        let server = try await TestServer.get()
        // Without an Authorization header (sent by hand: URLSession may add or drop an empty one).
        let port = URLComponents(string: server.baseURL)!.port!
        let connection = try await RawConnection.open(port: port)
        await connection.send("GET /v1/units HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        let (raw, _) = await connection.readUntilClosed(timeout: .seconds(10))
        #expect(raw.hasPrefix("HTTP/1.1 401"))
        #expect(raw.lowercased().contains("www-authenticate: bearer realm=\"ttdn\"\r\n"))
        let wrong = try await server.get("/v1/units", token: "ttdn_AAAAAAAAAAAA_" + String(repeating: "A", count: 43))
        #expect(wrong.header("WWW-Authenticate") == "Bearer realm=\"ttdn\", error=\"invalid_token\"")
        let scheme = try await server.request("GET", "/v1/units", headers: ["Authorization": "Basic eDp5"])
        #expect(scheme.header("WWW-Authenticate") == "Bearer realm=\"ttdn\", error=\"invalid_request\"")
    }
}

@Suite("Canonical paths and token shapes, by byte")
struct ByteParsingTests {
    /// Every path of up to five characters from an alphabet with each case in it, against the
    /// rule as words: starts with `/`; `/` alone, or no trailing `/`, only unreserved bytes, and
    /// no segment empty, `.` or `..`.
    @Test func canonicalPathsAreExactlyTheRule() {
        let alphabet: [Character] = ["a", ".", "/", "%", "~", "é"]
        func rule(_ path: String) -> Bool {
            guard path.first == "/" else { return false }
            if path == "/" { return true }
            let unreserved = path.unicodeScalars.allSatisfy {
                $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-._~/".unicodeScalars.contains($0))
            }
            let segments = path.dropFirst().components(separatedBy: "/")
            return unreserved && !segments.contains { ["", ".", ".."].contains($0) }
        }
        var paths = [""]
        var frontier = [""]
        for _ in 1...5 {
            frontier = frontier.flatMap { prefix in alphabet.map { prefix + String($0) } }
            paths += frontier
        }
        for path in paths {
            #expect(CanonicalPathMiddleware.isCanonical(path) == rule(path), "\(path)")
        }
        #expect(CanonicalPathMiddleware.isCanonical("/v1/units/3f2c7a52-0000-4000-8000-000000000001"))
        #expect(!CanonicalPathMiddleware.isCanonical("/v1/units/"))
        #expect(CanonicalPathMiddleware.isCanonical("/v1/.../x"))
    }

    @Test func tokenShapesAreReadByByte() {
        let publicID = "Ab3dEf6hIj9L"
        let secret = String(repeating: "x1Y2", count: 10)
        #expect(BearerToken.parse("ttdn_\(publicID)_\(secret)").map { "\($0.publicID) \($0.secret)" } == "\(publicID) \(secret)")
        let refused = [
            "", "ttdn_\(publicID)_\(secret)x", "ttdn_\(publicID)_\(secret.dropLast())", "ttdx_\(publicID)_\(secret)",
            "ttdn_\(publicID)-\(secret)", "ttdn_\(publicID.dropLast())__\(secret)", "ttdn_\(publicID)_\(secret.dropLast())_",
            "ttdn_\(publicID.dropLast())é_\(secret)", "TTDN_\(publicID)_\(secret)", "ttdn__\(publicID)\(secret)",
        ]
        for token in refused {
            #expect(BearerToken.parse(token) == nil, "\(token)")
        }
    }
}
