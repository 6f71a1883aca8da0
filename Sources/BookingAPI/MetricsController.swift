import BookingEngine
import BookingProjections
import EventSourcing
import EventStoreLMDB
import Hummingbird
import Prometheus

/// Prometheus metrics: requests by method, route and status, their latencies, and the writer's
/// figures (commits, commands, events, failed commits, largest batch, time in commits).
final class APIMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private static let latencyBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
    ]

    func recordRequest(method: String, route: String, status: Int, duration: Duration) {
        registry.makeCounter(
            name: "http_requests_total", labels: [("method", method), ("route", route), ("status", String(status))],
            help: "HTTP requests by method, matched route and status"
        ).increment()
        registry.makeDurationHistogram(
            name: "http_request_duration_seconds", labels: [("method", method), ("route", route)], buckets: Self.latencyBuckets,
            help: "HTTP request latency by method and matched route"
        ).record(duration)
    }

    /// Updates the writer and store gauges (and `extra`), then renders everything in the text exposition format.
    func render(service: BookingService, extra: [(String, String, Double)] = []) -> String {
        let writer = service.processor.currentMetrics
        var gauges: [(String, String, Double)] = [
            ("booking_writer_commits", "Group commits so far", Double(writer.batches)),
            ("booking_writer_commands", "Commands decided so far", Double(writer.commands)),
            ("booking_writer_events", "Events appended so far", Double(writer.events)),
            ("booking_writer_failed_commits", "Commits that failed (callers got 503)", Double(writer.failedCommits)),
            ("booking_writer_largest_batch", "Most commands in one commit", Double(writer.largestBatch)),
            ("booking_writer_commit_seconds", "Time spent in commits, fsync included", Double(writer.commitNanoseconds) / 1e9),
            ("booking_log_head_position", "Last committed log position", Double(service.log.committedHead)),
            ("booking_projection_position", "Last position applied to the read model", Double(service.projection.position)),
        ]
        if let keys = try? service.log.idempotencyKeyCount() {
            gauges.append(("booking_idempotency_keys", "Idempotency keys remembered (older than the retention are dropped)", Double(keys)))
        }
        for (name, help, value) in gauges + extra { registry.makeGauge(name: name, help: help).set(value) }
        return registry.emitToString()
    }
}

struct MetricsController {
    let metrics: APIMetrics
    let service: BookingService
    /// Gauges owned by other parts (notifier sockets, rate-limiter table), read at each scrape.
    var extraGauges: @Sendable () -> [(String, String, Double)] = { [] }

    func register(on router: Router<BookingRequestContext>, table: inout RouteTable) {
        table.add(.get, "/metrics")
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.render(service: service, extra: extraGauges()))))
        }
    }
}
