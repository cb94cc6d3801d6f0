import Foundation

/// A Swift type that can be read from a column in PostgreSQL's text output format.
public protocol PQDecodable: Sendable {
    /// `bytes` is nil for SQL NULL.
    static func pqDecode(_ bytes: UnsafeRawBufferPointer?) throws -> Self
}

enum PQDecodingFailure: Error {
    case unexpectedNull
    case invalid(String)
}

extension PQDecodable {
    fileprivate static func text(_ bytes: UnsafeRawBufferPointer?) throws -> String {
        guard let bytes else { throw PQDecodingFailure.unexpectedNull }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension String: PQDecodable {
    public static func pqDecode(_ bytes: UnsafeRawBufferPointer?) throws -> String { try text(bytes) }
}

private func parseInteger<T: FixedWidthInteger>(_ bytes: UnsafeRawBufferPointer?, _ name: String) throws -> T {
    guard let bytes else { throw PQDecodingFailure.unexpectedNull }
    var value: T = 0
    var negative = false
    var sawDigit = false
    for (offset, byte) in bytes.enumerated() {
        if offset == 0, byte == UInt8(ascii: "-") { negative = true; continue }
        guard byte >= 48, byte <= 57 else { throw PQDecodingFailure.invalid(name) }
        let (m, o1) = value.multipliedReportingOverflow(by: 10)
        let (a, o2) = negative ? m.subtractingReportingOverflow(T(byte - 48)) : m.addingReportingOverflow(T(byte - 48))
        guard !o1, !o2 else { throw PQDecodingFailure.invalid(name) }
        value = a
        sawDigit = true
    }
    guard sawDigit else { throw PQDecodingFailure.invalid(name) }
    return value
}

extension Int: PQDecodable {
    public static func pqDecode(_ bytes: UnsafeRawBufferPointer?) throws -> Int { try parseInteger(bytes, "int") }
}
extension Int64: PQDecodable {
    public static func pqDecode(_ bytes: UnsafeRawBufferPointer?) throws -> Int64 { try parseInteger(bytes, "int8") }
}
extension Int32: PQDecodable {
    public static func pqDecode(_ bytes: UnsafeRawBufferPointer?) throws -> Int32 { try parseInteger(bytes, "int4") }
}
extension Int16: PQDecodable {
    public static func pqDecode(_ bytes: UnsafeRawBufferPointer?) throws -> Int16 { try parseInteger(bytes, "int2") }
}

extension Double: PQDecodable {
    public static func pqDecode(_ bytes: UnsafeRawBufferPointer?) throws -> Double {
        let string = try text(bytes)
        switch string {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            guard let value = Double(string) else { throw PQDecodingFailure.invalid("float8") }
            return value
        }
    }
}

extension Bool: PQDecodable {
    public static func pqDecode(_ bytes: UnsafeRawBufferPointer?) throws -> Bool {
        guard let bytes, bytes.count == 1 else { throw bytes == nil ? PQDecodingFailure.unexpectedNull : .invalid("bool") }
        switch bytes[0] {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: throw PQDecodingFailure.invalid("bool")
        }
    }
}

extension UUID: PQDecodable {
    public static func pqDecode(_ bytes: UnsafeRawBufferPointer?) throws -> UUID {
        guard let bytes else { throw PQDecodingFailure.unexpectedNull }
        guard let uuid = UUID(text: bytes) else { throw PQDecodingFailure.invalid("uuid") }
        return uuid
    }
}

/// UUID text read and written by hand: Foundation's goes through sscanf and snprintf, which
/// showed up in profiles of list requests (every row has ids).
extension UUID {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// From `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (either case), as PostgreSQL writes it.
    init?(text: UnsafeRawBufferPointer) {
        guard text.count == 36 else { return nil }
        var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var position = 0
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: return nil
            }
        }
        let ok = withUnsafeMutableBytes(of: &value) { out -> Bool in
            for index in 0..<16 {
                if position == 8 || position == 13 || position == 18 || position == 23 {
                    guard text[position] == UInt8(ascii: "-") else { return false }
                    position += 1
                }
                guard let high = nibble(text[position]), let low = nibble(text[position + 1]) else { return false }
                out[index] = high << 4 | low
                position += 2
            }
            return true
        }
        guard ok else { return nil }
        self.init(uuid: value)
    }

