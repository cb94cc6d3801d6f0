/// A SQL statement whose interpolated values become bound parameters (`$1`, `$2` ...), never text.
///
///     let q: PQQuery = "SELECT * FROM units WHERE code = \(code) AND active = \(true)"
///
/// Fragments compose: interpolating a `PQQuery` splices its SQL and renumbers its parameters.
/// `\(identifier:)` quotes a name; `\(unescaped:)` is the visibly named escape hatch for SQL text.
public struct PQQuery: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    enum Part: Sendable {
        case sql(String)
        case bind(text: String?, oid: PQOID)
    }

    var parts: [Part]

    public init(stringLiteral value: String) { parts = [.sql(value)] }
    public init(stringInterpolation: StringInterpolation) { parts = stringInterpolation.parts }
    public init(unescaped sql: String) { parts = [.sql(sql)] }

    public struct StringInterpolation: StringInterpolationProtocol {
        var parts: [Part] = []
        public init(literalCapacity: Int, interpolationCount: Int) {
            parts.reserveCapacity(interpolationCount * 2 + 1)
        }
        public mutating func appendLiteral(_ literal: String) {
            if !literal.isEmpty { parts.append(.sql(literal)) }
        }
        public mutating func appendInterpolation<Value: PQEncodable>(_ value: Value) {
            parts.append(.bind(text: value.pqText, oid: Value.pqOID))
        }
        /// An optional binds NULL when nil (spelled out so the compiler does not warn about it).
        public mutating func appendInterpolation<Value: PQEncodable>(_ value: Value?) {
            parts.append(.bind(text: value?.pqText ?? nil, oid: Value.pqOID))
        }
        public mutating func appendInterpolation(_ fragment: PQQuery) {
            parts.append(contentsOf: fragment.parts)
        }
        /// A double-quoted SQL identifier (table or column name).
        public mutating func appendInterpolation(identifier: String) {
            parts.append(.sql("\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""))
        }
        /// Raw SQL text. Only for text the program itself wrote, never for input.
        public mutating func appendInterpolation(unescaped sql: String) {
            parts.append(.sql(sql))
        }
    }

    public mutating func append(_ other: PQQuery) { parts.append(contentsOf: other.parts) }

    public static func + (lhs: PQQuery, rhs: PQQuery) -> PQQuery {
        var out = lhs
        out.append(rhs)
        return out
    }

    /// Joins fragments with a separator, e.g. `WHERE` conditions with `AND`.
    public static func joined(_ fragments: [PQQuery], separator: String) -> PQQuery {
        var out = PQQuery(unescaped: "")
        for (index, fragment) in fragments.enumerated() {
            if index > 0 { out.parts.append(.sql(separator)) }
            out.append(fragment)
        }
        return out
    }

    /// The SQL with `$n` placeholders, the parameter values and their types.
    func render() throws -> (sql: String, values: [String?], oids: [PQOID]) {
        var sql = ""
        var values: [String?] = []
        var oids: [PQOID] = []
        for part in parts {
            switch part {
            case .sql(let text):
                sql += text
            case .bind(let text, let oid):
                if let text, text.utf8.contains(0) {
                    throw PQError(
                        kind: .invalidParameter,
                        message: "parameter $\(values.count + 1) contains a NUL byte, which PostgreSQL text cannot hold")
                }
                values.append(text)
                oids.append(oid)
                sql += "$\(values.count)"
            }
        }
        return (sql, values, oids)
    }

    /// The SQL text with placeholders; never the values.
    public var description: String { (try? render().sql) ?? "<invalid query>" }
}
