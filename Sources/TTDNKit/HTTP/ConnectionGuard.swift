import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
import Synchronization

/// How long a connection may sit idle or take to send a request, and how many may be open.
public struct ConnectionLimits: Sendable {
    /// A keep-alive connection with no request, or a request head not complete, is closed after this.
    public var idleTimeout: Duration = .seconds(30)
    /// A request body not complete this long after its head: the connection is closed.
    public var bodyReadTimeout: Duration = .seconds(30)
    /// Connections beyond this are answered 503 and closed at once, so idle clients cannot use
    /// up the process's file descriptors (which the database pool and new clients need).
    public var maxConnections: Int = ConnectionLimits.defaultMaxConnections()

    public init() {}

    /// 1,024, or fewer when the open-file limit is lower (keeping 64 descriptors for the pool,
    /// the listener and logs).
    public static func defaultMaxConnections() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1_024 }
        return max(1, min(1_024, Int(clamping: limit.rlim_cur) - 64))
    }
}

/// HTTP/1.1 as Hummingbird serves it, with the limits above.
package struct GuardedHTTP1Channel: ServerChildChannel {
    package typealias Value = HTTP1Channel.Value
    package let inner: HTTP1Channel
    package let limits: ConnectionLimits
    package let open: OpenConnections

    package static func builder(_ limits: ConnectionLimits) -> HTTPServerBuilder {
        let open = OpenConnections()
        return HTTPServerBuilder { responder in
            var configuration = HTTP1Channel.Configuration(
                additionalChannelHandlers: [BodyReadTimeoutHandler(timeout: TimeAmount(limits.bodyReadTimeout))],
                idleTimeout: TimeAmount(limits.idleTimeout))
            configuration.httpDecoder = .init()
            return GuardedHTTP1Channel(inner: HTTP1Channel(responder: responder, configuration: configuration), limits: limits, open: open)
        }
    }

    package func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        do {
            try channel.pipeline.syncOperations.addHandler(ConnectionCountHandler(open: open, limit: limits.maxConnections, logger: logger))
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return inner.setup(channel: channel, logger: logger)
    }

    package func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

/// The number of connections this server has open.
package final class OpenConnections: Sendable {
    private let count = Atomic<Int>(0)
    package func increment() -> Int { count.wrappingAdd(1, ordering: .relaxed).newValue }
    package func decrement() { count.wrappingSubtract(1, ordering: .relaxed) }
}

/// First in the pipeline: counts the connection, and answers one over the limit with a 503 in
/// plain bytes (before any HTTP handling) and closes it.
package final class ConnectionCountHandler: ChannelInboundHandler, RemovableChannelHandler {
    package typealias InboundIn = ByteBuffer
    private let open: OpenConnections
    private let limit: Int
    private let logger: Logger
    private var counted = false

    package init(open: OpenConnections, limit: Int, logger: Logger) {
        self.open = open
        self.limit = limit
        self.logger = logger
    }

    package static let refusal: String = {
        let body =
            #"{"type":"urn:ttdn:problem:too-many-connections","title":"Too many connections","status":503,"detail":"the server has too many open connections; retry shortly"}"#
        return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\nRetry-After: 1\r\nConnection: close\r\n"
            + "Content-Length: \(body.utf8.count)\r\n\r\n" + body
    }()

    package func handlerAdded(context: ChannelHandlerContext) {
        counted = true
        guard open.increment() > limit else { return }
        logger.warning("connection refused: too many open connections", metadata: ["limit": .stringConvertible(limit)])
        let bytes = context.channel.allocator.buffer(string: ConnectionCountHandler.refusal)
        let channel = context.channel
        context.writeAndFlush(NIOAny(bytes)).whenComplete { _ in channel.close(promise: nil) }
    }

    package func channelInactive(context: ChannelHandlerContext) {
        uncount()
        context.fireChannelInactive()
    }

    package func handlerRemoved(context: ChannelHandlerContext) { uncount() }

    private func uncount() {
        if counted { open.decrement() }
        counted = false
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }
}

/// Closes a connection whose request body is not complete within `timeout` of its head (a
/// client that trickles a body, or announces one and never sends it). Most requests arrive whole
/// in one read: the timer is only armed when a read ends in the middle of a request.
package final class BodyReadTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    package typealias InboundIn = HTTPRequestPart
    package typealias InboundOut = HTTPRequestPart
    private let timeout: TimeAmount
    private var headAt: NIODeadline?
    private var deadline: Scheduled<Void>?

    package init(timeout: TimeAmount) { self.timeout = timeout }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            headAt = .now()
        case .body:
            break
        case .end:
            headAt = nil
            deadline?.cancel()
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    package func channelReadComplete(context: ChannelHandlerContext) {
        if let headAt, deadline == nil {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            deadline = context.eventLoop.scheduleTask(deadline: headAt + timeout) { loopBound.value.close(promise: nil) }
        }
        context.fireChannelReadComplete()
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }
}

extension TimeAmount {
    package init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
