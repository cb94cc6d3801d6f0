import Foundation
import Hummingbird
import NIOCore
import PQ

/// Any JSON value, as sent by a client.
public enum JSONValue: Decodable, Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    /// A number that is not an Int64, as its literal text (exact: `numeric` in PostgreSQL).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(String(value))
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// A canonical text form: object keys sorted, no insignificant white space.
    package var canonical: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .number(let text): return text
        case .string(let s):
            let output = JSONWriter.Output()
            output.string(s)
            return String(decoding: output.bytes, as: UTF8.self)
        case .array(let items): return "[" + items.map(\.canonical).joined(separator: ",") + "]"
        case .object(let object):
            return "{" + object.keys.sorted().map { JSONValue.string($0).canonical + ":" + object[$0]!.canonical }.joined(separator: ",") + "}"
        }
    }

    package var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int, .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

/// Reads request bodies: bounded size, JSON only, clear 4xx on anything else.
public enum JSONBody {
    public static let maxBytes = 1 << 20

    public static func read(
        _ request: Request, context: AppRequestContext,
        mediaTypes: [String] = ["application/json"]
    ) async throws -> JSONValue {
        try requireJSON(request, mediaTypes: mediaTypes)
        let buffer = try await collect(request)
        return try parse(buffer)
    }

    /// Throws 415 unless the body is declared as one of `mediaTypes`.
    public static func requireJSON(_ request: Request, mediaTypes: [String] = ["application/json"]) throws {
        let type = request.headers[.contentType].map(mediaType)
        guard let type, mediaTypes.contains(type) else {
            throw Problem(
                .unsupportedMediaType, slug: "unsupported-media-type", title: "Unsupported media type",
                detail: "send the body as \(mediaTypes.joined(separator: " or "))")
        }
    }

    /// A Content-Type's media type, without parameters, trimmed and in lower case. An ASCII
    /// value (all of them in practice) is read by bytes: its only `.whitespaces` are space and tab.
    package static func mediaType(_ header: String) -> String {
        var header = header
        let plain = header.withUTF8 { u -> String? in
            guard u.allSatisfy({ $0 < 0x80 }) else { return nil }
            // The first part between semicolons that is not empty, as `split` finds it.
            let semicolon = UInt8(ascii: ";")
            var lower = u.firstIndex { $0 != semicolon } ?? u.count
            var upper = u[lower...].firstIndex(of: semicolon) ?? u.count
            func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
            while lower < upper, isBlank(u[lower]) { lower += 1 }
            while upper > lower, isBlank(u[upper - 1]) { upper -= 1 }
            return String(decoding: u[lower..<upper].map { $0 &- UInt8(ascii: "A") < 26 ? $0 | 0x20 : $0 }, as: UTF8.self)
        }
        return plain ?? header.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    }

    public static func collect(_ request: Request) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: maxBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw tooLarge
        } catch is NIOTooManyBytesError {
            throw tooLarge
        }
    }

    package static let tooLarge = Problem(
        .contentTooLarge, slug: "body-too-large", title: "The request body is too large",
        detail: "request bodies are limited to \(maxBytes) bytes")

    public static func parse(_ buffer: ByteBuffer) throws -> JSONValue {
        guard buffer.readableBytes > 0 else { throw Problem.badRequest("the request body is empty; send a JSON document") }
        let data = Data(buffer.readableBytesView)
        guard String(validating: data, as: UTF8.self) != nil else {
            throw Problem.badRequest("the request body is not valid UTF-8")
        }
        do {
            return try JSONParser.parse(Array(data))
        } catch .duplicateKey(let path) {
            throw Problem.validation([FieldError(path, "is given more than once; send each member once")])
        } catch .tooDeep {
            throw Problem.badRequest("the request body nests deeper than \(JSONParser.maxDepth) levels")
        } catch .numberOutOfRange(let offset) {
            throw Problem.badRequest("the request body is not valid JSON: the number at byte \(offset) is out of range")
        } catch .syntax(let offset, let expected) {
            throw Problem.badRequest("the request body is not valid JSON: expected \(expected) at byte \(offset)")
        }
    }
}

/// Why a value was refused; the message names the rule, never echoes the value.
public struct Invalid: Error, ExpressibleByStringInterpolation {
    public let message: String
    public init(stringLiteral value: String) { message = value }
}

