import CLibPQ

/// An error from the database layer. Its `description` names the kind, the SQLSTATE and the
/// constraint, and never the server's message or detail: those can quote parameter values.
public struct PQError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        /// Could not connect, or the connection broke (network, server shut down or restarted).
        case connection
        /// The server rejected a statement; `sqlState` says why.
        case server
        /// No connection became free within the pool's wait bound.
        case poolTimeout
        /// The pool was shut down.
        case poolClosed
        /// A bound value cannot be sent as is (a NUL byte in text).
        case invalidParameter
        /// A column could not be decoded to the requested Swift type.
        case decoding
    }

    public let kind: Kind
    /// Five-character SQLSTATE code, when the server sent one.
    public let sqlState: String?
    /// The server's (or this library's) primary message. May contain values: log with care.
    public let message: String
    /// The server's detail. Often quotes the offending values.
    public let detail: String?
    public let constraint: String?
    public let table: String?
    public let column: String?

    public init(
        kind: Kind, sqlState: String? = nil, message: String, detail: String? = nil,
        constraint: String? = nil, table: String? = nil, column: String? = nil
    ) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.constraint = constraint
        self.table = table
        self.column = column
    }

    public var description: String {
        var parts = ["kind: \(kind.rawValue)"]
        if let sqlState { parts.append("sqlstate: \(sqlState)") }
        if let constraint { parts.append("constraint: \(constraint)") }
        if let table { parts.append("table: \(table)") }
        if kind != .server { parts.append("message: \(message)") }
        return "PQError(\(parts.joined(separator: ", ")))"
    }

    /// True when the database could not be reached or went away: worth a 503 and a retry later.
    public var isUnavailable: Bool {
        switch kind {
        case .connection, .poolTimeout, .poolClosed: return true
        case .invalidParameter, .decoding: return false
        case .server:
            guard let sqlState else { return false }
            // 08: connection exception; 57P01-57P03: admin/crash shutdown, cannot connect now.
            return sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03", "53300"].contains(sqlState)
        }
    }

    public var isUniqueViolation: Bool { sqlState == SQLState.uniqueViolation }
    public var isForeignKeyViolation: Bool { sqlState == SQLState.foreignKeyViolation }
    public var isCheckViolation: Bool { sqlState == SQLState.checkViolation }
    /// `statement_timeout` (or a cancel request) stopped the statement.
    public var isQueryCanceled: Bool { sqlState == SQLState.queryCanceled }
    public var isSerializationFailure: Bool {
        sqlState == SQLState.serializationFailure || sqlState == SQLState.deadlockDetected
    }

    /// A column whose text is not a `type` (or NULL where `type` is not optional); never the value.
    static func undecodable(column: String, as type: Any.Type) -> PQError {
        PQError(kind: .decoding, message: "column \(column) cannot be decoded as \(type)")
    }

    static func fromResult(_ result: OpaquePointer?, connection: OpaquePointer?) -> PQError {
        func field(_ code: Int32) -> String? {
            guard let result, let value = PQresultErrorField(result, code) else { return nil }
            return String(cString: value)
        }
        let sqlState = field(CLIBPQ_DIAG_SQLSTATE)
        let primary =
            field(CLIBPQ_DIAG_MESSAGE_PRIMARY)
            ?? connection.flatMap { PQerrorMessage($0).map { String(cString: $0) } }
            ?? "unknown error"
        let broken = connection.map { PQstatus($0) != CONNECTION_OK } ?? true
        let kind: Kind = (sqlState == nil && broken) ? .connection : .server
        return PQError(
            kind: kind, sqlState: sqlState, message: primary.trimmingTrailingNewlines,
            detail: field(CLIBPQ_DIAG_MESSAGE_DETAIL), constraint: field(CLIBPQ_DIAG_CONSTRAINT_NAME),
            table: field(CLIBPQ_DIAG_TABLE_NAME), column: field(CLIBPQ_DIAG_COLUMN_NAME))
    }
}

/// The SQLSTATE codes this code base reacts to.
public enum SQLState {
    public static let uniqueViolation = "23505"
    public static let foreignKeyViolation = "23503"
    public static let checkViolation = "23514"
    public static let notNullViolation = "23502"
    public static let exclusionViolation = "23P01"
    public static let raiseException = "P0001"
    public static let queryCanceled = "57014"
    public static let serializationFailure = "40001"
    public static let deadlockDetected = "40P01"
    public static let invalidStatementName = "26000"
}

extension String {
    var trimmingTrailingNewlines: String {
        var s = Substring(self)
        while let last = s.last, last.isNewline || last == " " { s = s.dropLast() }
        return String(s)
    }
}
