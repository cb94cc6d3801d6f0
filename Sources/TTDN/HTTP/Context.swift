import Hummingbird
import Logging

/// Per-request state: the request id and, once authenticated, who is calling.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestID: String = ""
    public var principal: Principal?

    public init(source: Source) {
        coreContext = .init(source: source)
    }

    /// Bodies are read with an explicit limit by `JSONBody`; this is the router's own bound.
    public var maxUploadSize: Int { JSONBody.maxBytes }

    /// The authenticated caller; routes behind `AuthMiddleware` always have one.
    public var caller: Principal {
        get throws {
            guard let principal else { throw Problem.unauthorized("missing bearer token") }
            return principal
        }
    }
}
