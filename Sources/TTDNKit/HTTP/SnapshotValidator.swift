import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import PQ
import Synchronization

/// Validators for answers computed from the database alone (the aggregates and lists scripts poll): the
/// ETag is a digest of what PostgreSQL has committed (`pg_current_snapshot()`: the transactions
/// finished and in flight), the route and query, the representation asked for, who asks and the
/// Hai Phong day. Two requests that agree on all of it see the same rows, so a matching
/// `If-None-Match` is answered 304 after one small statement, without running the aggregate or list.
///
/// Any committed write anywhere in the cluster changes the snapshot, so a validator may change
/// when the figures did not (the client fetches again); it never stays while they changed. The
/// answer's own statements run after the snapshot is read, so they see at least its rows.
/// It holds across processes: the counter is PostgreSQL's, not ours.
package struct SnapshotValidatorMiddleware: RouterMiddleware {
    package typealias Context = AppRequestContext
    let snapshots: SnapshotReader
    /// Changes every validator when the server's code does (another build may answer differently).
    let build: String

    package init(pool: PQPool, build: String) {
        self.snapshots = SnapshotReader(pool: pool)
        self.build = build
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .get || request.method == .head else { return try await next(request, context) }
        let current = try await snapshots.current()
        let etag = validator(request: request, context: context, snapshot: current)
        // A listed tag only: `*` would answer 304 before the request's own checks (a bad query is a 400).
        if let tags = Conditional.tags(request.headers[.ifNoneMatch]), tags.contains(where: { $0 == etag || $0 == "W/" + etag }) {
            var response = Conditional.notModifiedResponse(etag: etag)
            response.headers[.cacheControl] = "private, no-cache"
            return response
        }
        var response = try await next(request, context)
        if response.status == .ok, response.headers[.eTag] == nil {
            response.headers[.eTag] = etag
            response.headers[.cacheControl] = "private, no-cache"
        }
        return response
    }

    func validator(request: Request, context: Context, snapshot: String) -> String {
        let principal = context.principal
        // The caller's token too, not only its role and unit: a notification's read state is per token.
        let parts = [
            build, snapshot, context.endpointPath ?? request.uri.path, request.uri.path, request.uri.query ?? "",
            request.headers[values: .accept].joined(separator: ","), request.headers[values: .acceptLanguage].joined(separator: ","),
            principal?.role.rawValue ?? "-", principal?.unitID?.uuidString ?? "-", principal?.tokenID.uuidString ?? "-",
            HaiPhong.today().description,
        ]
        var hash = SHA256()
        for part in parts {
            hash.update(data: Array(part.utf8))
            hash.update(data: [0])
        }
        let hex = Array("0123456789abcdef".utf8)
        var text: [UInt8] = Array("\"s-".utf8)
        for byte in hash.finalize().prefix(16) { text += [hex[Int(byte >> 4)], hex[Int(byte & 15)]] }
        return String(decoding: text + [UInt8(ascii: "\"")], as: UTF8.self)
    }
}

/// Reads `pg_current_snapshot()` for every request that needs it, one statement at a time.
/// A request needs a read that began after it arrived (then the snapshot holds every commit
/// its client could know of); requests that arrive while a read is under way wait for the next
/// one, which starts as soon as that read ends, and all of them share it. However many scripts
/// poll at once, one such statement runs at a time, and a request waits at most two of them.
package final class SnapshotReader: Sendable {
    private struct State {
        var reading = false
        var waiting: [CheckedContinuation<String, any Error>] = []
    }
    private let state = Mutex(State())
    private let pool: PQPool
    private let statements = Atomic<Int>(0)
    /// Statements run so far, and requests waiting for the next (for tests).
    package var reads: Int { statements.load(ordering: .relaxed) }
    package var waitingForNextRead: Int { state.withLock { $0.waiting.count } }

    package init(pool: PQPool) { self.pool = pool }

    package func current() async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            let startReading = state.withLock { state -> Bool in
                state.waiting.append(continuation)
                defer { state.reading = true }
                return !state.reading
            }
            if startReading { Task { await self.readWhileWaited() } }
        }
    }

    /// One read for everyone waiting when it starts; again while anyone arrived meanwhile.
    private func readWhileWaited() async {
        while true {
            let batch = state.withLock { state in
                defer { state.waiting.removeAll() }
                if state.waiting.isEmpty { state.reading = false }
                return state.waiting
            }
            guard !batch.isEmpty else { return }
            let result: Result<String, any Error>
            do {
                statements.add(1, ordering: .relaxed)
                // With the database's Hai Phong day: lists computed from ttdn_today() change with
                // it, and the server's clock may be seconds off around midnight.
                let rows = try await pool.query("SELECT pg_current_snapshot()::text || ' ' || ttdn_today()::text AS snapshot")
                guard let snapshot = try rows.first?.decode("snapshot", as: String.self) else {
                    throw PQError(kind: .decoding, message: "pg_current_snapshot() returned no row")
                }
                result = .success(snapshot)
            } catch {
                result = .failure(error)
            }
            for waiter in batch { waiter.resume(with: result) }
        }
    }
}
