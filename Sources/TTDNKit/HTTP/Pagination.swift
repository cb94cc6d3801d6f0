import Crypto
import Foundation
import Hummingbird
import PQ
import Synchronization

/// Opaque keyset cursors: the sort key of the last row, base64url, signed (HMAC-SHA256) with the
/// installation's secret from the database, so a changed or forged cursor is refused rather
/// than silently starting somewhere else.
public enum Cursor {
    /// The installation's signing secret, loaded once per process. (Tests run servers on several
    /// databases in one process; they share the first secret loaded, which is still one no
    /// client knows.)
    private static let secret = Mutex<SymmetricKey?>(nil)

    /// Loads the installation's cursor secret; every route that reads or issues cursors needs a
    /// caller, and authentication calls this first.
    package static func loadKey(from pool: PQPool) async throws {
        guard secret.withLock({ $0 == nil }) else { return }
        let rows = try await pool.query("SELECT encode(secret, 'base64') AS secret FROM installation_secrets WHERE name = 'cursor'")
        guard let row = rows.first, let loaded = Data(base64Encoded: try row.decode("secret", as: String.self)) else {
            throw PQError(kind: .decoding, message: "installation_secrets has no cursor secret; run ttdn migrate")
        }
        secret.withLock { if $0 == nil { $0 = SymmetricKey(data: loaded) } }
    }

    private static var key: SymmetricKey {
        guard let key = secret.withLock({ $0 }) else { preconditionFailure("Cursor.loadKey runs before a cursor is used") }
        return key
    }

    public static func encode(_ values: [String]) -> String {
        let payload = Data((try? JSONWriter.encode(values)) ?? [])
        return base64url(payload) + "." + base64url(Data(HMAC<SHA256>.authenticationCode(for: payload, using: key)))
    }

    public static func decode(_ text: String) -> [String]? {
        let pieces = text.split(separator: ".", omittingEmptySubsequences: false)
        guard pieces.count == 2, let payload = fromBase64url(String(pieces[0])), let mac = fromBase64url(String(pieces[1])),
            HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: payload, using: key),
            case .array(let items)? = try? JSONParser.parse(Array(payload))
        else { return nil }
        let values = items.compactMap { item -> String? in if case .string(let text) = item { text } else { nil } }
        return values.count == items.count ? values : nil
    }

    // Byte by byte: Foundation's replacingOccurrences cost a list page more than its HMAC.
    package static func base64url(_ data: Data) -> String {
        var bytes = Array(data.base64EncodedString().utf8)
        bytes.removeAll { $0 == UInt8(ascii: "=") }
        for index in bytes.indices {
            switch bytes[index] {
            case UInt8(ascii: "+"): bytes[index] = UInt8(ascii: "-")
            case UInt8(ascii: "/"): bytes[index] = UInt8(ascii: "_")
            default: break
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    package static func fromBase64url(_ text: String) -> Data? {
        var bytes = Array(text.utf8)
        for index in bytes.indices {
            switch bytes[index] {
            case UInt8(ascii: "-"): bytes[index] = UInt8(ascii: "+")
            case UInt8(ascii: "_"): bytes[index] = UInt8(ascii: "/")
            case UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="): return nil  // not base64url
            default: break
            }
        }
        while bytes.count % 4 != 0 { bytes.append(UInt8(ascii: "=")) }
        return Data(base64Encoded: Data(bytes))
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
