import HTTPTypes
import Hummingbird

/// Every route ttdn serves, as (method, template). It answers 405 with `Allow` for a known path
/// with another method, and lets `ttdn routes` print the set that tests compare with openapi.yaml.
public final class RouteTable: @unchecked Sendable {
    public struct Route: Hashable, Sendable, CustomStringConvertible {
        public let method: HTTPRequest.Method
        public let template: String
        public var description: String { "\(method.rawValue) \(template)" }
    }

    public private(set) var routes: [Route] = []

    public init() {}

    /// The routes of a built router, as Hummingbird lists them.
    package func load(_ router: Router<AppRequestContext>) {
        routes = router.routes.map { Route(method: $0.method, template: $0.path.description) }
            .sorted { ($0.template, $0.method.rawValue) < ($1.template, $1.method.rawValue) }
    }

    /// Methods registered for templates that match `path`.
    public func methods(matching path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        // Like the router, a literal segment wins over a capture: /v1/units/import is not /v1/units/{id}.
        var best: (literals: [Bool], methods: [HTTPRequest.Method])?
        for route in routes {
            let pattern = route.template.split(separator: "/", omittingEmptySubsequences: true)
            guard pattern.count == segments.count,
                zip(pattern, segments).allSatisfy({ p, s in p.hasPrefix("{") || p == s })
            else { continue }
            let literals = pattern.map { !$0.hasPrefix("{") }
            if let current = best, current.literals == literals {
                if !current.methods.contains(route.method) { best?.methods.append(route.method) }
            } else if best == nil || literals.lexicographicallyPrecedes(best!.literals, by: { $0 && !$1 }) {
                best = (literals, [route.method])
            }
        }
        return best?.methods ?? []
    }
}

/// Where resources register their routes. A route needs an authenticated caller unless it is
/// registered as `.public`: every other route lives in the `/v1` group, behind the
/// authentication middleware, whatever spelling of its path matched (fail closed).
public struct Routes {
    package let router: Router<AppRequestContext>
    package let api: RouterGroup<AppRequestContext>
    package let changes: ChangeFeedTypes

    /// `/v1/aggregates/...`: behind the authentication middleware, then `aggregateValidator`.
    package let aggregates: RouterGroup<AppRequestContext>
    /// Answers aggregates and lists 304 from the database's snapshot.
    let snapshotValidator: SnapshotValidatorMiddleware

    package init(
        router: Router<AppRequestContext>, authenticator: Authenticator, changes: ChangeFeedTypes,
        aggregateValidator: SnapshotValidatorMiddleware
    ) {
        self.router = router
        self.api = router.group("v1").add(middleware: AuthMiddleware(authenticator: authenticator))
        // Every aggregate is answered 304 from the database's snapshot when nothing committed since.
        self.aggregates = api.group("aggregates").add(middleware: aggregateValidator)
        self.snapshotValidator = aggregateValidator
        self.changes = changes
    }

    /// A list (a collection's page, a feed, a history): `GET`, answered 304 from the database's
    /// snapshot as aggregates are, so a script polling it costs one small statement while nothing
    /// was committed. Its answer must come from the database, the caller and the Hai Phong day
    /// alone (the validator's parts, `SnapshotValidatorMiddleware.validator`).
    package func list(_ template: String, _ handler: @escaping Handler) {
        let validator = snapshotValidator
        add(.get, template) { request, context in
            try await validator.handle(request, context: context, next: handler)
        }
    }

    public func add(
        _ method: HTTPRequest.Method, _ template: String, access: RouteAccess = .caller,
        _ handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Response
    ) {
        switch access {
        case .public:
            precondition(!template.hasPrefix("/v1"), "\(template): routes under /v1 need a caller")
            router.on(RouterPath(template), method: method) { request, context in try await handler(request, context) }
        case .caller:
            precondition(template.hasPrefix("/v1/"), "\(template): a route that needs a caller lives under /v1")
            if template.hasPrefix("/v1/aggregates/") {
                aggregates.on(RouterPath(String(template.dropFirst(15))), method: method) { request, context in try await handler(request, context) }
                return
            }
            api.on(RouterPath(String(template.dropFirst(4))), method: method) { request, context in try await handler(request, context) }
        }
    }

    public typealias Handler = @Sendable (Request, AppRequestContext) async throws -> Response

    /// A collection and its items, and their writes in the change feed: `GET` and `POST path`,
    /// `GET`, `PATCH` and `DELETE path/{id}`; a nil handler is a method not served.
    package func collection<R: Audited>(
        of resource: R.Type, _ path: String, list: @escaping Handler, create: Handler?, get: @escaping Handler, update: Handler?,
        delete: Handler?, changesTo visibility: ChangeVisibility = .everyone
    ) {
        publishChanges(of: resource, to: visibility)
        self.list(path, list)
        if let create { add(.post, path, create) }
        add(.get, "\(path)/{id}", get)
        if let update { add(.patch, "\(path)/{id}", update) }
        if let delete { add(.delete, "\(path)/{id}", delete) }
    }

    /// Puts the resource's audited writes in the change feed, for everyone or for admins only.
    package func publishChanges<R: Audited>(of resource: R.Type, to visibility: ChangeVisibility = .everyone) {
        changes.publish(R.auditType, to: visibility)
    }
}

/// Refuses a path that is not written the one way the routes are: an empty segment (`//`), a
/// trailing slash, a `.` or `..` segment, or any character outside the unreserved set
/// (so no percent-encoding such as `%2F`). The router would otherwise match such spellings
/// to a route, and every rule keyed by the route (idempotency, metrics) could be split by them.
package struct CanonicalPathMiddleware: RouterMiddleware {
    package typealias Context = AppRequestContext

    package init() {}

    package static func isCanonical(_ path: String) -> Bool {
        let bytes = path.utf8
        guard bytes.first == UInt8(ascii: "/") else { return false }
        if bytes.count == 1 { return true }
        guard bytes.last != UInt8(ascii: "/") else { return false }
        // One pass: every byte unreserved, and no segment empty, `.` or `..` (a segment's
        // length and dots are counted until the next slash or the end).
        var segmentLength = 0
        var segmentDots = 0
        for byte in bytes.dropFirst() {
            switch byte {
            case UInt8(ascii: "/"):
                if segmentLength == 0 || segmentDots == segmentLength && segmentLength <= 2 { return false }
                segmentLength = 0
                segmentDots = 0
                continue
            case UInt8(ascii: "."):
                segmentDots += 1
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "~"):
                break
            default:
                return false
            }
            segmentLength += 1
        }
        return !(segmentDots == segmentLength && segmentLength <= 2)
    }

    package func handle(
        _ request: Request, context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard CanonicalPathMiddleware.isCanonical(request.uri.path) else {
            return Problem(
                .notFound, slug: "not-found", title: "Not found",
                detail: "the path is not in canonical form (no empty, '.' or '..' segments, no trailing slash, no percent-encoding)"
            )
            .response()
        }
        return try await next(request, context)
    }
}
