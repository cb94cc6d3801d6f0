import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PQ
import Synchronization

/// JSON responses: snake_case keys, RFC 3339 UTC timestamps, UTF-8 (see `JSONWriter`).
public enum JSONOutput {
    public static func data<T: Encodable>(_ value: T) throws -> Data { Data(try JSONWriter.encode(value)) }

    public static func response<T: Encodable>(
        _ value: T, status: HTTPResponse.Status = .ok,
        headers: HTTPFields = [:]
    ) throws -> Response {
        response(json: try JSONWriter.encode(value), status: status, headers: headers)
    }

    /// A response of JSON already written.
    package static func response(json: [UInt8], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: json)))
    }
}

/// The request context's response encoder: a handler that returns an Encodable value is
/// answered by JSONWriter too, the one JSON writer of the server.
public struct JSONWriterResponseEncoder: ResponseEncoder {
    public init() {}
    public func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response {
        try JSONOutput.response(value)
    }
}

/// `{"items": [...], "next_cursor": ...}`
public struct Page<Item: Encodable & Sendable>: Encodable, Sendable {
    public let items: [Item]
    public let nextCursor: String?

    package init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(nextCursor, forKey: .nextCursor)  // null, not absent, on the last page
    }
    package enum CodingKeys: String, CodingKey { case items, nextCursor }
}

/// JSON answers spell out every field: an absent value is `null`, not a missing key, so clients
/// and the OpenAPI schema see one shape. Synthesized Encodable conformances in this module call this.
extension KeyedEncodingContainer {
    public mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
}

extension KeyedEncodingContainer {
    public mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
    public mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
    public mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
    public mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
}

/// Foundation's `.convertToSnakeCase`. Converting the same few hundred property names with
/// Foundation on every object of every response was a fifth of a list request's CPU; then the
/// shared cache of converted names (a lock and a hash per key) was a twentieth, so ASCII names,
/// all of ours, are now converted byte by byte as they are written.
package enum SnakeCaseKeys {
    /// `"snake_case"` with its quotes, as JSON bytes.
    private static let known = Mutex<[String: [UInt8]]>([:])

    /// Appends `"snake_case"` of `name`: a printable ASCII name is converted byte by byte
    /// straight into the output (no lock, no lookup, no copy); any other goes through `quoted`.
    package static func appendQuoted(_ name: String, to bytes: inout [UInt8]) {
        var name = name
        let written = name.withUTF8 { key -> Bool in
            guard key.allSatisfy({ $0 >= 0x20 && $0 < 0x80 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) else {
                return false
            }
            bytes.append(UInt8(ascii: "\""))
            appendSnakeCase(key, to: &bytes)
            bytes.append(UInt8(ascii: "\""))
            return true
        }
        if !written { bytes.append(contentsOf: quoted(name)) }
    }

    /// `convert`'s steps on ASCII bytes, where the upper-case letters are A-Z and the lower-case
    /// a-z. Written into a buffer on the stack (a name grows by at most one `_` per byte), then
    /// appended in one go.
    private static func appendSnakeCase(_ key: UnsafeBufferPointer<UInt8>, to bytes: inout [UInt8]) {
        guard !key.isEmpty else { return }
        func isUpper(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "A") < 26 }
        func isLower(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "a") < 26 }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: key.count * 2) { out in
            var written = 0
            func word(_ start: Int, _ end: Int) {
                if written > 0 { out[written] = UInt8(ascii: "_"); written += 1 }
                for index in start..<end {
                    out[written] = isUpper(key[index]) ? key[index] + 32 : key[index]
                    written += 1
                }
            }
            var wordStart = 0
            var search = 1
            while true {
                var upper = search
                while upper < key.count, !isUpper(key[upper]) { upper += 1 }
                guard upper < key.count else { break }
                word(wordStart, upper)
                var lower = upper
                while lower < key.count, !isLower(key[lower]) { lower += 1 }
                guard lower < key.count else {
                    wordStart = upper
                    break
                }
                if lower == upper + 1 {
                    wordStart = upper
                } else {
                    word(upper, lower - 1)
                    wordStart = lower - 1
                }
                search = lower + 1
            }
            word(wordStart, key.count)
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: out[..<written]))
        }
    }

    package static func quoted(_ name: String) -> [UInt8] {
        if let bytes = known.withLock({ $0[name] }) { return bytes }
        let output = JSONWriter.Output()
        output.string(convert(name))
        known.withLock { $0[name] = output.bytes }
        return output.bytes
    }

    /// Foundation's conversion (`JSONEncoder.KeyEncodingStrategy.convertToSnakeCase`), step for
    /// step: a word ends before an upper-case letter, and a run of capitals is one word
    /// (`unitID` → `unit_id`, `p90Seconds` → `p90_seconds`). A test holds it to Foundation's output.
    package static func convert(_ key: String) -> String {
        guard !key.isEmpty else { return key }
        var words: [Range<String.Index>] = []
        var wordStart = key.startIndex
        var searchRange = key.index(after: wordStart)..<key.endIndex
        while let upper = key.rangeOfCharacter(from: .uppercaseLetters, options: [], range: searchRange) {
            words.append(wordStart..<upper.lowerBound)
            searchRange = upper.lowerBound..<searchRange.upperBound
            guard let lower = key.rangeOfCharacter(from: .lowercaseLetters, options: [], range: searchRange) else {
                wordStart = searchRange.lowerBound
                break
            }
            let afterCapital = key.index(after: upper.lowerBound)
            if lower.lowerBound == afterCapital {
                wordStart = upper.lowerBound
            } else {
                let beforeLower = key.index(before: lower.lowerBound)
                words.append(upper.lowerBound..<beforeLower)
                wordStart = beforeLower
            }
            searchRange = lower.upperBound..<searchRange.upperBound
        }
        words.append(wordStart..<searchRange.upperBound)
        return words.map { key[$0].lowercased() }.joined(separator: "_")
    }
}

