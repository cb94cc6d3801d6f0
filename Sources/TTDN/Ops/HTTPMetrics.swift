import Foundation
import Hummingbird
import PQ
import Prometheus
import Synchronization
import TTDNKit

/// Prometheus metrics of requests, named by its conventions (`_seconds`, `_total`, HELP/TYPE):
/// `http_server_requests_total` and `http_server_request_duration_seconds` by method, route
/// template and status (an answer counts once it is complete: a small body when it is handed to
/// the server, a large or streamed one when its last byte is written), and
/// `http_server_active_requests`.
struct HTTPMetricsMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let metrics: HTTPMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let active = metrics.active(request.method.rawValue)
        active.increment()
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            active.decrement()
            throw error
        }
        let series = metrics.series(method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: response.status.code)
        return try await response.whenWritten(to: request) { _ in
            series.requests.increment()
            series.duration.recordNanoseconds(Int64((ContinuousClock.now - start) / .nanoseconds(1)))
            active.decrement()
        }
    }
}

/// The request metrics' series, made once per label set.
final class HTTPMetrics: Sendable {
    struct Series: Sendable {
        let requests: Prometheus.Counter
        let duration: DurationHistogram
    }

    let registry: PrometheusCollectorRegistry
    private let series = Mutex<[String: Series]>([:])
    private let actives = Mutex<[String: Prometheus.Gauge]>([:])
    static let buckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]

    init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    func series(method: String, route: String, status: Int) -> Series {
        let key = "\(method) \(route) \(status)"
        return series.withLock { all in
            if let existing = all[key] { return existing }
            let labels = [("http_request_method", method), ("http_route", route), ("http_response_status_code", String(status))]
            let made = Series(
                requests: registry.makeCounter(
                    descriptor: MetricNameDescriptor(
                        metricName: "http_server_requests", unitName: "total",
                        helpText: "HTTP requests answered, by method, route template and status."), labels: labels),
                duration: registry.makeDurationHistogram(
                    descriptor: MetricNameDescriptor(
                        metricName: "http_server_request_duration", unitName: "seconds",
                        helpText:
                            "Time from a request's arrival to its complete answer (a body over 64 KiB or streamed: to its last byte written), by method, route template and status."
                    ),
                    labels: labels, buckets: Self.buckets))
            all[key] = made
            return made
        }
    }

    func active(_ method: String) -> Prometheus.Gauge {
        actives.withLock { all in
            if let existing = all[method] { return existing }
            let gauge = registry.makeGauge(
                descriptor: MetricNameDescriptor(
                    metricName: "http_server_active_requests", unitName: "", helpText: "Requests being answered now, by method."),
                labels: [("http_request_method", method)])
            all[method] = gauge
            return gauge
        }
    }
}

/// What `/metrics` reads at each scrape: the connection pool, the process, the build.
final class RuntimeMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let pool: PQPool
    let version: String
    /// CPU seconds already counted: the counter grows by what the process spent since.
    private let countedCPU = Mutex<Double>(0)

    init(registry: PrometheusCollectorRegistry, pool: PQPool, version: String) {
        self.registry = registry
        self.pool = pool
        self.version = version
    }

    func update() {
        let stats = pool.statistics
        gauge("ttdn_db_pool_size", "Connections the pool may open.").set(Double(pool.maxConnections))
        gauge("ttdn_db_pool_open_connections", "Connections open now, idle or lent.").set(Double(stats.open))
        gauge("ttdn_db_pool_in_use_connections", "Connections lent to a request now.").set(Double(stats.open - stats.idle))
        gauge("ttdn_db_pool_waiters", "Requests waiting for a connection now.").set(Double(stats.waiters))
        gauge("ttdn_db_pool_shared_leases", "Requests holding a shared lease now (several may ride on one connection).")
            .set(Double(stats.sharedLeases))
        registry.makeGauge(
            descriptor: MetricNameDescriptor(metricName: "ttdn_build_info", unitName: "", helpText: "The running build: 1, with its version."),
            labels: [("version", version)]
        ).set(Double(1))
        let process = ProcessStatistics.read()
        if let cpu = process.cpuSeconds {
            let delta = countedCPU.withLock { counted -> Double in
                let delta = max(0, cpu - counted)
                counted = max(counted, cpu)
                return delta
            }
            registry.makeCounter(
                descriptor: MetricNameDescriptor(
                    metricName: "process_cpu", unitName: "seconds_total", helpText: "User and system CPU time spent, in seconds.")
            ).increment(by: delta)
        }
        if let resident = process.residentBytes { gauge("process_resident_memory_bytes", "Resident memory size in bytes.").set(resident) }
        if let files = process.openFiles { gauge("process_open_fds", "Open file descriptors.").set(files) }
        if let start = process.startTime {
            gauge("process_start_time_seconds", "Start time of the process since the Unix epoch, in seconds.").set(start)
        }
    }

    private func gauge(_ name: String, _ help: String) -> Prometheus.Gauge {
        registry.makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help))
    }
}

/// The process's own figures, from /proc (Linux); nil where the system has none.
struct ProcessStatistics {
    var cpuSeconds: Double?
    var residentBytes: Double?
    var openFiles: Double?
    var startTime: Double?

    static let startedAt = Date().timeIntervalSince1970

    static func read() -> ProcessStatistics {
        var stats = ProcessStatistics(startTime: startedAt)
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") {
            // Fields after the command name: state is 3, utime 14, stime 15, rss 24 (1-based).
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 22, let user = Double(fields[11]), let system = Double(fields[12]), let rss = Double(fields[21]), ticks > 0 {
                stats.cpuSeconds = (user + system) / ticks
                stats.residentBytes = rss * Double(sysconf(Int32(_SC_PAGESIZE)))
            }
        }
        if let files = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") { stats.openFiles = Double(files.count) }
        return stats
    }
}
