import Foundation
import Hummingbird
import NIOCore
import PQ
import Prometheus
import TTDNKit

/// `/healthz` (the process answers), `/readyz` (the database answers), `/metrics` (Prometheus).
/// None of them needs a token: they carry no data of the plan.
struct OpsRoutes {
    let pool: PQPool
    let metrics: PrometheusCollectorRegistry

    func register(_ routes: Routes) {
        routes.add(.get, "/healthz", access: .public) { _, _ in
            try JSONOutput.response(["status": "ok"])
        }
        routes.add(.get, "/readyz", access: .public) { _, _ in
            do {
                _ = try await pool.query("SELECT 1")
                return try JSONOutput.response(["status": "ready"])
            } catch let error as PQError where error.isUnavailable || error.isQueryCanceled {
                throw Problem.unavailable("the database is not reachable")
            }
        }
        let runtime = RuntimeMetrics(registry: metrics, pool: pool, version: TTDNBuild.version)
        routes.add(.get, "/metrics", access: .public) { _, _ in
            runtime.update()
            var buffer: [UInt8] = []
            metrics.emit(into: &buffer)
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
    }
}