/// JSON text from the database, embedded as is.
package struct RawJSON: Encodable, Sendable {
    package let text: String
    package init(_ text: String) { self.text = text }
    package func encode(to encoder: any Encoder) throws {
        try JSONValueOutput(parsing: text).encode(to: encoder)
    }
}

/// JSON passed through unchanged (keys are already snake_case).
package indirect enum JSONValueOutput: Codable, Sendable {
    case null, bool(Bool), int(Int64), double(Double), string(String), array([JSONValueOutput]), object([String: JSONValueOutput])
    /// A number as PostgreSQL wrote it (numeric), written out digit for digit.
    case literal(String)

    /// JSON text from the database, numbers kept exact.
    package init(parsing text: String) throws {
        self.init(try JSONParser.parse(Array(text.utf8)))
    }

    package init(_ value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .number(let text): self = .literal(text)
        case .string(let s): self = .string(s)
        case .array(let items): self = .array(items.map(JSONValueOutput.init))
        case .object(let members): self = .object(members.mapValues(JSONValueOutput.init))
        }
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let v = try? c.decode(Bool.self) {
            self = .bool(v)
        } else if let v = try? c.decode(Int64.self) {
            self = .int(v)
        } else if let v = try? c.decode(Double.self) {
            self = .double(v)
        } else if let v = try? c.decode(String.self) {
            self = .string(v)
        } else if let v = try? c.decode([JSONValueOutput].self) {
            self = .array(v)
        } else {
            self = .object(try c.decode([String: JSONValueOutput].self))
        }
    }
    package func encode(to encoder: any Encoder) throws {
        switch self {
        case .null: var c = encoder.singleValueContainer(); try c.encodeNil()
        case .bool(let v): var c = encoder.singleValueContainer(); try c.encode(v)
        case .int(let v): var c = encoder.singleValueContainer(); try c.encode(v)
        case .double(let v): var c = encoder.singleValueContainer(); try c.encode(v)
        case .literal(let text):
            if let writer = encoder as? JSONWriter.ValueEncoder {
                writer.single().raw(text)
            } else {
                var c = encoder.singleValueContainer(); try c.encode(Double(text) ?? 0)
            }
        case .string(let v): var c = encoder.singleValueContainer(); try c.encode(v)
        case .array(let v): var c = encoder.unkeyedContainer(); for e in v { try c.encode(e) }
        case .object(let v):
            var c = encoder.container(keyedBy: VerbatimKey.self)
            for (k, e) in v { try c.encode(e, forKey: VerbatimKey(k)) }
        }
    }
}

/// A key that the snake_case encoder leaves alone (it is already snake_case or lowercase).
package struct VerbatimKey: CodingKey {
    package let stringValue: String
    package var intValue: Int? { nil }
    package init(_ s: String) { stringValue = s }
    package init?(stringValue: String) { self.stringValue = stringValue }
    package init?(intValue: Int) { nil }
}
