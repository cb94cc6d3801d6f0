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

    func record(_ method: HTTPRequest.Method, _ template: String) {
        routes.append(Route(method: method, template: template))
    }

    /// Methods registered for templates that match `path`.
    public func methods(matching path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        // Like the router, a literal segment wins over a capture: /v1/units/import is not /v1/units/{id}.
        var best: (literals: [Bool], methods: [HTTPRequest.Method])?
        for route in routes {
            let pattern = route.template.split(separator: "/", omittingEmptySubsequences: true)
            guard pattern.count == segments.count,
                  zip(pattern, segments).allSatisfy({ p, s in p.hasPrefix("{") || p == s }) else { continue }
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

/// Registers routes on the router and in the table at once, so the two cannot drift.
public struct Routes {
    let router: Router<AppRequestContext>
    let table: RouteTable

    public func add(_ method: HTTPRequest.Method, _ template: String,
                    _ handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Response) {
        table.record(method, template)
        router.on(RouterPath(template), method: method) { request, context in
            try await handler(request, context)
        }
    }
}