/// A field of a merge patch or create body: absent, explicitly null, or a value.
public enum Field<Value: Sendable>: Sendable {
    case absent
    case null
    case value(Value)

    public var value: Value? {
        if case .value(let v) = self { return v }
        return nil
    }
    public var isAbsent: Bool {
        if case .absent = self { return true }
        return false
    }
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
    /// For merge patches: the new value if given, nil if cleared, `current` if absent.
    public func merged(into current: Value?) -> Value? {
        switch self {
        case .absent: return current
        case .null: return nil
        case .value(let v): return v
        }
    }
}

/// A resource's input rules, declared once beside its model: how a body is read (shapes,
/// lengths, what may not be null), which fields a new one must have, which are read-only.
/// Routes and imports read bodies only through `JSONRequestBody.input` / `InputReader.fields`.
public protocol ResourceInput {
    static var requiredOnCreate: [String] { get }
    static var readOnly: Set<String> { get }
    init(reading reader: inout InputReader)
}

extension ResourceInput {
    public static var readOnly: Set<String> { InputReader.readOnly }
}

/// Reads a JSON object field by field, collecting every problem, then fails once with all of them.
/// Text is normalised to NFC; NUL bytes, unknown fields and read-only fields are refused.
public struct InputReader {
    private let object: [String: JSONValue]
    private let prefix: String
    public private(set) var errors: [FieldError] = []
    private var known: Set<String> = []
    /// What every stored resource has and no body may set.
    public static let readOnly: Set<String> = ["id", "created_at", "updated_at", "version"]

    public init(_ value: JSONValue, prefix: String = "") throws {
        guard case .object(let object) = value else {
            throw Problem.validation([FieldError(prefix.isEmpty ? "body" : prefix, "must be a JSON object")])
        }
        self.object = object
        self.prefix = prefix
    }

    private func name(_ key: String) -> String { prefix.isEmpty ? key : "\(prefix).\(key)" }

    /// The object being read, for fields that read a nested value themselves.
    public var body: JSONValue { .object(object) }

    public mutating func fail(_ field: String, _ message: String) {
        errors.append(FieldError(name(field), message))
    }

    /// Accepts `key` without reading it here (a nested object read by another reader).
    public mutating func markKnown(_ key: String) { known.insert(key) }

    /// The raw value of `key`, marking it as known.
    private mutating func raw(_ key: String) -> JSONValue? {
        known.insert(key)
        return object[key]
    }

    private mutating func read<T>(_ key: String, _ convert: (JSONValue) -> Result<T, Invalid>) -> Field<T> {
        guard let value = raw(key) else { return .absent }
        if case .null = value { return .null }
        switch convert(value) {
        case .success(let v): return .value(v)
        case .failure(let invalid):
            fail(key, invalid.message)
            return .absent
        }
    }

    public mutating func string(_ key: String, maxLength: Int, minLength: Int = 1) -> Field<String> {
        read(key) { InputReader.text($0, maxLength: maxLength, minLength: minLength) }
    }

