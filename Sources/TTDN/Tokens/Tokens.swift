import Foundation
import PQ
import TTDNKit

/// Bearer tokens: `ttdn_<public id>_<secret>`. The public id finds the row; only SHA-256 of the
/// secret is stored, compared in constant time. The secret is shown once, when created.
public enum Tokens {
    public struct Created: Sendable {
        public let token: TokenView
        public let secret: String
    }

    /// Creates a token and returns it with its secret, which is never stored.
    public static func create(
        on connection: PQConnection, role: Role, unitID: UUID?, name: String,
        expiresOn: CalendarDate?
    ) async throws -> Created {
        let publicID = BearerToken.random(12)
        let secret = BearerToken.random(40)
        let token = try await TokenRepository.insert(
            publicID: publicID, secretHash: BearerToken.hex(BearerToken.hash(secret)), role: role, unitID: unitID,
            name: name, expiresOn: expiresOn, on: connection)
        return Created(token: token, secret: BearerToken.format(publicID: publicID, secret: secret))
    }

    /// The principal behind an `Authorization` header value, or why there is none.
    /// `beforeLookup` runs when the token must be looked up in the database (not remembered):
    /// the place to refuse a client that keeps sending tokens that fail.
    static func authenticate(
        _ token: String, pool: PQPool, cache: TokenCache,
        beforeLookup: () throws -> Void = {}
    ) async throws -> Result<Principal, AuthenticationFailure> {
        guard let (publicID, secret) = BearerToken.parse(token) else { return .failure(.malformed) }
        let candidate = BearerToken.hash(secret)
        if let principal = cache.principal(publicID: publicID, secretHash: candidate) { return .success(principal) }
        try beforeLookup()
        // The secret is hashed before the lookup, so timing does not tell which ids exist.
        guard let stored = try await pool.withSharedConnection({ try await TokenRepository.credential(publicID: publicID, on: $0) }),
            BearerToken.constantTimeEqual(candidate, BearerToken.hexBytes(stored.secretHash))
        else { return .failure(.unknown) }
        if stored.revoked { return .failure(.revoked) }
        if stored.expired { return .failure(.expired) }
        if stored.stale {
            // last_used_at to the minute: one small write a minute per token, not one per request.
            try await pool.withSharedConnection { try await TokenRepository.markUsed(stored.id, on: $0) }
        }
        let principal = Principal(tokenID: stored.id, publicID: publicID, role: stored.role, unitID: stored.unitID, name: stored.name)
        cache.remember(principal, secretHash: candidate)
        return .success(principal)
    }

}
