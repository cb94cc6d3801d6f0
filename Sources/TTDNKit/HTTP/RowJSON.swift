import Foundation
import PQ

/// Rows written as JSON objects straight from the text libpq holds, for resources whose JSON is
/// their columns: a column's name is its key, the columns' order the keys' order, its type how
/// the value is written. No model value, no String per column, no Encodable call per field: for
/// a list page of media entries that was half of the server's CPU.
///
/// A column named `parent.member` is the member `member` of the object `parent`; consecutive
/// columns with the same parent make one nested object (a unit's `officer`).
///
/// The bytes are the ones `JSONWriter` writes for the resource's model decoded from the same
/// row; a test holds each resource written this way to that (`RowJSONTests`). A column of a type
/// not written here (an enum or a domain array is cast to `text` / `text[]` in the SELECT list)
/// is a decoding error, found by that test rather than guessed at.
package enum RowJSON {
    enum Kind {
        case string, number, uuid, bool, timestamp, date, stringArray

        init(column: Int, of rows: PQRows) throws {
            switch rows.columnType(column) {
            case 25, 1043, 1042, 19: self = .string  // text, varchar, bpchar, name
            case 20, 21, 23: self = .number  // int8, int2, int4
            case 2950: self = .uuid
            case 16: self = .bool
            case 1184: self = .timestamp  // timestamptz
            case 1082: self = .date
            case 1009, 1015: self = .stringArray  // text[], varchar[]
            case let oid:
                throw PQError(kind: .decoding, message: "column \(rows.columns[column]) has type \(oid), which RowJSON does not write")
            }
        }
    }

    /// What is written before and after a column's value: its key, and the opening or closing
    /// of the nested object it begins or ends.
    struct Member: Sendable {
        let kind: Kind
        let before: [UInt8]
        let after: [UInt8]
    }

    static func members(of rows: PQRows) throws -> [Member] {
        func quotedKey(_ name: some StringProtocol) -> [UInt8] {
            let key = JSONWriter.Output()
            key.string(String(name))
            return key.bytes + [UInt8(ascii: ":")]
        }
        /// `officer` of `officer.name`; nil for a plain column (or one out of range).
        func parent(_ column: Int) -> Substring? {
            guard rows.columns.indices.contains(column) else { return nil }
            return rows.columns[column].split(separator: ".", maxSplits: 1).dropLast().first
        }
        return try rows.columns.indices.map { column in
            let group = parent(column)
            var before: [UInt8] = []
            if column > 0 { before.append(UInt8(ascii: ",")) }
            if let group, group != parent(column - 1) { before += quotedKey(group) + [UInt8(ascii: "{")] }
            before += quotedKey(rows.columns[column].split(separator: ".", maxSplits: 1).last ?? "")
            let closes = group != nil && group != parent(column + 1)
            return Member(kind: try Kind(column: column, of: rows), before: before, after: closes ? [UInt8(ascii: "}")] : [])
        }
    }

    /// The first row of `rows` as one object (a resource's `GET` and `POST` answers).
    package static func object(_ rows: PQRows) throws -> [UInt8] {
        let output = JSONWriter.Output()
        output.bytes.reserveCapacity(1024)
        try writeObjects(rows, 0..<1, to: output)
        return output.bytes
    }

    /// The rows `range` of `rows`, each an object, separated by commas (no brackets).
    package static func writeObjects(_ rows: PQRows, _ range: Range<Int>, to output: JSONWriter.Output) throws {
        // Worked out once per prepared statement.
        let members = try rows.derived(members(of:))
        try rows.withCells { cells in
            for row in range {
                if row > range.lowerBound { output.bytes.append(UInt8(ascii: ",")) }
                output.bytes.append(UInt8(ascii: "{"))
                for (column, member) in members.enumerated() {
                    output.bytes.append(contentsOf: member.before)
                    if let value = cells.value(row: row, column: column) {
                        try write(value, as: member.kind, column: rows.columns[column], to: output)
                    } else {
                        output.raw("null")
                    }
                    output.bytes.append(contentsOf: member.after)
                }
                output.bytes.append(UInt8(ascii: "}"))
            }
        }
    }

    private static func write(_ value: UnsafeRawBufferPointer, as kind: Kind, column: String, to output: JSONWriter.Output) throws {
        switch kind {
        case .string: output.string(utf8: value)
        case .number: output.bytes.append(contentsOf: value)
        case .uuid:  // PostgreSQL writes the lower-case form the API promises
            output.bytes.append(UInt8(ascii: "\""))
            output.bytes.append(contentsOf: value)
            output.bytes.append(UInt8(ascii: "\""))
        case .bool: output.raw(value.first == UInt8(ascii: "t") ? "true" : "false")
        case .timestamp:
            output.bytes.append(UInt8(ascii: "\""))
            defer { output.bytes.append(UInt8(ascii: "\"")) }
            // PostgreSQL's digits rearranged; any other shape through Date, as the model's value goes.
            if PQTimestamp.appendRFC3339(postgresText: value, to: &output.bytes) { return }
            guard let date = PQTimestamp.parse(value) else {
                throw PQError(kind: .decoding, message: "column \(column) cannot be decoded as Date")
            }
            PQTimestamp.append(date, to: &output.bytes)
        case .date:
            // PostgreSQL's ISO text is the API's YYYY-MM-DD; any other shape (BC, a year past
            // 9999, infinity) is one `CalendarDate` refuses too.
            guard CalendarDate(utf8: value) != nil else {
                throw PQError(kind: .decoding, message: "column \(column) cannot be decoded as CalendarDate")
            }
            output.bytes.append(UInt8(ascii: "\""))
            output.bytes.append(contentsOf: value)
            output.bytes.append(UInt8(ascii: "\""))
        case .stringArray:
            output.bytes.append(UInt8(ascii: "["))
            var first = true
            do {
                try PQArrayLiteral.forEachElement(value) { element in
                    // The model cannot hold a NULL element either.
                    guard let element else { throw PQError(kind: .decoding, message: "column \(column) has a NULL element") }
                    if !first { output.bytes.append(UInt8(ascii: ",")) }
                    first = false
                    output.string(utf8: element)
                }
            } catch let error as PQError {
                throw error
            } catch {
                throw PQError(kind: .decoding, message: "column \(column) is not an array literal")
            }
            output.bytes.append(UInt8(ascii: "]"))
        }
    }
}

/// One page of a keyset-paged list as the rows PostgreSQL returned (`limit + 1` were asked for,
/// to know whether there is more): the rows of the page and the cursor of the next.
package struct RowPage: Sendable {
    package let rows: PQRows
    package let count: Int
    package let nextCursor: [String]?

    /// `key` reads the sort key of a row, the cursor of the page after it.
    package init(_ rows: PQRows, limit: Int, key: (PQRow) throws -> [String]) throws {
        self.rows = rows
        count = min(rows.count, limit)
        nextCursor = rows.count > limit ? try key(rows[limit - 1]) : nil
    }

    package func map<Item>(_ transform: (PQRow) throws -> Item) throws -> [Item] {
        try rows.prefix(count).map(transform)
    }
}
