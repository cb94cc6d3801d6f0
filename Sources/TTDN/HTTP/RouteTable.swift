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
        var methods: [HTTPRequest.Method] = []
        for route in routes {
            let pattern = route.template.split(separator: "/", omittingEmptySubsequences: true)
            guard pattern.count == segments.count else { continue }
            let matches = zip(pattern, segments).allSatisfy { p, s in p.hasPrefix("{") || p == s }
            if matches, !methods.contains(route.method) { methods.append(route.method) }
        }
        return methods
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
