import HTTPTypes
import Hummingbird
import NIOCore

extension ResponseBody {
    /// The largest body gathered into one buffer: it fits a socket's send buffer, so the answer
    /// is complete when it is handed over.
    package static let oneBufferLimit = 64 * 1024

    /// The body as one buffer, when its length is known and at most `oneBufferLimit`; nil for
    /// any other body, which is left as it is.
    ///
    /// Hummingbird writes a one-buffer body with its head in a single write. A body wrapped in a
    /// closure (to act once it is written) loses that: the head, the body and the end then each
    /// go to the event loop, and the head and the body in separate system calls. So
    /// `ProblemMiddleware` gathers small bodies (a closure body of known length, such as an
    /// attachment's chunks, runs there, and its errors are answered as problems before anything
    /// is sent), and `whenWritten` acts at once on them.
    package func inOneBuffer() async throws -> ResponseBody? {
        guard let length = contentLength, length <= Self.oneBufferLimit else { return nil }
        let gathered = GatheredBody()
        try await write(GatheringWriter(into: gathered))
        let buffer = gathered.buffer
        guard let trailers = gathered.trailers else {
            // No bytes (a 304, a 204) stays an empty body, as Hummingbird writes those.
            return buffer.readableBytes == 0 ? ResponseBody() : ResponseBody(byteBuffer: buffer)
        }
        return ResponseBody(contentLength: buffer.readableBytes) { writer in
            try await writer.write(buffer)
            try await writer.finish(trailers)
        }
    }
}

extension Response {
    /// For a middleware that acts once the answer is written (metrics, the access log): runs
    /// `written` now when the answer is complete already (a small body, see `inOneBuffer`; any
    /// answer to HEAD, whose body Hummingbird drops unwritten), otherwise after the body's last
    /// byte, with the error that cut it off if one did.
    package func whenWritten(
        to request: Request, _ written: @escaping @Sendable (_ error: (any Error)?) -> Void
    ) async throws -> Response {
        var response = self
        if request.method == .head {
            written(nil)
            return response
        }
        do {
            if let small = try await body.inOneBuffer() {
                response.body = small
                written(nil)
                return response
            }
        } catch {
            written(error)
            throw error
        }
        let original = body
        response.body = ResponseBody(contentLength: original.contentLength) { writer in
            do {
                try await original.write(writer)
            } catch {
                written(error)
                throw error
            }
            written(nil)
        }
        return response
    }
}

/// What `GatheringWriter` collected. Only the task writing the body touches it.
private final class GatheredBody: @unchecked Sendable {
    var buffer = ByteBuffer()
    var parts = 0
    var trailers: HTTPFields?
}

private struct GatheringWriter: ResponseBodyWriter {
    let gathered: GatheredBody

    init(into gathered: GatheredBody) { self.gathered = gathered }

    mutating func write(_ buffer: ByteBuffer) async throws {
        gathered.parts += 1
        // One part (every in-memory body) is kept as it is, without a copy.
        if gathered.parts == 1 {
            gathered.buffer = buffer
        } else {
            var buffer = buffer
            gathered.buffer.writeBuffer(&buffer)
        }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        gathered.trailers = trailingHeaders
    }
}
