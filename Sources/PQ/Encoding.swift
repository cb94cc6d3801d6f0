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
enum PQArrayLiteral {
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

    /// Parses a one-dimensional array's text output into its elements (nil for NULL).
    static func parse(_ text: String) throws -> [String?] {
        let scalars = Array(text.unicodeScalars)
        guard scalars.first == "{", scalars.last == "}" else { throw PQDecodingFailure.invalid("array") }
        var elements: [String?] = []
        var index = 1
        let end = scalars.count - 1
        if index == end { return [] }
        while index < end {
            if scalars[index] == "\"" {
                var value = String.UnicodeScalarView()
                index += 1
                while index < end, scalars[index] != "\"" {
                    if scalars[index] == "\\" { index += 1 }
                    value.append(scalars[index])
                    index += 1
                }
                index += 1  // closing quote
                elements.append(String(value))
            } else {
                var value = String.UnicodeScalarView()
                while index < end, scalars[index] != "," {
                    value.append(scalars[index])
                    index += 1
                }
                let string = String(value)
                elements.append(string == "NULL" ? nil : string)
            }
            if index < end, scalars[index] == "," { index += 1 }
        }
        return elements
    }
}

/// Raw-value types bound as their raw value: `extension UnitKind: PQEncodable {}`. A String raw
/// value goes with an unspecified type, so `$1` can stand where a PostgreSQL enum is expected.
extension PQEncodable where Self: RawRepresentable, RawValue: PQEncodable {
    public var pqText: String? { rawValue.pqText }
    public static var pqOID: PQOID { RawValue.pqOID }
}
