import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PQ
import Synchronization

extension HTTPField.Name {
    package static let requestID = HTTPField.Name("X-Request-ID")!
    package static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    package static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
    package static let link = HTTPField.Name("Link")!
}

/// Request ids made here: random version-4 UUIDs in form, unique within the process by a
/// counter and across processes by a random base. `UUID()` reads /dev/urandom each time
/// (open, read, close: three system calls per request); an id needs uniqueness, not secrecy.
package enum RequestID {
    private static let base: (UInt64, UInt64) = {
        var generator = SystemRandomNumberGenerator()
        return (generator.next(), generator.next())
    }()
    private static let counter = Atomic<UInt64>(0)

    package static func next() -> UUID {
        let count = counter.add(1, ordering: .relaxed).newValue
        // Multiplying by an odd number is a bijection modulo 2^62: distinct counts stay
        // distinct in the 62 bits the variant leaves free.
        let low = (base.1 ^ (count &* 0x9E37_79B9_7F4A_7C15)) & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000
        let high = base.0 & 0xFFFF_FFFF_FFFF_0FFF | 0x0000_0000_0000_4000
        return withUnsafeBytes(of: (high.bigEndian, low.bigEndian)) { bytes in
            UUID(uuid: bytes.load(as: uuid_t.self))
        }
    }
}

/// Outermost: takes `X-Request-ID` (or makes one), puts it on the logger and the response,
/// and writes one access-log line per request.
package struct RequestLogMiddleware: RouterMiddleware {
    package typealias Context = AppRequestContext

    package init() {}

    /// The public part of the bearer token (never the secret), for the access log.
    package static func publicID(_ request: Request) -> String? {
        guard let header = request.headers[.authorization], let token = Authenticator.bearerToken(header) else { return nil }
        return BearerToken.parse(token)?.publicID
    }

    package func handle(
        _ request: Request, context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        let supplied = request.headers[.requestID].flatMap { id -> String? in
            let valid = (1...128).contains(id.count) && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) }
            return valid ? id : nil
        }
        context.requestID = supplied ?? RequestID.next().lowercasedString
        // One request id in the log: ours (the caller's when valid), not Hummingbird's own too.
        context.logger[metadataKey: "hb.request.id"] = nil
        context.logger[metadataKey: "request_id"] = .string(context.requestID)
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            // ProblemMiddleware turns everything into a response; this is the last resort.
            response = Problem(
                .internalServerError, slug: "internal-error", title: "Internal server error",
                detail: "the server failed to answer; quote request id \(context.requestID)"
            ).response()
        }
        response.headers[.requestID] = context.requestID
        // Below info (LOG_LEVEL=warning) there is no access line to write: nothing is gathered
        // for it (its metadata, the token's public id, the body wrapped to time it).
        guard context.logger.logLevel <= .info else { return response }
        // Logged once the body is written: a streamed CSV's time is the whole of it.
        let logger = context.logger
        let metadata: Logger.Metadata = [
            "method": .string(request.method.rawValue),
            "path": .string(request.uri.path),
            "status": .stringConvertible(response.status.code),
            "token": .string(RequestLogMiddleware.publicID(request) ?? "-"),
            "client": .string(context.clientAddress ?? "-"),
        ]
        return try await response.whenWritten(to: request) { error in
            var outcome = metadata
            if error != nil { outcome["error"] = .string("the answer was cut off") }
            Self.log(logger, outcome, since: start)
        }
    }

    static func log(_ logger: Logger, _ metadata: Logger.Metadata, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        var metadata = metadata
        metadata["duration_ms"] = .string(String(format: "%.2f", milliseconds))
        logger.info("request", metadata: metadata)
    }
}

/// Turns every error into `application/problem+json`: 404/405 for routing, 413 for bodies,
/// 503 with Retry-After when the database is unreachable, 500 (logged, never detailed) otherwise.
package struct ProblemMiddleware: RouterMiddleware {
    package typealias Context = AppRequestContext
    package let routes: RouteTable

    package init(routes: RouteTable) { self.routes = routes }

    package func handle(
        _ request: Request, context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            var response = try await next(request, context)
            // Gathered here, inside the mapping of errors: a small body that fails while it is
            // made (an attachment's chunk gone) is answered as its problem, before anything is sent.
            if request.method != .head, let small = try await response.body.inOneBuffer() { response.body = small }
            return response
        } catch let problem as Problem {
            return problem.response(instance: request.uri.path)
        } catch let error as PQError {
            return problem(for: error, context: context).response(instance: request.uri.path)
        } catch let error as HTTPError {
            return problem(for: error, request: request).response(instance: request.uri.path)
        } catch is CancellationError {
            return Problem.unavailable("the request was cancelled").response(instance: request.uri.path)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": .string(String(describing: type(of: error)))])
            return Problem(
                .internalServerError, slug: "internal-error", title: "Internal server error",
                detail: "the server failed to answer; quote request id \(context.requestID)"
            )
            .response(instance: request.uri.path)
        }
    }

    private func problem(for error: PQError, context: Context) -> Problem {
        if error.isUnavailable {
            context.logger.warning("database unavailable", metadata: ["error": .string(error.description)])
            return .unavailable("the database is unavailable; retry shortly")
        }
        if error.isQueryCanceled {
            context.logger.warning("statement timed out", metadata: ["error": .string(error.description)])
            return .unavailable("the database took too long to answer; retry shortly")
        }
        if let state = error.sqlState, state.hasPrefix("23") {
            // An integrity rule the handler did not explain: still the caller's data, never a 500.
            context.logger.notice("unexplained constraint violation", metadata: ["error": .string(error.description)])
            let field = error.column ?? "body"
            if error.isUniqueViolation {
                return .conflict(
                    "the request conflicts with existing data (\(error.constraint ?? "unique"))",
                    errors: [FieldError(field, "is already used")])
            }
            return .validation([FieldError(field, "breaks the rule \(error.constraint ?? "of the database")")])
        }
        if let state = error.sqlState, state.hasPrefix("22") {
            context.logger.notice("data exception", metadata: ["error": .string(error.description)])
            return .validation([FieldError(error.column ?? "body", "has a value out of range for its type")])
        }
        if error.isSerializationFailure {
            return .unavailable("the request collided with a concurrent change; retry", retryAfterSeconds: 1)
        }
        context.logger.error("database error", metadata: ["error": .string(error.description)])
        return Problem(
            .internalServerError, slug: "internal-error", title: "Internal server error",
            detail: "the server failed to answer; quote request id \(context.requestID)")
    }

    private func problem(for error: HTTPError, request: Request) -> Problem {
        switch error.status {
        case .notFound:
            let allowed = routes.methods(matching: request.uri.path)
            if !allowed.isEmpty {
                var headers = HTTPFields()
                headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
                return Problem(
                    .methodNotAllowed, slug: "method-not-allowed", title: "Method not allowed",
                    detail: "\(request.method.rawValue) is not allowed here; use \(headers[.allow]!)", headers: headers)
            }
            return Problem(.notFound, slug: "not-found", title: "Not found", detail: "no resource at \(request.uri.path)")
        case .contentTooLarge:
            return JSONBody.tooLarge
        default:
            return Problem(
                error.status, slug: "http-error", title: error.status.reasonPhrase,
                detail: error.body ?? error.status.reasonPhrase)
        }
    }
}
