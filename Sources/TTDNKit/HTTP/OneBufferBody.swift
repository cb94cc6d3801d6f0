import HTTPTypes
import Hummingbird
import NIOCore

extension ResponseBody {
    /// The largest body a middleware gathers into one buffer: it fits a socket's send buffer,
    /// so the answer is complete when it is handed over.
    package static let oneBufferLimit = 64 * 1024

    /// The body as one buffer, when its length is known and at most `oneBufferLimit`; nil for
    /// any other body, which is left as it is.
    ///
    /// Hummingbird writes a one-buffer body with its head in a single write. A middleware that
    /// wraps a body in a closure (to act once it is written) loses that: the head, the body and
    /// the end then each go to the event loop, and the head and body in separate system calls.
    /// A middleware calls this first and acts at once on a small body; only a large or streamed
    /// one is wrapped. A closure body of known length (an attachment's chunks) runs here, so
    /// its errors are thrown before anything is sent.
    package func inOneBuffer() async throws -> ResponseBody? {
        guard let length = contentLength, length <= Self.oneBufferLimit else { return nil }
        let gathered = GatheredBody()
        try await write(GatheringWriter(into: gathered))
        let buffer = gathered.buffer
        guard let trailers = gathered.trailers else { return ResponseBody(byteBuffer: buffer) }
        return ResponseBody(contentLength: buffer.readableBytes) { writer in
            try await writer.write(buffer)
            try await writer.finish(trailers)
        }
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
