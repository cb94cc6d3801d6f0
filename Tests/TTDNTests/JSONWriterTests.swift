import Foundation
import PQ
import TTDNKit
import Testing

@testable import TTDN

/// JSONWriter must answer what JSONEncoder (snake_case keys, RFC 3339 dates) answered before it.
@Suite("JSON output")
struct JSONWriterTests {
    struct Inner: Encodable { let unitID: UUID; let p90Seconds: Double; let note: String? }
    struct Shared: Encodable {
        let firstPart: Int
        let rest: Inner
        enum CodingKeys: String, CodingKey { case firstPart }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(firstPart, forKey: .firstPart)
            try rest.encode(to: encoder)  // a second container on the same encoder: one object
        }
    }
    struct Nested: Encodable {
        let label: String
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: VerbatimKey.self)
            var inner = c.nestedContainer(keyedBy: VerbatimKey.self, forKey: VerbatimKey("keys"))
            try inner.encode(label, forKey: VerbatimKey("response_status"))
            var list = c.nestedUnkeyedContainer(forKey: VerbatimKey("list"))
            try list.encode(1); try list.encodeNil(); try list.encode("x")
            try c.encode(3, forKey: VerbatimKey("count"))
        }
    }
    struct Everything: Encodable {
        let title: String
        let createdAt: Date
        let dueOn: CalendarDate
        let optionalNothing: String?
        let counts: [String: Int]
        let values: [Double]
        let flags: [Bool?]
        let shared: Shared
        let nested: [Nested]
        let website: URL
        let raw: RawJSON
        let empty: [String]
    }

    static let sample = Everything(
        title: "Sở Giáo dục và Đào tạo \"Hải Phòng\" / \\ \n\t\u{1}\u{7f} 🇻🇳 e\u{301}",
        createdAt: Date(timeIntervalSince1970: 1_683_251_696.123456), dueOn: CalendarDate(year: 2023, month: 11, day: 5)!,
        optionalNothing: nil, counts: ["people_trained": 120, "camelCase": 1],
        values: [7200, 0.1 + 0.2, 1e20, 1e-7, -0.5, 123456789.123], flags: [true, nil, false],
        shared: Shared(firstPart: 1, rest: Inner(unitID: UUID(uuidString: "6C7C54AE-C29D-4C08-B038-026F93A42901")!, p90Seconds: 36000, note: nil)),
        nested: [Nested(label: "responded"), Nested(label: "monitoring")],
        website: URL(string: "https://haiphong.edu.vn/tin-tuc?id=1&a=b")!,
        raw: RawJSON(#"{"resource_id": "x", "after": {"n": [1, 2.5, null, "ư"]}}"#),
        empty: [])

    static func reference<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(PQTimestamp.format(date))
        }
        // The one deliberate difference: UUIDs in lower case, as the API writes every id.
        let text = String(decoding: try encoder.encode(value), as: UTF8.self)
        return Data(text.replacingOccurrences(of: "6C7C54AE-C29D-4C08-B038-026F93A42901", with: "6c7c54ae-c29d-4c08-b038-026f93a42901").utf8)
    }

    @Test func sameJSONAsFoundation() throws {
        let ours = try JSONOutput.data(Self.sample)
        let theirs = try Self.reference(Self.sample)
        let a = try JSONSerialization.jsonObject(with: ours) as! NSDictionary
        let b = try JSONSerialization.jsonObject(with: theirs) as! NSDictionary
        #expect(a == b, "\(String(decoding: ours, as: UTF8.self))\n\(String(decoding: theirs, as: UTF8.self))")
    }

    /// A value that writes its own JSON writes what its `Encodable` conformance would through
    /// the containers (held to Foundation above), byte for byte.
    @Test func aValueWritingItsOwnJSONMatchesItsEncodable() throws {
        struct ThroughContainers: Encodable { let id: String; let code: String; let name: String }
        let fields = [
            ("6c7c54ae-c29d-4c08-b038-026f93a42901", "THPT-NGO-QUYEN", "Trường THPT Ngô Quyền"),
            ("", "a\"b\\c", "dòng\nhai\t\u{1} 🇻🇳 / e\u{301}"),
        ]
        let units = fields.map { ReportAggregates.UnitRef(id: $0.0, code: $0.1, name: $0.2) }
        let plain = fields.map { ThroughContainers(id: $0.0, code: $0.1, name: $0.2) }
        let ours = String(decoding: try JSONOutput.data(units), as: UTF8.self)
        let generic = String(decoding: try JSONOutput.data(plain), as: UTF8.self)
        #expect(ours == generic)
        #expect(try JSONOutput.data([ReportAggregates.UnitRef]()) == JSONOutput.data([ThroughContainers]()))
        let foundations = try JSONSerialization.jsonObject(with: try Self.reference(units)) as! NSArray
        #expect(try JSONSerialization.jsonObject(with: Data(ours.utf8)) as! NSArray == foundations)
    }

    @Test func keysInDeclarationOrderAndNumbersAsFoundationWritesThem() throws {
        let text = String(decoding: try JSONOutput.data(Self.sample), as: UTF8.self)
        #expect(text.hasPrefix(#"{"title":"Sở Giáo dục và Đào tạo \"Hải Phòng\" / \\ \n\t\u0001"#))
        #expect(text.contains(#""created_at":"2023-05-05T01:54:56.123456Z","due_on":"2023-11-05","optional_nothing":null,"#))
        #expect(text.contains(#""values":[7200,0.30000000000000004,1e+20,1e-07,-0.5,123456789.123]"#))
        #expect(text.contains(#""shared":{"first_part":1,"unit_id":"6c7c54ae-c29d-4c08-b038-026f93a42901","p90_seconds":36000,"note":null}"#))
        #expect(text.contains(#"{"keys":{"response_status":"responded"},"list":[1,null,"x"],"count":3}"#))
        #expect(text.contains(#""website":"https://haiphong.edu.vn/tin-tuc?id=1&a=b""#))
        #expect(text.hasSuffix(#""empty":[]}"#))
    }

    @Test func keysAreConvertedAsFoundationConvertsThem() throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        for key in [
            "unitID", "p90Seconds", "URLValue", "onTime", "a", "ABC", "myHTTPServer2Port", "already_snake", "x1Y2", "responseURL", "émigréCase",
            "aBC", "_id", "HTTP", "x", "AbcDef", "a_B", "isURLSafe", "camelCase2D", "A1B", "responseTimeSeconds", "", "ID", "iD", "a-b",
        ] {
            struct One: Encodable {
                let key: String
                struct K: CodingKey {
                    var stringValue: String; var intValue: Int? { nil }; init(stringValue: String) { self.stringValue = stringValue };
                    init?(intValue: Int) { nil }
                }
                func encode(to encoder: any Encoder) throws {
                    var c = encoder.container(keyedBy: K.self)
                    try c.encode(1, forKey: K(stringValue: key))
                }
            }
            let theirs = String(decoding: try encoder.encode(One(key: key)), as: UTF8.self)
            let ours = String(decoding: try JSONOutput.data(One(key: key)), as: UTF8.self)
            #expect(ours == theirs, "\(key)")
        }
    }

    /// The word-at-a-time scan finds a byte to escape wherever it stands, among any neighbours
    /// (multi-byte UTF-8 included), and never flags a string without one.
    @Test func everyByteToEscapeIsFoundAtEveryPosition() {
        let special: [UInt8] = Array(0..<0x20) + [UInt8(ascii: "\""), UInt8(ascii: "\\")]
        let plain: [UInt8] = Array(0x20...0xFF).filter { $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
        for length in 0..<20 {
            for filler in plain where filler % 7 == 0 || filler == 0x20 || filler == 0x21 || filler == 0x5B || filler == 0x5D || filler >= 0xF0 {
                let bytes = [UInt8](repeating: filler, count: length)
                #expect(!bytes.withUnsafeBytes(JSONWriter.Output.needsEscaping), "\(filler) × \(length)")
                for position in 0..<length {
                    for byte in special {
                        var marked = bytes
                        marked[position] = byte
                        #expect(marked.withUnsafeBytes(JSONWriter.Output.needsEscaping), "\(byte) at \(position) of \(length)")
                    }
                }
            }
        }
        let vietnamese = Array("Sở Giáo dục và Đào tạo Hải Phòng — học bổng".utf8)
        #expect(!vietnamese.withUnsafeBytes(JSONWriter.Output.needsEscaping))
        #expect(String(decoding: try! JSONWriter.encode("Sở \"GD\"\n\\ \u{1}"), as: UTF8.self) == #""Sở \"GD\"\n\\ \u0001""#)
    }

    @Test func nonFiniteNumbersAreRefused() {
        #expect(throws: EncodingError.self) { try JSONOutput.data([Double.nan]) }
        #expect(throws: EncodingError.self) { try JSONOutput.data(["x": Double.infinity]) }
    }
}
