import Hummingbird
import NIOCore

/// `Accept: text/csv` on lists and aggregates: RFC 4180, UTF-8, a header row, CRLF line ends.
public enum CSVOutput {
    public static func wanted(by request: Request) -> Bool {
        guard let accept = request.headers[.accept]?.lowercased() else { return false }
        return accept.contains("text/csv")
    }

    public static func line(_ fields: [String?]) -> String {
        fields.map { field -> String in
            guard let field else { return "" }
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
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8; header=present"
        headers[.contentDisposition] = "attachment; filename=\"\(filename).csv\""
        let body = ResponseBody { writer in
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
        var text = line(header)
        for row in rows { text += line(row) }
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8; header=present"
        headers[.contentDisposition] = "attachment; filename=\"\(filename).csv\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
