import Prometheus
import Synchronization
import WireFormat
import Librato

/// Renders a ``HubStatus`` as Prometheus text through swift-prometheus. Counters are advanced by the difference
/// since the previous scrape, so their type (and `rate()`) is right.
final class PrometheusExporter: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let previous = Mutex<[String: Double]>([:])

    func render(_ s: HubStatus) -> String {
        let c = s.counters
        for counter in HubCounter.allCases {
            let d = counter.definition
            self.counter(d.metric, d.labels, Double(c[counter]), d.help)
        }
        for (reason, n) in s.rejects {
            counter("docker_librato_hub_frames_rejected_total", [("reason", reason.rawValue)], Double(n), "Frames that failed to open, by reason")
        }
        for (status, n) in c.librato {
            counter("docker_librato_hub_librato_requests_total", [("status", "\(status)")], Double(n), "Librato responses by HTTP status")
        }
        gauge("docker_librato_hub_collectors", Double(s.collectors.count), "Collector epochs known")
        gauge("docker_librato_hub_containers", Double(s.liveContainers), "Live container series")
        gauge("docker_librato_hub_pending_periods", Double(s.pendingPeriods), "Closed periods waiting for Librato")
        gauge("docker_librato_hub_backpressure", s.backpressure ? 1 : 0, "1 while new frames are refused")
        if let b = s.rateBudget {
            gauge("docker_librato_hub_librato_rate_limit", Double(b.limit), "Librato measurements allowed per rate-limit window (latest response)")
            gauge("docker_librato_hub_librato_rate_remaining", Double(b.remaining), "Librato measurements left in the window (latest response)")
        }
        gauge("docker_librato_hub_dry_run", s.dryRun ? 1 : 0, "1 when the hub sends nothing to Librato (no credential: it prints the requests)")
        gauge("docker_librato_hub_healthy", s.health.healthy ? 1 : 0, "1 while data is flowing (what /healthz says)")
        counter("docker_librato_hub_control_requests_total", [], Double(s.control.requests), "Control requests answered with an ack")
        counter("docker_librato_hub_control_refused_total", [("reason", "unauthenticated")], Double(s.control.refusedUnauthenticated), "Control requests refused")
        counter("docker_librato_hub_control_refused_total", [("reason", "version")], Double(s.control.refusedVersion), "Control requests refused")
        counter("docker_librato_hub_control_refused_total", [("reason", "malformed")], Double(s.control.refusedMalformed), "Control requests refused")
        for col in s.collectors {
            let labels = [("collector", "\(col.id)"), ("host", col.host), ("cluster", col.cluster)]
            registry.makeGauge(
                descriptor: MetricNameDescriptor(
                    metricName: "docker_librato_collector_last_seen_timestamp", unitName: "seconds", helpText: "When the collector's last frame arrived (Unix time)"),
                labels: labels)
                .set(Double(col.lastSeenMs) / 1000)
            registry.makeGauge(
                descriptor: MetricNameDescriptor(metricName: "docker_librato_collector_spool", unitName: "frames", helpText: "Frames in the collector's spool (last heartbeat)"),
                labels: labels)
                .set(col.heartbeat["spool_frames"] ?? 0)
        }
        return registry.emitToString()
    }

    private func counter(_ name: String, _ labels: [(String, String)], _ value: Double, _ help: String) {
        let pairs = labels.sorted { $0.0 < $1.0 }
        let key = name + pairs.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
        let delta = previous.withLock { p -> Double in
            let d = value - (p[key] ?? 0)
            p[key] = value
            return d
        }
        let descriptor = MetricNameDescriptor(metricName: name, unitName: "", helpText: help)  // name is already complete
        let c = pairs.isEmpty ? registry.makeCounter(descriptor: descriptor) : registry.makeCounter(descriptor: descriptor, labels: pairs)
        if delta > 0 { c.increment(by: delta) }
    }

    private func gauge(_ name: String, _ value: Double, _ help: String) {
        registry.makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help)).set(value)
    }
}
