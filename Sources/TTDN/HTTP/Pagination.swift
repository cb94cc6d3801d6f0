import Crypto
import Foundation
import Hummingbird

/// Opaque keyset cursors: the sort key of the last row, base64url, with a checksum so a
/// changed cursor is refused rather than silently starting somewhere else.
public enum Cursor {
    public static func encode(_ values: [String]) -> String {
        let payload = (try? JSONSerialization.data(withJSONObject: values)) ?? Data()
        return base64url(payload) + "." + checksum(payload)
    }

    public static func decode(_ text: String) -> [String]? {
        let pieces = text.split(separator: ".", omittingEmptySubsequences: false)
        guard pieces.count == 2, let payload = fromBase64url(String(pieces[0])),
              checksum(payload) == pieces[1],
              let values = try? JSONSerialization.jsonObject(with: payload) as? [String] else { return nil }
        return values
    }

    private static func checksum(_ payload: Data) -> String {
        base64url(Data(SHA256.hash(data: Data("ttdn-cursor-v1".utf8) + payload).prefix(9)))
    }

    static func base64url(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func fromBase64url(_ text: String) -> Data? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s)
    }
}

public enum Pagination {
    /// The `Link: <...>; rel="next"` header for the next page, keeping the request's other parameters.
    public static func linkHeader(request: Request, nextCursor: String, parameter: String = "cursor") -> String {
        var components = URLComponents()
        components.path = request.uri.path
        var items = request.uri.queryParameters
            .filter { $0.key != parameter }
            .map { URLQueryItem(name: String($0.key), value: String($0.value)) }
        items.append(URLQueryItem(name: parameter, value: nextCursor))
        components.queryItems = items
        return "<\(components.string ?? request.uri.path)>; rel=\"next\""
    }

    /// A JSON page, or a CSV stream when the client asked for text/csv.
    public static func response<Item: Encodable & Sendable>(
        request: Request, items: [Item], nextCursor: String?, cursorParameter: String = "cursor"
    ) throws -> Response {
        var headers = HTTPFields()
        if let nextCursor { headers[.link] = linkHeader(request: request, nextCursor: nextCursor, parameter: cursorParameter) }
        return try JSONOutput.response(Page(items: items, nextCursor: nextCursor), headers: headers)
    }
}
