import Foundation

/// A PostgreSQL type OID, sent with a prepared statement's parameters.
public typealias PQOID = UInt32

/// A Swift value that can be bound as a query parameter, in PostgreSQL's text format.
public protocol PQEncodable: Sendable {
    /// The value in PostgreSQL's text input format, or nil for SQL NULL.
    var pqText: String? { get }
    /// The parameter's type, or 0 to let the server infer it from the statement.
    static var pqOID: PQOID { get }
}

public enum PQTypeOID {
    public static let unspecified: PQOID = 0
    public static let bool: PQOID = 16
    public static let int8: PQOID = 20
    public static let int2: PQOID = 21
    public static let int4: PQOID = 23
    public static let text: PQOID = 25
    public static let float8: PQOID = 701
    public static let textArray: PQOID = 1009
    public static let int8Array: PQOID = 1016
    public static let date: PQOID = 1082
    public static let timestamptz: PQOID = 1184
    public static let uuid: PQOID = 2950
    public static let uuidArray: PQOID = 2951
    public static let jsonb: PQOID = 3802
}

extension String: PQEncodable {
    public var pqText: String? { self }
    // Unspecified rather than text, so `$1` can stand where an enum, uuid or date is expected.
    public static var pqOID: PQOID { PQTypeOID.unspecified }
}

extension Int: PQEncodable {
    public var pqText: String? { String(self) }
    public static var pqOID: PQOID { PQTypeOID.int8 }
}

extension Int64: PQEncodable {
    public var pqText: String? { String(self) }
    public static var pqOID: PQOID { PQTypeOID.int8 }
}

extension Int32: PQEncodable {
    public var pqText: String? { String(self) }
    public static var pqOID: PQOID { PQTypeOID.int4 }
}

extension Double: PQEncodable {
    public var pqText: String? {
        if isNaN { return "NaN" }
        if isInfinite { return self > 0 ? "Infinity" : "-Infinity" }
        return "\(self)"
    }
    public static var pqOID: PQOID { PQTypeOID.float8 }
}

extension Bool: PQEncodable {
    public var pqText: String? { self ? "t" : "f" }
    public static var pqOID: PQOID { PQTypeOID.bool }
}

extension UUID: PQEncodable {
    public var pqText: String? { lowercasedString }
    public static var pqOID: PQOID { PQTypeOID.uuid }
}

extension Date: PQEncodable {
    public var pqText: String? { PQTimestamp.format(self) }
    public static var pqOID: PQOID { PQTypeOID.timestamptz }
}

extension Optional: PQEncodable where Wrapped: PQEncodable {
    public var pqText: String? { self?.pqText }
    public static var pqOID: PQOID { Wrapped.pqOID }
}

extension Array: PQEncodable where Element: PQArrayElement {
    public var pqText: String? { PQArrayLiteral.format(map { $0.pqText }) }
    public static var pqOID: PQOID { Element.pqArrayOID }
}

/// Types that can travel inside a one-dimensional PostgreSQL array.
public protocol PQArrayElement: PQEncodable, PQDecodable {
    static var pqArrayOID: PQOID { get }
}

extension String: PQArrayElement { public static var pqArrayOID: PQOID { PQTypeOID.textArray } }
extension Int: PQArrayElement { public static var pqArrayOID: PQOID { PQTypeOID.int8Array } }
extension Int64: PQArrayElement { public static var pqArrayOID: PQOID { PQTypeOID.int8Array } }
extension UUID: PQArrayElement { public static var pqArrayOID: PQOID { PQTypeOID.uuidArray } }

/// A Codable value stored as `jsonb`.
public struct PQJSON<Value: Codable & Sendable>: PQEncodable, PQDecodable, Sendable {
    public var value: Value
    public init(_ value: Value) { self.value = value }

    public var pqText: String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
    public static var pqOID: PQOID { PQTypeOID.jsonb }

    public static func pqDecode(_ bytes: UnsafeRawBufferPointer?) throws -> PQJSON<Value> {
        guard let bytes else { throw PQDecodingFailure.unexpectedNull }
        do {
            return PQJSON(try JSONDecoder().decode(Value.self, from: Data(bytes)))
        } catch {
            throw PQDecodingFailure.invalid("jsonb")
        }
    }
}

/// Array literal text format: `{"a","b \"c\"",NULL}`.
public enum PQArrayLiteral {
    static func format(_ elements: [String?]) -> String {
        var out = "{"
        for (index, element) in elements.enumerated() {
            if index > 0 { out += "," }
            guard let element else { out += "NULL"; continue }
            out += "\""
            for ch in element.unicodeScalars {
                if ch == "\"" || ch == "\\" { out += "\\" }
                out.unicodeScalars.append(ch)
            }
            out += "\""
        }
        return out + "}"
    }

    /// Calls `body` with each element of a one-dimensional array's text output, in order (nil
    /// for NULL). An element is handed over as bytes of the output itself when it has nothing
    /// escaped, so decoding a `text[]` builds one String per element and nothing else.
    /// The delimiters are ASCII, which never occurs inside a multi-byte UTF-8 character.
    public static func forEachElement(_ text: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer?) throws -> Void) throws {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\"), comma = UInt8(ascii: ",")
        guard text.count >= 2, text[0] == UInt8(ascii: "{"), text[text.count - 1] == UInt8(ascii: "}") else {
            throw PQDecodingFailure.invalid("array")
        }
        let end = text.count - 1
        var index = 1
        var unescaped: [UInt8] = []
        while index < end {
            if text[index] == quote {
                index += 1
                let start = index
                var escapes = false
                while index < end, text[index] != quote {
                    if text[index] == backslash { escapes = true; index += 1 }
                    index += 1
                }
                guard index < end else { throw PQDecodingFailure.invalid("array") }
                if escapes {
                    unescaped.removeAll(keepingCapacity: true)
                    var position = start
                    while position < index {
                        if text[position] == backslash { position += 1 }
                        unescaped.append(text[position])
                        position += 1
                    }
                    try unescaped.withUnsafeBytes { try body($0) }
                } else {
                    try body(UnsafeRawBufferPointer(rebasing: text[start..<index]))
                }
                index += 1  // the closing quote
            } else {
                let start = index
                while index < end, text[index] != comma { index += 1 }
                let element = UnsafeRawBufferPointer(rebasing: text[start..<index])
                // PostgreSQL quotes an empty element; an unquoted `{` is a second dimension.
                guard !element.isEmpty, element[0] != UInt8(ascii: "{") else { throw PQDecodingFailure.invalid("array") }
                try body(element.elementsEqual("NULL".utf8) ? nil : element)
            }
            if index < end {
                guard text[index] == comma else { throw PQDecodingFailure.invalid("array") }
                index += 1
            }
        }
    }
}

/// Raw-value types bound as their raw value: `extension UnitKind: PQEncodable {}`. A String raw
/// value goes with an unspecified type, so `$1` can stand where a PostgreSQL enum is expected.
extension PQEncodable where Self: RawRepresentable, RawValue: PQEncodable {
    public var pqText: String? { rawValue.pqText }
    public static var pqOID: PQOID { RawValue.pqOID }
}
