import HTTPTypes
import Hummingbird
import NIOCore
import TTDNKit
import Testing

/// A response body a middleware gathers so Hummingbird can write it with its head at once.
@Suite("Small bodies in one buffer")
struct OneBufferBodyTests {
    /// Writes a body as Hummingbird would and returns its bytes, parts and trailers.
    private func written(_ body: ResponseBody) async throws -> (bytes: [UInt8], parts: Int, trailers: HTTPFields?) {
        let record = Recorder()
        try await body.write(RecordingWriter(record: record))
        return (record.bytes, record.parts, record.trailers)
    }

    @Test func aBufferBodyIsKeptAndAChunkedSmallBodyIsGathered() async throws {
        let one = try #require(try await ResponseBody(byteBuffer: ByteBuffer(string: "{\"a\":1}")).inOneBuffer())
        #expect(try await written(one).bytes == Array("{\"a\":1}".utf8))
        #expect(try await written(one).parts == 1)

        let chunks = ResponseBody(contentLength: 6) { writer in
            try await writer.write(ByteBuffer(string: "ab"))
            try await writer.write(contentsOf: [ByteBuffer(string: "cd"), ByteBuffer(string: "ef")])
            try await writer.finish(nil)
        }
        let gathered = try #require(try await chunks.inOneBuffer())
        #expect(gathered.contentLength == 6)
        let result = try await written(gathered)
        #expect(result.bytes == Array("abcdef".utf8))
        #expect(result.parts == 1)
        #expect(result.trailers == nil)
    }

    @Test func trailersAreKept() async throws {
        let trailers: HTTPFields = [HTTPField.Name("X-Checksum")!: "1"]
        let body = ResponseBody(contentLength: 2) { writer in
            try await writer.write(ByteBuffer(string: "ok"))
            try await writer.finish(trailers)
        }
        let gathered = try #require(try await body.inOneBuffer())
        let result = try await written(gathered)
        #expect(result.bytes == Array("ok".utf8))
        #expect(result.trailers == trailers)
    }

    @Test func largeAndUnknownLengthBodiesAreLeftAlone() async throws {
        let large = ResponseBody(byteBuffer: ByteBuffer(repeating: 0x61, count: ResponseBody.oneBufferLimit + 1))
        #expect(try await large.inOneBuffer() == nil)
        let atLimit = ResponseBody(byteBuffer: ByteBuffer(repeating: 0x61, count: ResponseBody.oneBufferLimit))
        #expect(try await atLimit.inOneBuffer()?.contentLength == ResponseBody.oneBufferLimit)
        let streamed = ResponseBody { writer in
            Issue.record("a body of unknown length must not be run")
            try await writer.finish(nil)
        }
        #expect(try await streamed.inOneBuffer() == nil)
    }

    @Test func anErrorWhileGatheringIsThrown() async throws {
        struct Failed: Error {}
        let failing = ResponseBody(contentLength: 10) { writer in
            try await writer.write(ByteBuffer(string: "half"))
            throw Failed()
        }
        await #expect(throws: Failed.self) { try await failing.inOneBuffer() }
    }
}

private final class Recorder: @unchecked Sendable {
    var bytes: [UInt8] = []
    var parts = 0
    var trailers: HTTPFields?
}

private struct RecordingWriter: ResponseBodyWriter {
    let record: Recorder
    mutating func write(_ buffer: ByteBuffer) async throws {
        record.parts += 1
        record.bytes += Array(buffer.readableBytesView)
    }
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws { record.trailers = trailingHeaders }
}
