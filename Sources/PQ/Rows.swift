import CLibPQ

/// Owns a `PGresult` and frees it when the last reference goes. A result is immutable,
/// so rows can be decoded on any thread once the connection's thread has handed it over.
final class PQResultHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { PQclear(pointer) }
}

/// The rows a statement returned.
public struct PQRows: Sendable, RandomAccessCollection {
    let handle: PQResultHandle?
    public let columns: [String]
    /// Column positions by name, built once: rows are decoded by name, column after column.
    let positions: [String: Int]
    /// Rows the command affected (`UPDATE`, `DELETE`, `INSERT`), from the command tag.
    public let affectedRows: Int

    init(handle: PQResultHandle?) {
        self.handle = handle
        guard let handle else {
            columns = []
            positions = [:]
            affectedRows = 0
            return
        }
        let count = Int(PQnfields(handle.pointer))
        columns = (0..<count).map { String(cString: PQfname(handle.pointer, Int32($0))) }
        // The first of two columns with one name wins, as a search from the left would find.
        positions = Dictionary(columns.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        affectedRows = Int(String(cString: PQcmdTuples(handle.pointer))) ?? 0
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { handle.map { Int(PQntuples($0.pointer)) } ?? 0 }
    public subscript(position: Int) -> PQRow { PQRow(rows: self, index: position) }

    /// Decodes every row with `transform`.
    public func decode<T>(_ transform: (PQRow) throws -> T) throws -> [T] { try map(transform) }
}

public struct PQRow: Sendable {
    let rows: PQRows
    let index: Int

    func column(named name: String) throws -> Int {
        guard let position = rows.positions[name] else {
            throw PQError(kind: .decoding, message: "no column named \(name)")
        }
        return position
    }

    /// The raw column, nil for NULL.
    func withBytes<R>(_ column: Int, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        let result = rows.handle!.pointer
        if PQgetisnull(result, Int32(index), Int32(column)) != 0 { return try body(nil) }
        let length = Int(PQgetlength(result, Int32(index), Int32(column)))
        let value = PQgetvalue(result, Int32(index), Int32(column))!
        return try body(UnsafeRawBufferPointer(start: UnsafeRawPointer(value), count: length))
    }

    public func decode<T: PQDecodable>(_ column: Int, as type: T.Type = T.self) throws -> T {
        do {
            return try withBytes(column) { try T.pqDecode($0) }
        } catch is PQDecodingFailure {
            throw PQError(kind: .decoding, message: "column \(rows.columns[column]) cannot be decoded as \(T.self)")
        }
    }

    public func decode<T: PQDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try decode(try self.column(named: column), as: type)
    }

    public func isNull(_ column: String) throws -> Bool {
        try withBytes(try self.column(named: column)) { $0 == nil }
    }
}
