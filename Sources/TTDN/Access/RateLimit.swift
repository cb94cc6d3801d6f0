import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// A token bucket per bearer token: `rate` requests a second on average, bursts up to `burst`.
/// The buckets live in this process: with N processes behind a load balancer a token may make
/// up to N times the rate. That is a guard against runaway clients, not a quota (quotas would
/// belong in PostgreSQL).
final class RateLimiter: Sendable {
    let rate: Double
    let burst: Double
    private struct Bucket { var tokens: Double; var updated: ContinuousClock.Instant }
    private let buckets = Mutex<[String: Bucket]>([:])

    init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = burst
    }

    /// nil when the request may go on, else the seconds to wait.
    func take(_ key: String, now: ContinuousClock.Instant = .now) -> Int? {
        buckets.withLock { buckets in
            if buckets.count > 100_000 { buckets.removeAll(keepingCapacity: true) } // bounded memory
            var bucket = buckets[key] ?? Bucket(tokens: burst, updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(burst, bucket.tokens + seconds * rate)
            bucket.updated = now
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                buckets[key] = bucket
                return nil
            }
            buckets[key] = bucket
            return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up)))
        }
    }
}

/// Answers 429 with Retry-After once a token goes over its rate. Runs after authentication.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let limiter: RateLimiter

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let principal = context.principal else { return try await next(request, context) }
        if let wait = limiter.take(principal.publicID) {
            var headers = HTTPFields()
            headers[.retryAfter] = String(wait)
            throw Problem(.tooManyRequests, slug: "rate-limited", title: "Too many requests",
                          detail: "this token is limited to \(Int(limiter.rate)) requests a second (bursts of \(Int(limiter.burst))); retry after \(wait) s",
                          headers: headers)
        }
        return try await next(request, context)
    }
}
