import Foundation
import Hummingbird
import NIOCore
import PQ

/// `Accept: text/csv` on lists and aggregates: RFC 4180, UTF-8, a header row, CRLF line ends;
/// with `?bom=true` a byte-order mark first (Excel on Windows then reads UTF-8: *Phòng Giáo dục*,
/// not mojibake); a cell that a spreadsheet would run as a formula is neutralised (OWASP).
public enum CSVOutput {
    /// Set for the request by `CSVOptionsMiddleware` from `?bom=true`.
    @TaskLocal package static var byteOrderMark = false
    static let bomBytes: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`,
    /// unless it is a plain number: a spreadsheet shows it as text instead of running it.
    public static func neutralised(_ field: String) -> String {
        guard let first = field.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return field }
        if field.range(of: "^[-+]?[0-9]+([.][0-9]+)?([eE][-+]?[0-9]+)?$", options: .regularExpression) != nil { return field }
        return "'" + field
    }

    /// CSV, or the same table as an XLSX workbook (`Accept` names its media type).
    public static func wanted(by request: Request) -> Bool {
        guard let accept = request.headers[.accept]?.lowercased() else { return false }
        return accept.contains("text/csv") || accept.contains(XLSXWorkbook.mediaType)
    }

    /// Set for the request by `CSVOptionsMiddleware`: the table goes out as XLSX.
    @TaskLocal package static var asWorkbook = false

    static func workbookHeaders(_ filename: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = XLSXWorkbook.mediaType
        headers[.contentDisposition] = "attachment; filename=\"\(filename).xlsx\""
        return headers
    }

    /// The whole table, built once every page has arrived, as a workbook.
    static func workbook(filename: String, _ collect: @escaping @Sendable () async throws -> (header: [String], rows: [[String?]])) -> Response {
        let body = ResponseBody { writer in
            let table = try await collect()
            try await writer.write(ByteBuffer(bytes: try XLSXWorkbook.build(header: table.header, rows: table.rows)))
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: workbookHeaders(filename), body: body)
    }

    public static func line(_ fields: [String?]) -> String {
        fields.map { raw -> String in
            guard let raw else { return "" }
            let field = neutralised(raw)
            let needsQuotes = field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            return needsQuotes ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
        }.joined(separator: ",") + "\r\n"
    }

    /// A CSV body written page by page as the database returns it, never held whole in memory.
    /// `fetch` gets the previous page's cursor (nil first) and returns rows and the next cursor.
    public static func stream(
        header: [String], filename: String,
        fetch: @escaping @Sendable ([String]?) async throws -> (rows: [[String?]], next: [String]?)
    ) -> Response {
        if asWorkbook {
            return workbook(filename: filename) {
                var rows: [[String?]] = []
                var cursor: [String]?
                repeat {
                    let page = try await fetch(cursor)
                    rows += page.rows
                    cursor = page.next
                } while cursor != nil
                return (header, rows)
            }
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8; header=present"
        headers[.contentDisposition] = "attachment; filename=\"\(filename).csv\""
        let bom = byteOrderMark
        let body = ResponseBody { writer in
            if bom { try await writer.write(ByteBuffer(bytes: bomBytes)) }
            try await writer.write(ByteBuffer(string: line(header)))
            var cursor: [String]?
            repeat {
                let page = try await fetch(cursor)
                var chunk = ""
                for row in page.rows { chunk += line(row) }
                if !chunk.isEmpty { try await writer.write(ByteBuffer(string: chunk)) }
                cursor = page.next
            } while cursor != nil
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// A small CSV built in memory (aggregates, import reports).
    public static func response(header: [String], rows: [[String?]], filename: String) -> Response {
        if asWorkbook { return workbook(filename: filename) { (header, rows) } }
        var text = line(header)
        for row in rows { text += line(row) }
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8; header=present"
        headers[.contentDisposition] = "attachment; filename=\"\(filename).csv\""
        var buffer = ByteBuffer()
        if byteOrderMark { buffer.writeBytes(bomBytes) }
        buffer.writeString(text)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: buffer))
    }
}

/// Reads `?bom=true` and an `Accept` of XLSX once for the request, for whichever table it answers with.
package struct CSVOptionsMiddleware: RouterMiddleware {
    package typealias Context = AppRequestContext
    package init() {}

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let bom = request.uri.queryParameters["bom"].map { $0 == "true" } ?? false
        let workbook = request.headers[.accept]?.lowercased().contains(XLSXWorkbook.mediaType) ?? false
        return try await CSVOutput.$byteOrderMark.withValue(bom) {
            try await CSVOutput.$asWorkbook.withValue(workbook) { try await next(request, context) }
        }
    }
}

extension CSVOutput {
    /// A row per item: the item's JSON fields in alphabetical order; arrays joined with spaces,
    /// objects as JSON text, null as an empty cell.
    package static func flatten<Item: Encodable>(_ item: Item) throws -> [(String, String?)] {
        guard case .object(let object) = try JSONParser.parse(try JSONWriter.encode(item)) else { return [] }
        return object.keys.sorted().map { key in (key, cell(object[key]!)) }
    }

    private static func cell(_ value: JSONValue) -> String? {
        switch value {
        case .null: return nil
        case .string(let string): return string
        case .bool(let bool): return bool ? "true" : "false"
        case .int(let int): return String(int)
        case .number(let text): return text
        case .array(let items): return items.compactMap { cell($0) }.joined(separator: " ")
        case .object: return value.canonical
        }
    }

    /// The whole filtered list as CSV, fetched page by page; columns as in `flatten`.
    package static func stream<Item: Encodable & Sendable>(
        filename: String, fetch: @escaping @Sendable ([String]?, Int) async throws -> ([Item], [String]?)
    ) -> Response {
        if asWorkbook {
            return workbook(filename: filename) {
                var header: [String] = []
                var rows: [[String?]] = []
                var cursor: [String]?
                repeat {
                    let (items, next) = try await fetch(cursor, 500)
                    for item in items {
                        let fields = try flatten(item)
                        if header.isEmpty { header = fields.map(\.0) }
                        rows.append(fields.map(\.1))
                    }
                    cursor = next
                } while cursor != nil
                return (header, rows)
            }
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8; header=present"
        headers[.contentDisposition] = "attachment; filename=\"\(filename).csv\""
        let bom = byteOrderMark
        let body = ResponseBody { writer in
            if bom { try await writer.write(ByteBuffer(bytes: bomBytes)) }
            var cursor: [String]?
            var wroteHeader = false
            repeat {
                let (items, next) = try await fetch(cursor, 500)
                var chunk = ""
                for item in items {
                    let fields = try flatten(item)
                    if !wroteHeader {
                        chunk += line(fields.map(\.0))
                        wroteHeader = true
                    }
                    chunk += line(fields.map(\.1))
                }
                if !chunk.isEmpty { try await writer.write(ByteBuffer(string: chunk)) }
                cursor = next
            } while cursor != nil
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}

/// A CSV layout chosen by the resource (its column order), instead of the JSON fields in
/// alphabetical order.
package struct CSVColumns<Item>: Sendable {
    package let header: [String]
    package let row: @Sendable (Item) -> [String?]

    package init(header: [String], row: @escaping @Sendable (Item) -> [String?]) {
        self.header = header
        self.row = row
    }
}

extension Pagination {
    /// Every list answer: the page as JSON, or, with `Accept: text/csv`, the whole filtered list
    /// as CSV (in `columns` when given), fetched 500 rows at a time.
    package static func list<Item: Encodable & Sendable>(
        request: Request, page: (limit: Int, cursor: [String]?), filename: String, columns: CSVColumns<Item>? = nil,
        fetch: @escaping @Sendable ([String]?, Int) async throws -> ([Item], [String]?)
    ) async throws -> Response {
        if CSVOutput.wanted(by: request) {
            guard let columns else { return CSVOutput.stream(filename: filename, fetch: fetch) }
            return CSVOutput.stream(header: columns.header, filename: filename) { cursor in
                let (items, next) = try await fetch(cursor, 500)
                return (items.map(columns.row), next)
            }
        }
        let (items, next) = try await fetch(page.cursor, page.limit)
        return try response(request: request, items: items, nextCursor: next.map(Cursor.encode))
    }

    /// A list read as rows, for items whose JSON is their columns: the JSON page is written from
    /// the rows themselves (`RowJSON`), the CSV from the items `decode` makes of them.
    package static func list<Item: Sendable>(
        request: Request, page: (limit: Int, cursor: [String]?), filename: String, columns: CSVColumns<Item>,
        decode: @escaping @Sendable (PQRow) throws -> Item,
        fetch: @escaping @Sendable ([String]?, Int) async throws -> RowPage
    ) async throws -> Response {
        if CSVOutput.wanted(by: request) {
            return CSVOutput.stream(header: columns.header, filename: filename) { cursor in
                let page = try await fetch(cursor, 500)
                return (try page.map { columns.row(try decode($0)) }, page.nextCursor)
            }
        }
        let rows = try await fetch(page.cursor, page.limit)
        let nextCursor = rows.nextCursor.map(Cursor.encode)
        // As `Page` writes it: {"items":[...],"next_cursor":...}
        let output = JSONWriter.Output()
        output.bytes.reserveCapacity(1024 + rows.count * 1024)
        output.raw(#"{"items":["#)
        try RowJSON.writeObjects(rows.rows, 0..<rows.count, to: output)
        output.raw(#"],"next_cursor":"#)
        if let nextCursor { output.string(nextCursor) } else { output.raw("null") }
        output.raw("}")
        var headers = HTTPFields()
        if let nextCursor { headers[.link] = linkHeader(request: request, nextCursor: nextCursor) }
        return JSONOutput.response(json: output.bytes, headers: headers)
    }

    /// Keyset paging of already-ordered rows: drops the extra row and names the next cursor.
    package static func cut<Item>(_ items: [Item], limit: Int, key: (Item) -> [String]) -> ([Item], [String]?) {
        guard items.count > limit else { return (items, nil) }
        let page = Array(items.prefix(limit))
        return (page, page.last.map(key))
    }
}