    /// From its canonical text form (either case), without sscanf (a path's id is read on every
    /// request). Stricter than `UUID(uuidString:)`, whose sscanf also takes a sign inside a field
    /// (`-1bbccdd-...`): that is no uuid's text, and a path naming it names no resource.
    public init?(text: String) {
        var text = text
        guard let parsed = text.withUTF8({ UUID(text: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = parsed
    }

    /// The lower-case text form the API and PostgreSQL use.
    public var lowercasedString: String {
        var out = [UInt8]()
        out.reserveCapacity(36)
        appendLowercased(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the lower-case text form to `out` (JSON output writes it in place).
    public func appendLowercased(to out: inout [UInt8]) {
        withUnsafeBytes(of: uuid) { bytes in
            for (index, byte) in bytes.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 { out.append(UInt8(ascii: "-")) }
                out.append(Self.hexDigits[Int(byte >> 4)])
                out.append(Self.hexDigits[Int(byte & 0x0F)])
            }
        }
    }
}

extension Date: PQDecodable {
    public static func pqDecode(_ bytes: UnsafeRawBufferPointer?) throws -> Date {
        guard let bytes else { throw PQDecodingFailure.unexpectedNull }
        guard let date = PQTimestamp.parse(bytes) else { throw PQDecodingFailure.invalid("timestamptz") }
        return date
    }
}

extension Optional: PQDecodable where Wrapped: PQDecodable {
    public static func pqDecode(_ bytes: UnsafeRawBufferPointer?) throws -> Wrapped? {
        guard bytes != nil else { return nil }
        return try Wrapped.pqDecode(bytes)
    }
}

extension Array: PQDecodable where Element: PQArrayElement {
    public static func pqDecode(_ bytes: UnsafeRawBufferPointer?) throws -> [Element] {
        guard let bytes else { throw PQDecodingFailure.unexpectedNull }
        var elements: [Element] = []
        try PQArrayLiteral.forEachElement(bytes) { element in
            guard let element else { throw PQDecodingFailure.unexpectedNull }
            elements.append(try Element.pqDecode(element))
        }
        return elements
    }
}

/// `timestamptz` in the session's ISO DateStyle with TimeZone UTC: `2023-05-05 12:34:56.123456+00`.
public enum PQTimestamp {
    public static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    /// `parse` on the column's bytes as libpq holds them: no String, no copy.
    public static func parse(_ u: UnsafeRawBufferPointer) -> Date? {
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= u.count else { return nil }
            var value = 0
            for i in start..<start + count {
                guard u[i] >= 48, u[i] <= 57 else { return nil }
                value = value * 10 + Int(u[i] - 48)
            }
            return value
        }
        guard u.count >= 19, let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < u.count, u[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            while index < u.count, u[index] >= 48, u[index] <= 57 {
                fraction += Double(u[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offsetSeconds = 0
        if index < u.count, u[index] == UInt8(ascii: "+") || u[index] == UInt8(ascii: "-") {
            let sign = u[index] == UInt8(ascii: "-") ? -1 : 1
            guard let h = number(index + 1, 2) else { return nil }
            var m = 0
            if index + 3 < u.count, u[index + 3] == UInt8(ascii: ":") { m = number(index + 4, 2) ?? 0 }
            offsetSeconds = sign * (h * 3600 + m * 60)
        }
        let days = CalendarDate.daysFromCivil(year: year, month: month, day: day)
        let seconds = Double(days * 86400 + hour * 3600 + minute * 60 + second - offsetSeconds) + fraction
        return Date(timeIntervalSince1970: seconds)
    }

    /// Appends `format`'s text for a timestamptz as PostgreSQL writes it in this session
    /// (`2023-05-05 12:34:56.1+00`) without making a Date: the same digits, rearranged, the
    /// fraction padded to microseconds. False, and nothing appended, for any other shape (BC,
    /// infinity) and outside the years 1900–2099: further from 1970 a Date (a Double of seconds)
    /// no longer holds every microsecond, and the text must stay what `parse` then `append` write.
    public static func appendRFC3339(postgresText text: UnsafeRawBufferPointer, to bytes: inout [UInt8]) -> Bool {
        let count = text.count
        // Digits where they belong; the separators PostgreSQL's ISO style puts between them.
        func digits(_ range: Range<Int>) -> Bool { range.allSatisfy { text[$0] &- UInt8(ascii: "0") < 10 } }
        guard count >= 22, count <= 29,
            (text[0] == UInt8(ascii: "1") && text[1] == UInt8(ascii: "9")) || (text[0] == UInt8(ascii: "2") && text[1] == UInt8(ascii: "0")),
            digits(0..<4), text[4] == UInt8(ascii: "-"), digits(5..<7), text[7] == UInt8(ascii: "-"),
            digits(8..<10), text[10] == UInt8(ascii: " "), digits(11..<13), text[13] == UInt8(ascii: ":"), digits(14..<16),
            text[16] == UInt8(ascii: ":"), digits(17..<19), text[count - 3] == UInt8(ascii: "+"), text[count - 2] == UInt8(ascii: "0"),
            text[count - 1] == UInt8(ascii: "0")
        else { return false }
        let fraction = count - 3 - 19  // "" or ".d" to ".dddddd"
        guard fraction == 0 || (fraction >= 2 && text[19] == UInt8(ascii: ".") && digits(20..<count - 3)) else { return false }
        bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[0..<10]))
        bytes.append(UInt8(ascii: "T"))
        bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[11..<19]))
        if fraction > 0 {
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[19..<count - 3]))
            for _ in fraction..<7 { bytes.append(UInt8(ascii: "0")) }
        }
        bytes.append(UInt8(ascii: "Z"))
        return true
    }

    /// RFC 3339 in UTC with microseconds, which both PostgreSQL and JSON clients read.
    public static func format(_ date: Date) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(27)
        append(date, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `format`'s text appended to `bytes` (JSON output writes it in place).
    public static func append(_ date: Date, to bytes: inout [UInt8]) {
        let total = date.timeIntervalSince1970
        var seconds = Int(total.rounded(.down))
        var micros = Int(((total - Double(seconds)) * 1_000_000).rounded())
        if micros >= 1_000_000 { seconds += 1; micros -= 1_000_000 }
        let days = Int((Double(seconds) / 86400).rounded(.down))
        let secondOfDay = seconds - days * 86400
        let civil = CalendarDate.civil(fromDays: days)
        // Written digit by digit: this runs for every timestamp of every response.
        func digits(_ value: Int, _ width: Int) {
            var value = value
            if value < 0 { bytes.append(UInt8(ascii: "-")); value = -value }
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            while divisor <= value / 10 { divisor *= 10 }
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        digits(civil.year, 4); bytes.append(UInt8(ascii: "-"))
        digits(civil.month, 2); bytes.append(UInt8(ascii: "-"))
        digits(civil.day, 2); bytes.append(UInt8(ascii: "T"))
        digits(secondOfDay / 3600, 2); bytes.append(UInt8(ascii: ":"))
        digits(secondOfDay / 60 % 60, 2); bytes.append(UInt8(ascii: ":"))
        digits(secondOfDay % 60, 2)
        if micros > 0 { bytes.append(UInt8(ascii: ".")); digits(micros, 6) }
        bytes.append(UInt8(ascii: "Z"))
    }
}

/// Enums (and other raw-value types) read from their raw value, as postgres-nio does:
/// `extension UnitKind: PQDecodable {}` is enough for a text or PostgreSQL enum column.
extension PQDecodable where Self: RawRepresentable, RawValue: PQDecodable {
    public static func pqDecode(_ bytes: UnsafeRawBufferPointer?) throws -> Self {
        let raw = try RawValue.pqDecode(bytes)
        guard let value = Self(rawValue: raw) else { throw PQDecodingFailure.invalid(String(describing: Self.self)) }
        return value
    }
}
