import Hummingbird
import Logging
import NIOCore

/// Per-request state: the request id, the client's address and, once authenticated, who is calling.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestID: String = ""
    public var principal: Principal?
    /// The peer of the connection (a load balancer's address when there is one).
    public let remoteAddress: SocketAddress?

    public init(source: Source) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    public var responseEncoder: JSONWriterResponseEncoder { JSONWriterResponseEncoder() }

    /// Bodies are read with an explicit limit by `JSONBody`; this is the router's own bound.
    public var maxUploadSize: Int { JSONBody.maxBytes }

    package var clientAddress: String? { remoteAddress?.ipAddress }

    /// The authenticated caller; every route not declared `.public` has one.
    public var caller: Principal {
        get throws {
            guard let principal else { throw Problem.unauthorized("missing bearer token") }
            return principal
        }
    }
}
