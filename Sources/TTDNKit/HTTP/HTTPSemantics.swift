import HTTPTypes
import Hummingbird
import NIOCore

/// What RFC 9110 asks of every resource, answered once for all routes (the router itself answers
/// HEAD wherever GET is: `autoGenerateHeadEndpoints`): `OPTIONS` with `Allow` (and `Accept-Patch`
/// where PATCH is), `Vary: Accept` on what `GET` negotiates (JSON or CSV), and CORS for the
/// origins the operator allows (none by default). Hummingbird's CORSMiddleware allows one origin or all of
/// them; an allowlist of city systems needs its own few lines.
package struct HTTPSemanticsMiddleware: RouterMiddleware {
    package typealias Context = AppRequestContext
    let routes: RouteTable
    /// Exact origins (`https://dashboard.haiphong.gov.vn`), or `*` for any; empty: no CORS.
    let allowedOrigins: Set<String>

    static let allowedHeaders = "Authorization, Content-Type, Accept, Accept-Language, If-Match, If-None-Match, Idempotency-Key"
    static let exposedHeaders =
        "ETag, Link, Location, Content-Disposition, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, X-Request-ID, Idempotent-Replayed"
    static let patchTypes = "application/merge-patch+json, application/json"

    package init(routes: RouteTable, allowedOrigins: [String]) {
        self.routes = routes
        self.allowedOrigins = Set(allowedOrigins)
    }

    /// The origin to allow for this request, if any.
    func allowedOrigin(_ request: Request) -> String? {
        guard let origin = request.headers[.origin], !allowedOrigins.isEmpty else { return nil }
        if allowedOrigins.contains("*") { return "*" }
        return allowedOrigins.contains(origin) ? origin : nil
    }

    /// Every method the path answers, with HEAD beside GET and OPTIONS itself.
    func allowed(_ path: String) -> [String] {
        var methods = routes.methods(matching: path).map(\.rawValue)
        guard !methods.isEmpty else { return [] }
        if methods.contains("GET") { methods.append("HEAD") }
        methods.append("OPTIONS")
        return methods
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let origin = allowedOrigin(request)
        var response: Response
        switch request.method {
        case .options:
            let methods = allowed(request.uri.path)
            guard !methods.isEmpty else { return try await next(request, context) }  // 404 as any unknown path
            var headers = HTTPFields()
            headers[.allow] = methods.joined(separator: ", ")
            if methods.contains("PATCH") { headers[.acceptPatch] = Self.patchTypes }
            if origin != nil {
                headers[.accessControlAllowMethods] = methods.joined(separator: ", ")
                headers[.accessControlAllowHeaders] = Self.allowedHeaders
                headers[.accessControlMaxAge] = "600"
            }
            response = Response(status: .noContent, headers: headers)
        default:
            response = try await next(request, context)
        }
        if request.method == .get || request.method == .head, request.uri.path.hasPrefix("/v1/") {
            response.headers[values: .vary].append("Accept")
        }
        if let origin {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.accessControlExposeHeaders] = Self.exposedHeaders
            if origin != "*" { response.headers[values: .vary].append("Origin") }
        }
        return response
    }
}

extension HTTPField.Name {
    static let acceptPatch = HTTPField.Name("Accept-Patch")!
}
