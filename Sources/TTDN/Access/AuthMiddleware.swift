import Hummingbird
import PQ

/// `Authorization: Bearer <token>` on every /v1 route. Missing, malformed, unknown, expired or
/// revoked: 401 with WWW-Authenticate. Looked up in PostgreSQL, or in the `TokenCache` of tokens
/// verified in the last second.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let pool: PQPool
    let cache: TokenCache

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/v1/") || request.uri.path == "/v1" else {
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization] else {
            throw Problem.unauthorized("send Authorization: Bearer <token>")
        }
        let pieces = header.split(separator: " ", maxSplits: 1)
        guard pieces.count == 2, pieces[0].lowercased() == "bearer" else {
            throw Problem.unauthorized("the Authorization header must be: Bearer <token>")
        }
        switch try await Tokens.authenticate(String(pieces[1]).trimmingCharacters(in: .whitespaces), pool: pool, cache: cache) {
        case .failure(.malformed): throw Problem.unauthorized("the bearer token is malformed")
        case .failure(.unknown): throw Problem.unauthorized("the bearer token is not valid")
        case .failure(.expired): throw Problem.unauthorized("the bearer token has expired")
        case .failure(.revoked): throw Problem.unauthorized("the bearer token has been revoked")
        case .success(let principal):
            var context = context
            context.principal = principal
            // Metadata costs a copy of the logger on every request; only worth it when it is logged.
            if context.logger.logLevel <= .info { context.logger[metadataKey: "token"] = .string(principal.publicID) }
            return try await next(request, context)
        }
    }
}
