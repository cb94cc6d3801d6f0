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
        let token = try await TokenRepository.insert(publicID: publicID, secretHash: hex(hash(secret)), role: role, unitID: unitID,
                                                     name: name, expiresOn: expiresOn, on: connection)
        return Created(token: token, secret: "ttdn_\(publicID)_\(secret)")
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
        // The secret is hashed before the lookup, so timing does not tell which ids exist.
        guard let stored = try await pool.withConnection({ try await TokenRepository.credential(publicID: publicID, on: $0) }),
              constantTimeEqual(candidate, hexBytes(stored.secretHash)) else { return .failure(.unknown) }
        if stored.revoked { return .failure(.revoked) }
        if stored.expired { return .failure(.expired) }
        if stored.stale {
            // last_used_at to the minute: one small write a minute per token, not one per request.
            try await pool.withConnection { try await TokenRepository.markUsed(stored.id, on: $0) }
        }
        let principal = Principal(tokenID: stored.id, publicID: publicID, role: stored.role, unitID: stored.unitID, name: stored.name)
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