    package static func text(_ value: JSONValue, maxLength: Int, minLength: Int) -> Result<String, Invalid> {
        guard case .string(let raw) = value else { return .failure("must be a string, not \(value.typeName)") }
        if raw.unicodeScalars.contains("\u{0}") { return .failure("must not contain NUL characters") }
        let text =
            InputReader.isPlainlyNFC(raw)
            ? InputReader.trimmedPlainly(raw) : raw.precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespacesAndNewlines)
        // Counted in code points after NFC, as PostgreSQL's length() counts them.
        let length = text.unicodeScalars.count
        if length < minLength { return .failure(minLength == 1 ? "must not be empty" : "must have at least \(minLength) characters") }
        if length > maxLength { return .failure("must have at most \(maxLength) characters") }
        return .success(text)
    }

    /// Whether `text` is in NFC without asking Foundation (which decomposes and recomposes every
    /// string, the dearest part of reading a body): every scalar below U+0300 or a precomposed
    /// Vietnamese letter (U+1EA0-U+1EF9) has combining class 0 and NFC quick-check Yes, and a
    /// string of only those is its own NFC. Anything else goes the long way.
    package static func isPlainlyNFC(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0.value < 0x300 || (0x1EA0...0x1EF9).contains($0.value) }
    }

    /// `trimmingCharacters(in: .whitespacesAndNewlines)` for a string `isPlainlyNFC` accepted:
    /// among its scalars those are tab, line feed to carriage return, space, U+0085 and U+00A0.
    package static func trimmedPlainly(_ text: String) -> String {
        func isBlank(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar.value {
            case 0x09...0x0D, 0x20, 0x85, 0xA0: return true
            default: return false
            }
        }
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isBlank($0) }), let last = scalars.lastIndex(where: { !isBlank($0) }) else {
            return ""
        }
        if first == scalars.startIndex && last == scalars.index(before: scalars.endIndex) { return text }
        return String(scalars[first...last])
    }

    public mutating func enumeration<E: RawRepresentable & CaseIterable>(_ key: String, _ type: E.Type) -> Field<E> where E.RawValue == String {
        read(key) { value in
            guard case .string(let raw) = value, let e = E(rawValue: raw) else {
                return .failure("must be one of: \(E.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return .success(e)
        }
    }

    public mutating func bool(_ key: String) -> Field<Bool> {
        read(key) { value in
            guard case .bool(let b) = value else { return .failure("must be true or false") }
            return .success(b)
        }
    }

    public mutating func integer(_ key: String, range: ClosedRange<Int>) -> Field<Int> {
        read(key) { value in
            guard case .int(let i) = value, let n = Int(exactly: i) else {
                if case .number(let text) = value, let d = Double(text), d == d.rounded(), abs(d) < 1e15, range.contains(Int(d)) {
                    return .success(Int(d))
                }
                return .failure("must be an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            guard range.contains(n) else { return .failure("must be an integer from \(range.lowerBound) to \(range.upperBound)") }
            return .success(n)
        }
    }

    /// A number from 0 to `maximum`, as the exact decimal text it was written in (for `numeric`).
    public mutating func decimal(_ key: String, maximum: Double) -> Field<String> {
        read(key) { value in
            let text: String
            switch value {
            case .int(let i): text = String(i)
            case .number(let literal): text = literal
            default: return .failure("must be a number from 0 to \(Int(maximum))")
            }
            guard let d = Double(text), d >= 0, d <= maximum else { return .failure("must be a number from 0 to \(Int(maximum))") }
            return .success(text)
        }
    }

    public mutating func uuid(_ key: String) -> Field<UUID> {
        read(key) { value in
            guard case .string(let s) = value, s.count == 36, let id = UUID(uuidString: s) else {
                return .failure("must be a UUID")
            }
            return .success(id)
        }
    }

    public mutating func date(_ key: String) -> Field<CalendarDate> {
        read(key) { value in
            guard case .string(let s) = value, let d = CalendarDate(s) else {
                return .failure("must be a real calendar date written YYYY-MM-DD")
            }
            return .success(d)
        }
    }

    /// An RFC 3339 timestamp with a zone (`2023-09-15T08:00:00+07:00`).
    public mutating func timestamp(_ key: String) -> Field<Date> {
        read(key) { value in
            guard case .string(let s) = value, let date = InputReader.parseTimestamp(s) else {
                return .failure("must be an RFC 3339 date-time with a time zone, e.g. 2023-09-15T08:00:00+07:00")
            }
            return .success(date)
        }
    }

    package static func parseTimestamp(_ text: String) -> Date? {
        plainTimestamp(text) ?? foundationTimestamp(text)
    }

    /// `parseTimestamp` by Foundation's ISO 8601 styles: every shape they read.
    package static func foundationTimestamp(_ text: String) -> Date? {
        let strict = Date.ISO8601FormatStyle(includingFractionalSeconds: false)
        let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        guard text.count <= 40, text.count >= 20, let date = (try? strict.parse(text)) ?? (try? fractional.parse(text)) else { return nil }
        let year = Calendar(identifier: .gregorian).component(.year, from: date)
        return (1900...2200).contains(year) ? date : nil
    }

    /// `parseTimestamp` without Foundation's format styles for the common shape
    /// `2023-05-05T12:34:56Z` or `...56+07:00`: whole seconds, every field in range, an offset
    /// under 18 hours (Foundation's time zones end there), a year well inside 1900-2200 (an
    /// offset cannot move it across the bounds). Nil for anything else, which then goes the
    /// long way.
    package static func plainTimestamp(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { u -> Date? in
            guard u.count == 20 || u.count == 25 else { return nil }
            func number(_ start: Int, _ count: Int) -> Int? {
                var value = 0
                for i in start..<start + count {
                    let digit = u[i] &- UInt8(ascii: "0")
                    guard digit < 10 else { return nil }
                    value = value * 10 + Int(digit)
                }
                return value
            }
            guard u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-"), u[10] == UInt8(ascii: "T"),
                u[13] == UInt8(ascii: ":"), u[16] == UInt8(ascii: ":"),
                let year = number(0, 4), (1901...2199).contains(year), let month = number(5, 2), let day = number(8, 2),
                let date = CalendarDate(year: year, month: month, day: day),
                let hour = number(11, 2), hour < 24, let minute = number(14, 2), minute < 60,
                let second = number(17, 2), second < 60
            else { return nil }
            var offset = 0
            if u.count == 20 {
                guard u[19] == UInt8(ascii: "Z") else { return nil }
            } else {
                guard u[19] == UInt8(ascii: "+") || u[19] == UInt8(ascii: "-"), u[22] == UInt8(ascii: ":"),
                    let hours = number(20, 2), hours < 18, let minutes = number(23, 2), minutes < 60
                else { return nil }
                offset = (u[19] == UInt8(ascii: "-") ? -1 : 1) * (hours * 3600 + minutes * 60)
            }
            return Date(timeIntervalSince1970: Double(date.daysSinceEpoch * 86400 + hour * 3600 + minute * 60 + second - offset))
        }
    }

    public mutating func email(_ key: String) -> Field<String> {
        read(key) { value in
            InputReader.text(value, maxLength: 254, minLength: 3).flatMap { email in
                let parts = email.split(separator: "@", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !email.contains(where: \.isWhitespace) else {
                    return .failure("must be an email address")
                }
                return .success(email)
            }
        }
    }

    public mutating func url(_ key: String) -> Field<String> {
        read(key) { value in
            InputReader.text(value, maxLength: 2000, minLength: 1).flatMap { text in
                if CanonicalURL.plainNormalized(text) != nil { return .success(text) }
                guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
                    ["http", "https"].contains(scheme), let host = components.host, !host.isEmpty
                else {
                    return .failure("must be an absolute http or https URL")
                }
                return .success(text)
            }
        }
    }

    public mutating func stringArray(_ key: String, maxCount: Int, maxLength: Int) -> Field<[String]> {
        read(key) { value in
            guard case .array(let items) = value else { return .failure("must be an array of strings") }
            guard items.count <= maxCount else { return .failure("must have at most \(maxCount) items") }
            var out: [String] = []
            for item in items {
                switch InputReader.text(item, maxLength: maxLength, minLength: 1) {
                case .success(let s): out.append(s)
                case .failure(let invalid): return .failure("every item \(invalid.message)")
                }
            }
            return .success(out)
        }
    }

    /// For merge patches of fields that always have a value: null is refused.
    public mutating func notNull<T>(_ key: String, _ field: Field<T>) {
        if case .null = field { fail(key, "must not be null") }
    }

    /// Marks a field required: adds an error when it is absent or null.
    public mutating func required<T>(_ key: String, _ field: Field<T>) -> T? {
        switch field {
        case .value(let v): return v
        case .null:
            fail(key, "must not be null")
            return nil
        case .absent:
            if !errors.contains(where: { $0.field == name(key) }) { fail(key, "is required") }
            return nil
        }
    }

    /// Adds an error for each of `keys` the object leaves out or sets to null, unless that
    /// field already has one.
    public mutating func require(_ keys: [String]) {
        for key in keys where !errors.contains(where: { $0.field == name(key) }) {
            switch object[key] {
            case nil: fail(key, "is required")
            case .null?: fail(key, "must not be null")
            default: break
            }
        }
    }

    /// Reads a resource's input (`creating`: its required fields must be there), leaving
    /// `finish` to the caller, which may read more keys first (an import row's codes).
    public mutating func fields<F: ResourceInput>(_ type: F.Type, creating: Bool) -> F {
        let fields = F(reading: &self)
        if creating { require(F.requiredOnCreate) }
        return fields
    }

    /// Refuses fields nobody asked for, and read-only fields; then throws all collected errors.
    public mutating func finish(readOnly: Set<String> = InputReader.readOnly) throws {
        for key in object.keys.sorted() where !known.contains(key) {
            errors.append(FieldError(name(key), readOnly.contains(key) ? "is read-only" : "is not a known field"))
        }
        if !errors.isEmpty { throw Problem.validation(errors) }
    }
}
