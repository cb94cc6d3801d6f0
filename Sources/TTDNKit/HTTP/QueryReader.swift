import Foundation
import Hummingbird
import PQ

/// Reads query parameters with the same care as bodies: unknown parameters, bad values and
/// repeated parameters are a 400 that names them.
public struct QueryReader {
    private var values: [String: String] = [:]
    private var known: Set<String> = []
    public private(set) var errors: [FieldError] = []

    public init(_ request: Request) {
        var seen: Set<String> = []
        for (key, value) in request.uri.queryParameters {
            let name = String(key)
            if !seen.insert(name).inserted { errors.append(FieldError(name, "must be given at most once")) }
            values[name] = String(value)
        }
        // Every answer that can be CSV takes `bom` (`CSVOptionsMiddleware` applies it).
        if let bom = values["bom"] {
            known.insert("bom")
            if bom != "true", bom != "false" { errors.append(FieldError("bom", "must be true or false")) }
        }
    }

    public mutating func fail(_ name: String, _ message: String) { errors.append(FieldError(name, message)) }

    public mutating func string(_ name: String, maxLength: Int = 200) -> String? {
        known.insert(name)
        guard let raw = values[name] else { return nil }
        if raw.unicodeScalars.contains("\u{0}") { fail(name, "must not contain NUL characters"); return nil }
        let text = raw.precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespaces)
        if text.unicodeScalars.count > maxLength { fail(name, "must have at most \(maxLength) characters"); return nil }
        return text
    }

    public mutating func enumeration<E: RawRepresentable & CaseIterable>(_ name: String, _ type: E.Type) -> E? where E.RawValue == String {
        guard let raw = string(name) else { return nil }
        guard let value = E(rawValue: raw) else {
            fail(name, "must be one of: \(E.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        return value
    }

    public mutating func uuid(_ name: String) -> UUID? {
        guard let raw = string(name) else { return nil }
        guard raw.count == 36, let id = UUID(uuidString: raw) else { fail(name, "must be a UUID"); return nil }
        return id
    }

    public mutating func date(_ name: String) -> CalendarDate? {
        guard let raw = string(name) else { return nil }
        guard let date = CalendarDate(raw) else { fail(name, "must be a real calendar date written YYYY-MM-DD"); return nil }
        return date
    }

    public mutating func bool(_ name: String) -> Bool? {
        guard let raw = string(name) else { return nil }
        switch raw {
        case "true": return true
        case "false": return false
        default: fail(name, "must be true or false"); return nil
        }
    }

    public mutating func integer(_ name: String, range: ClosedRange<Int>) -> Int? {
        guard let raw = string(name) else { return nil }
        guard let value = Int(raw), range.contains(value) else {
            fail(name, "must be an integer from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return value
    }

    /// `limit` (default 50, 1...500) and `cursor`.
    public mutating func page() -> (limit: Int, cursor: [String]?) {
        let limit = integer("limit", range: 1...500) ?? 50
        var cursor: [String]?
        if let raw = string("cursor", maxLength: 2000) {
            cursor = Cursor.decode(raw)
            if cursor == nil { fail("cursor", "is not a cursor this server issued; start again without it") }
        }
        return (limit, cursor)
    }

    /// Throws a 400 naming every bad or unknown parameter.
    public func finish() throws {
        var errors = self.errors
        for name in values.keys.sorted() where !known.contains(name) {
            errors.append(FieldError(name, "is not a known query parameter"))
        }
        if !errors.isEmpty { throw Problem.invalidQuery(errors) }
    }
}
