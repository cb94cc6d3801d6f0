import CLibPQ
import Foundation
import Synchronization

/// Owns a `PGresult` and frees it when the last reference goes. A result is immutable,
/// so rows can be decoded on any thread once the connection's thread has handed it over.
final class PQResultHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    /// Where the next column looked up by name probably is: rows are decoded column after
    /// column, so a comparison with one name usually replaces a hash of it.
    let nextColumn = Atomic<Int>(0)
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { PQclear(pointer) }
}

/// A result's column names and where each name first appears. Every result of one prepared
/// statement has the same columns (PostgreSQL refuses to run it once they would change), so
/// the connection builds this once per statement and checks it against each result by
/// comparing names, without a `String` or a dictionary per result.
final class PQColumnIndex: Sendable {
    let names: [String]
    /// Column positions by name: rows are decoded by name, column after column.
    let positions: [String: Int]
    /// Whether each column is the first with its name (the one a lookup by name finds).
    let isFirstOfItsName: [Bool]
    /// What a reader of the results works out from their columns, once per statement (`PQRows.derived`).
    let derived = Mutex<(any Sendable)?>(nil)

    static let none = PQColumnIndex(names: [])

    convenience init(_ result: OpaquePointer) {
        self.init(names: (0..<Int(PQnfields(result))).map { String(cString: PQfname(result, Int32($0))) })
    }

    private init(names: [String]) {
        self.names = names
        // The first of two columns with one name wins, as a search from the left would find.
        var positions: [String: Int] = [:]
        positions.reserveCapacity(names.count)
        for (position, name) in names.enumerated() where positions[name] == nil { positions[name] = position }
        self.positions = positions
        isFirstOfItsName = names.indices.map { positions[names[$0]] == $0 }
    }

    /// Whether `result` has exactly these columns.
    func describes(_ result: OpaquePointer) -> Bool {
        guard Int(PQnfields(result)) == names.count else { return false }
        for (position, name) in names.enumerated() {
            guard let field = PQfname(result, Int32(position)), name.withCString({ strcmp($0, field) }) == 0 else { return false }
        }
        return true
    }
}

/// The rows a statement returned.
public struct PQRows: Sendable, RandomAccessCollection {
    let handle: PQResultHandle?
    let index: PQColumnIndex
    public var columns: [String] { index.names }
    /// Rows the command affected (`UPDATE`, `DELETE`, `INSERT`), from the command tag.
    public let affectedRows: Int

    /// `known` is the index of an earlier result of the same statement, used when it fits.
    init(handle: PQResultHandle?, known: PQColumnIndex? = nil) {
        self.handle = handle
        guard let handle else {
            index = .none
            affectedRows = 0
            return
        }
        if let known, known.describes(handle.pointer) {
            index = known
        } else {
            index = PQColumnIndex(handle.pointer)
        }
        affectedRows = Int(String(cString: PQcmdTuples(handle.pointer))) ?? 0
    }

    /// The type of each column (its OID), as the server described the result.
    public func columnType(_ column: Int) -> PQOID {
        handle.map { PQOID(PQftype($0.pointer, Int32(column))) } ?? 0
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { handle.map { Int(PQntuples($0.pointer)) } ?? 0 }
    public subscript(position: Int) -> PQRow { PQRow(rows: self, index: position) }

    /// The cells of the result for a writer that copies them out (`RowJSON`): no `PQRow` and
    /// no reference counting per cell. The bytes are valid only inside `body`.
    public func withCells<R>(_ body: (PQCells) throws -> R) rethrows -> R {
        try withExtendedLifetime(handle) { try body(PQCells(result: handle?.pointer, index: index)) }
    }

    /// `make`'s value for these columns, worked out once per prepared statement and kept with its
    /// column index: PostgreSQL refuses to run a prepared statement whose result's columns or
    /// their types would change, so it holds for every result the index describes.
    public func derived<T: Sendable>(_ make: (PQRows) throws -> T) rethrows -> T {
        if let kept = index.derived.withLock({ $0 }) as? T { return kept }
        let value = try make(self)
        if handle != nil { index.derived.withLock { $0 = value } }
        return value
    }

    /// Decodes every row with `transform`.
    public func decode<T>(_ transform: (PQRow) throws -> T) throws -> [T] { try map(transform) }

    /// The position of the first column named `name`, for readers of many rows that look each
    /// column up once (`withCells`) rather than by name in every row.
    public func column(_ name: String) throws -> Int {
        guard let position = index.positions[name] else { throw PQError(kind: .decoding, message: "no column named \(name)") }
        return position
    }
}

public struct PQRow: Sendable {
    let rows: PQRows
    let index: Int

    func column(named name: String) throws -> Int {
        guard let handle = rows.handle, let position = position(of: name, hint: handle.nextColumn.load(ordering: .relaxed)) else {
            throw PQError(kind: .decoding, message: "no column named \(name)")
        }
        handle.nextColumn.store(position + 1, ordering: .relaxed)
        return position
    }

    private func position(of name: String, hint: Int) -> Int? {
        let index = rows.index
        if hint < index.names.count, index.isFirstOfItsName[hint], index.names[hint] == name { return hint }
        return index.positions[name]
    }

    /// The column's text as libpq holds it, nil for NULL; valid only inside `body`.
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
            throw PQError.undecodable(column: rows.columns[column], as: T.self)
        }
    }

    public func decode<T: PQDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try decode(try self.column(named: column), as: type)
    }

    public func isNull(_ column: String) throws -> Bool {
        try withBytes(try self.column(named: column)) { $0 == nil }
    }
}

/// A result's cells by row and column, lent by `PQRows.withCells`.
public struct PQCells {
    let result: OpaquePointer?
    unowned(unsafe) let index: PQColumnIndex  // kept alive by the `PQRows` that lends the cells

    /// The cell's text as libpq holds it, nil for NULL.
    public func value(row: Int, column: Int) -> UnsafeRawBufferPointer? {
        guard let result, PQgetisnull(result, Int32(row), Int32(column)) == 0 else { return nil }
        let length = Int(PQgetlength(result, Int32(row), Int32(column)))
        return UnsafeRawBufferPointer(start: UnsafeRawPointer(PQgetvalue(result, Int32(row), Int32(column))), count: length)
    }

    /// The cell decoded as `T`, as `PQRow.decode` does it (NULL only into an optional).
    public func decode<T: PQDecodable>(row: Int, column: Int, as type: T.Type = T.self) throws -> T {
        do {
            return try T.pqDecode(value(row: row, column: column))
        } catch is PQDecodingFailure {
            throw PQError.undecodable(column: index.names[column], as: T.self)
        }
    }
}
