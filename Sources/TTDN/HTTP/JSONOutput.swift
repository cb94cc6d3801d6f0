import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PQ

/// JSON responses: snake_case keys, RFC 3339 UTC timestamps, UTF-8.
public enum JSONOutput {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(PQTimestamp.format(date))
        }
        return encoder
    }()

    public static func data<T: Encodable>(_ value: T) throws -> Data { try encoder.encode(value) }

    public static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok,
                                              headers: HTTPFields = [:]) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try data(value))))
    }
}

/// `{"items": [...], "next_cursor": ...}`
public struct Page<Item: Encodable & Sendable>: Encodable, Sendable {
    public let items: [Item]
    public let nextCursor: String?

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(nextCursor, forKey: .nextCursor) // null, not absent, on the last page
    }
    enum CodingKeys: String, CodingKey { case items, nextCursor }
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
