import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// Token buckets by key (a bearer token, or a client address for failed authentications):
/// `rate` requests a second on average, bursts up to `burst`. The buckets live in this process:
/// with N processes behind a load balancer a token may make up to N times the rate. That is a
/// guard against runaway clients, not a quota (quotas would belong in PostgreSQL).
package final class RateLimiter: Sendable {
    package let rate: Double
    package let burst: Double
    private struct Bucket { var tokens: Double; var updated: ContinuousClock.Instant }
    private let buckets = Mutex<[String: Bucket]>([:])

    package init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = burst
    }

    /// nil when the request may go on (and is counted), else the seconds to wait.
    package func take(_ key: String, now: ContinuousClock.Instant = .now) -> Int? {
        update(key, now: now, consume: true)
    }

    /// Like `take`, without counting: whether a request under `key` would be refused now.
    package func refusal(_ key: String, now: ContinuousClock.Instant = .now) -> Int? {
        update(key, now: now, consume: false)
    }

    private func update(_ key: String, now: ContinuousClock.Instant, consume: Bool) -> Int? {
        buckets.withLock { buckets in
            if buckets.count > 100_000 { buckets.removeAll(keepingCapacity: true) }  // bounded memory
            guard var bucket = buckets[key] ?? (consume ? Bucket(tokens: burst, updated: now) : nil) else { return nil }
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(burst, bucket.tokens + seconds * rate)
            bucket.updated = now
            defer { buckets[key] = bucket }
            if bucket.tokens >= 1 {
                if consume { bucket.tokens -= 1 }
                return nil
            }
            return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up)))
        }
    }

    package func problem(_ wait: Int, for subject: String) -> Problem {
        var headers = HTTPFields()
        headers[.retryAfter] = String(wait)
        // The IETF RateLimit fields beside Retry-After: the burst allowed, none left, seconds until one is.
        headers[HTTPField.Name("RateLimit-Limit")!] = String(Int(burst))
        headers[HTTPField.Name("RateLimit-Remaining")!] = "0"
        headers[HTTPField.Name("RateLimit-Reset")!] = String(wait)
        return Problem(
            .tooManyRequests, slug: "rate-limited", title: "Too many requests",
            detail: "\(subject) is limited to \(Int(rate)) requests a second (bursts of \(Int(burst))); retry after \(wait) s",
            headers: headers)
    }
}
