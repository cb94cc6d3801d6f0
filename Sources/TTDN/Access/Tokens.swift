import Crypto
import Foundation
import PQ

/// Bearer tokens: `ttdn_<public id>_<secret>`. The public id finds the row; only SHA-256 of the
/// secret is stored, compared in constant time. The secret is shown once, when created.
public enum Tokens {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    static func random(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet.randomElement(using: &generator)! })
    }

    static func hash(_ secret: some StringProtocol) -> [UInt8] { Array(SHA256.hash(data: Data(secret.utf8))) }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// (public id, secret) of a well-formed token, nil otherwise.
    static func parse(_ token: String) -> (publicID: String, secret: Substring)? {
        let parts = token.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "ttdn", parts[1].count == 12, parts[2].count == 40,
              parts[1].allSatisfy({ alphabet.contains($0) }), parts[2].allSatisfy({ alphabet.contains($0) })
        else { return nil }
        return (String(parts[1]), parts[2])
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    public struct Created: Sendable {
        public let token: TokenView
        public let secret: String
    }

    /// Creates a token and returns it with its secret, which is never stored.
    public static func create(on connection: PQConnection, role: Role, unitID: UUID?, name: String,
                              expiresOn: CalendarDate?) async throws -> Created {
        let publicID = random(12)
        let secret = random(40)
        let rows = try await connection.query("""
            INSERT INTO api_tokens (public_id, secret_hash, role, unit_id, name, expires_on)
            VALUES (\(publicID), decode(\(hex(hash(secret))), 'hex'), \(role.rawValue)::token_role, \(unitID), \(name), \(expiresOn))
            RETURNING \(TokenView.columns)
            """)
        return Created(token: try TokenView(row: rows[0]), secret: "ttdn_\(publicID)_\(secret)")
    }

    public enum Failure: Error { case malformed, unknown, expired, revoked }

    /// The principal behind an `Authorization` header value, or why there is none.
    /// `beforeLookup` runs when the token must be looked up in the database (not remembered):
    /// the place to refuse a client that keeps sending tokens that fail.
    static func authenticate(_ token: String, pool: PQPool, cache: TokenCache,
                             beforeLookup: () throws -> Void = {}) async throws -> Result<Principal, Failure> {
        guard let (publicID, secret) = parse(token) else { return .failure(.malformed) }
        let candidate = hash(secret)
        if let principal = cache.principal(publicID: publicID, secretHash: candidate) { return .success(principal) }
        try beforeLookup()
        let rows = try await pool.query("""
            SELECT id, encode(secret_hash, 'hex') AS secret_hash, role::text AS role, unit_id, name,
                   (expires_on IS NOT NULL AND expires_on < ttdn_today()) AS expired,
                   revoked_at IS NOT NULL AS revoked,
                   (last_used_at IS NULL OR last_used_at < now() - interval '1 minute') AS stale
            FROM api_tokens WHERE public_id = \(publicID)
            """)
        // The secret is hashed before the lookup, so timing does not tell which ids exist.
        guard let row = rows.first else { return .failure(.unknown) }
        let stored = try row.decode("secret_hash", as: String.self)
        guard constantTimeEqual(candidate, hexBytes(stored)) else { return .failure(.unknown) }
        if try row.decode("revoked", as: Bool.self) { return .failure(.revoked) }
        if try row.decode("expired", as: Bool.self) { return .failure(.expired) }
        let id = try row.decode("id", as: UUID.self)
        if try row.decode("stale", as: Bool.self) {
            // last_used_at to the minute: one small write a minute per token, not one per request.
            try await pool.query("UPDATE api_tokens SET last_used_at = now() WHERE id = \(id)")
        }
        let principal = Principal(tokenID: id, publicID: publicID, role: Role(rawValue: try row.decode("role"))!,
                                  unitID: try row.decode("unit_id"), name: try row.decode("name"))
        cache.remember(principal, secretHash: candidate)
        return .success(principal)
    }

    static func hexBytes(_ hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var iterator = hex.utf8.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            func value(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : (c | 0x20) - 87 }
            bytes.append(value(high) << 4 | value(low))
        }
        return bytes
    }
}

/// A token as the API shows it: never its secret or hash.
public struct TokenView: Encodable, Sendable {
    public let id: String
    public let publicId: String
    public let role: String
    public let unitId: String?
    public let name: String
    public let expiresOn: CalendarDate?
    public let revokedAt: Date?
    public let lastUsedAt: Date?
    public let createdAt: Date

    static let columns = PQQuery(unescaped: "id, public_id, role::text AS role, unit_id, name, expires_on, revoked_at, last_used_at, created_at")

    init(row: PQRow) throws {
        id = try row.decode("id", as: UUID.self).lowercasedString
        publicId = try row.decode("public_id")
        role = try row.decode("role")
        unitId = try row.decode("unit_id", as: UUID?.self)?.lowercasedString
        name = try row.decode("name")
        expiresOn = try row.decode("expires_on")
        revokedAt = try row.decode("revoked_at")
        lastUsedAt = try row.decode("last_used_at")
        createdAt = try row.decode("created_at")
    }
}
