import Foundation
import Synchronization

/// Tokens verified in the last moment (`TTDN_TOKEN_CACHE_MS`, default 1 s), so that a client's
/// burst of requests costs one lookup instead of one per request. The secret is still checked
/// against the stored hash on every request. A revocation through this process's API takes
/// effect at once; one made elsewhere (another process, the CLI) within the lifetime.
package final class TokenCache: Sendable {
    private struct Entry {
        package let principal: Principal
        package let secretHash: [UInt8]
        package let until: ContinuousClock.Instant
    }

    private let lifetime: Duration
    private let entries = Mutex<[String: Entry]>([:])
    private static let capacity = 10_000

    package init(lifetime: Duration) { self.lifetime = lifetime }

    package var enabled: Bool { lifetime > .zero }

    /// The principal of `publicID` if it was verified recently with this secret hash.
    package func principal(publicID: String, secretHash: [UInt8]) -> Principal? {
        guard enabled else { return nil }
        let entry = entries.withLock { $0[publicID] }
        guard let entry, ContinuousClock.now < entry.until,
            BearerToken.constantTimeEqual(entry.secretHash, secretHash)
        else { return nil }
        return entry.principal
    }

    package func remember(_ principal: Principal, secretHash: [UInt8]) {
        guard enabled else { return }
        let entry = Entry(principal: principal, secretHash: secretHash, until: .now + lifetime)
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[principal.publicID] = entry
        }
    }

    package func forget(tokenID: UUID) {
        entries.withLock { entries in
            for (key, entry) in entries where entry.principal.tokenID == tokenID { entries[key] = nil }
        }
    }
}
