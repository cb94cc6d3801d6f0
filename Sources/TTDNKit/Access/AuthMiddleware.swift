import Hummingbird
import NIOCore
import PQ

/// Who may call a route. Every route needs a caller unless its registration says `.public`:
/// the decision belongs to the route that matched (its router group), never to the text of the
/// path, so no spelling of a path (`//v1/units`, `/v1/units/`) can reach a handler without a token.
public enum RouteAccess: Sendable {
    /// `/healthz`, `/readyz`, `/metrics`: no data of the plan.
    case `public`
    /// `Authorization: Bearer <token>`, then the per-token rate limit.
    case caller
}

/// Authenticates the caller of a `.caller` route. Missing, malformed, unknown, expired or
/// revoked: 401 with WWW-Authenticate. `verify` looks the token up (or finds it in the cache of
/// tokens verified a moment ago). Failed authentications are also counted per client address, so
/// a client guessing tokens is refused (429) before it costs another lookup.
package struct Authenticator: Sendable {
    /// The caller a well-formed token names, or why none; `beforeLookup` runs before the token
    /// costs a database lookup (the tokens resource provides it).
    package typealias Verify = @Sendable (_ token: String, _ beforeLookup: () throws -> Void) async throws -> Result<Principal, AuthenticationFailure>
    package let pool: PQPool
    package let verify: Verify
    package let limiter: RateLimiter?

    package init(pool: PQPool, verify: @escaping Verify, limiter: RateLimiter?) {
        self.pool = pool
        self.verify = verify
        self.limiter = limiter
    }

    package func authenticate(_ request: Request, context: inout AppRequestContext) async throws {
        try await Cursor.loadKey(from: pool)
        // Built only when a token fails or needs a lookup, not on every request. (A public id is
        // 12 letters and digits, so it never collides with an address key.)
        let address = context.clientAddress
        func addressKey() -> String { "address " + (address ?? "unknown") }
        do {
            let principal = try await principal(request) {
                // Only a token that needs a lookup is refused: one verified a moment ago is not
                // held up by another client failing from the same address.
                if let limiter, let wait = limiter.refusal(addressKey()) {
                    throw limiter.problem(wait, for: "failed authentication from this address")
                }
            }
            context.principal = principal
            // Metadata costs a copy of the logger on every request; only worth it when it is logged.
            if context.logger.logLevel <= .info { context.logger[metadataKey: "token"] = .string(principal.publicID) }
        } catch let problem as Problem where problem.status == .unauthorized {
            _ = limiter?.take(addressKey())
            throw problem
        }
        if let limiter, let wait = limiter.take(context.principal!.publicID) {
            throw limiter.problem(wait, for: "this token")
        }
    }

    private func principal(_ request: Request, beforeLookup: () throws -> Void) async throws -> Principal {
        guard let header = request.headers[.authorization] else {
            throw Problem.unauthorized("send Authorization: Bearer <token>", error: nil)
        }
        guard let token = Self.bearerToken(header) else {
            throw Problem.unauthorized("the Authorization header must be: Bearer <token>", error: "invalid_request")
        }
        switch try await verify(token, beforeLookup) {
        case .failure(.malformed): throw Problem.unauthorized("the bearer token is malformed")
        case .failure(.unknown): throw Problem.unauthorized("the bearer token is not valid")
        case .failure(.expired): throw Problem.unauthorized("the bearer token has expired")
        case .failure(.revoked): throw Problem.unauthorized("the bearer token has been revoked")
        case .success(let principal): return principal
        }
    }

    /// The credentials of `Bearer <token>` (the scheme in any case), without surrounding
    /// whitespace; nil when the header names another scheme or nothing follows it. Read as
    /// `split(separator: " ", maxSplits: 1)` would: by Characters (a space followed by a
    /// combining mark is no separator), leading spaces skipped.
    package static func bearerToken(_ header: String) -> String? {
        var rest = Substring(header)
        while rest.first == " " { rest = rest.dropFirst() }
        guard let space = rest.firstIndex(of: " "),
            rest.utf8[..<space].elementsEqual("bearer".utf8, by: { $0 | 0x20 == $1 })
        else { return nil }
        let credentials = rest[rest.index(after: space)...]
        if credentials.isEmpty { return nil }
        // Nearly always plain ASCII: trimmed by bytes. Anything else as before, by Unicode.
        guard credentials.utf8.allSatisfy({ $0 < 0x80 }) else {
            return String(credentials).trimmingCharacters(in: .whitespaces)
        }
        let isBlank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        let bytes = credentials.utf8
        guard let first = bytes.firstIndex(where: { !isBlank($0) }), let last = bytes.lastIndex(where: { !isBlank($0) }) else {
            return ""
        }
        return String(credentials[first...last])
    }
}

/// The `/v1` group's middleware: runs for every route matched in the group.
package struct AuthMiddleware: RouterMiddleware {
    package typealias Context = AppRequestContext
    package let authenticator: Authenticator

    package func handle(
        _ request: Request, context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        try await authenticator.authenticate(request, context: &context)
        return try await next(request, context)
    }
}
