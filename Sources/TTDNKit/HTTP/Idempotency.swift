import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PQ

/// A response kept whole, so an idempotent POST can store it and replay it.
public struct StoredResponse: Sendable {
    public var status: HTTPResponse.Status
    public var headers: [String: String]
    public var body: Data

    /// What a later retry with the same key is answered with, when it must differ from the
    /// first answer (a new token's secret is shown once and never kept).
    public var replayBody: Data?

    public static func json<T: Encodable>(
        _ value: T, status: HTTPResponse.Status = .ok,
        headers: [String: String] = [:]
    ) throws -> StoredResponse {
        try json(encoded: try JSONOutput.data(value), status: status, headers: headers)
    }

    /// A JSON answer whose body `JSONOutput.data` has already written.
    public static func json(encoded body: Data, status: HTTPResponse.Status = .ok, headers: [String: String] = [:]) -> StoredResponse {
        var headers = headers
        headers["Content-Type"] = "application/json; charset=utf-8"
        return StoredResponse(status: status, headers: headers, body: body)
    }

    /// `value` now, `replay` to a retry.
    public static func json<T: Encodable, R: Encodable>(
        _ value: T, replayedAs replay: R, status: HTTPResponse.Status = .ok,
        headers: [String: String] = [:]
    ) throws -> StoredResponse {
        var stored = try json(value, status: status, headers: headers)
        stored.replayBody = try JSONOutput.data(replay)
        return stored
    }

    public var response: Response {
        var fields = HTTPFields()
        for (name, value) in headers { if let name = HTTPField.Name(name) { fields[name] = value } }
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// `Idempotency-Key` on POST, kept in PostgreSQL for 24 hours so it holds across processes:
/// a retry gets the first response; the same key with another body is 422; a key whose first
/// request is still running is 409. The key is claimed in its own statement, and completed in
/// the same transaction as the write, so a write and its stored response commit together.
public enum Idempotency {
    package static let lifetime = "24 hours"
    /// An in-flight claim older than this is taken as abandoned (its process died) and taken over.
    package static let abandonedAfter = "60 seconds"

    /// The request's Idempotency-Key, if any; a malformed one is a 400.
    package static func validKey(_ request: Request) throws -> String? {
        guard let key = request.headers[.idempotencyKey] else { return nil }
        guard (1...255).contains(key.count), key.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw Problem.badRequest(
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
                errors: [FieldError("Idempotency-Key", "must be 1 to 255 visible ASCII characters")])
        }
        return key
    }

    /// What a key is scoped to: the route that matched and the values it captured, not the
    /// raw path, so no other spelling of the same target can start a second write.
    package static func routeIdentity(_ request: Request, context: AppRequestContext) -> String {
        guard let template = context.endpointPath else { return request.uri.path }
        let captured = context.parameters.map { "\($0.key)=\($0.value)" }.sorted()
        return ([template] + captured).joined(separator: " ")
    }

    public static func run(
        request: Request, context: AppRequestContext, pool: PQPool, body: ByteBuffer,
        _ handler: @escaping (Write) async throws -> StoredResponse
    ) async throws -> Response {
        guard let key = try validKey(request) else {
            return try await context.write(pool, handler).response
        }
        let target = routeIdentity(request, context: context)
        let scope = "\(context.principal?.tokenID.uuidString ?? "anonymous") \(request.method.rawValue) \(target)"
        var hasher = SHA256()
        hasher.update(data: Data(target.utf8))
        // A JSON body is compared by content: the same object with keys in another order is the same request.
        if let value = try? JSONBody.parse(body) {
            hasher.update(data: Data(value.canonical.utf8))
        } else {
            hasher.update(data: Data(body.readableBytesView))
        }
        let requestHash = hasher.finalize().map { String(format: "%02x", $0) }.joined()

        let claimed = try await pool.query(
            """
            INSERT INTO idempotency_keys (scope, key, request_hash) VALUES (\(scope), \(key), \(requestHash))
            ON CONFLICT (scope, key) DO UPDATE
                SET claimed_at = now(), created_at = now(), request_hash = EXCLUDED.request_hash,
                    state = 'in_flight', status = NULL, headers = NULL, body = NULL
                WHERE (idempotency_keys.state = 'in_flight'
                       AND idempotency_keys.claimed_at < now() - \(abandonedAfter)::interval)
                   OR idempotency_keys.created_at < now() - \(lifetime)::interval
            RETURNING 1
            """)
        if Int.random(in: 0..<100) == 0 {
            // Keys live 24 hours; clearing them now and then keeps the table small.
            _ = try? await pool.query("DELETE FROM idempotency_keys WHERE created_at < now() - \(lifetime)::interval")
        }
        if claimed.isEmpty {
            let rows = try await pool.query(
                """
                SELECT request_hash, state, status, headers::text AS headers, body
                FROM idempotency_keys WHERE scope = \(scope) AND key = \(key)
                """)
            guard let row = rows.first else {
                throw Problem.conflict("the Idempotency-Key was released concurrently; retry", slug: "idempotency-key-in-use")
            }
            guard try row.decode("request_hash", as: String.self) == requestHash else {
                throw Problem(
                    .unprocessableContent, slug: "idempotency-key-reused",
                    title: "Idempotency-Key reused with a different request",
                    detail: "this Idempotency-Key was first used with a different request body; use a new key",
                    errors: [FieldError("Idempotency-Key", "was used with a different request body")])
            }
            guard try row.decode("state", as: String.self) == "completed" else {
                var problem = Problem.conflict(
                    "a request with this Idempotency-Key is still in progress; retry shortly",
                    slug: "idempotency-key-in-use")
                problem.headers[.retryAfter] = "1"
                throw problem
            }
            var headers: [String: String] = [:]
            if case .object(let members)? = try? JSONParser.parse(Array(try row.decode("headers", as: String.self).utf8)) {
                for case (let name, .string(let value)) in members { headers[name] = value }
            }
            var stored = StoredResponse(
                status: HTTPResponse.Status(code: try row.decode("status", as: Int.self)), headers: headers,
                body: Data(try row.decode("body", as: String.self).utf8))
            stored.headers["Idempotent-Replayed"] = "true"
            return stored.response
        }

        do {
            return try await context.write(pool) { write in
                let stored = try await handler(write)
                let headers = String(decoding: try JSONOutput.data(stored.headers), as: UTF8.self)
                _ = try await write.query(
                    """
                    UPDATE idempotency_keys
                    SET state = 'completed', status = \(Int(stored.status.code)), headers = \(headers)::jsonb,
                        body = \(String(decoding: stored.replayBody ?? stored.body, as: UTF8.self))
                    WHERE scope = \(scope) AND key = \(key)
                    """)
                return stored
            }.response
        } catch {
            // Nothing was written: free the key so a corrected retry can use it.
            _ = try? await pool.query("DELETE FROM idempotency_keys WHERE scope = \(scope) AND key = \(key) AND state = 'in_flight'")
            throw error
        }
    }
}
