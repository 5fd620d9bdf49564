import Prometheus
import Synchronization
import WireFormat

/// Renders a ``HubStatus`` as Prometheus text through swift-prometheus. Counters are advanced by the difference
/// since the previous scrape, so their type (and `rate()`) is right.
final class PrometheusExporter: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let previous = Mutex<[String: Double]>([:])

    func render(_ s: HubStatus) -> String {
        let c = s.counters
        counter("docker_librato_hub_frames_total", ["outcome": "applied"], Double(c.framesApplied), "Data frames by outcome")
        counter("docker_librato_hub_frames_total", ["outcome": "duplicate"], Double(c.framesDuplicate), "Data frames by outcome")
        counter("docker_librato_hub_frames_total", ["outcome": "buffered"], Double(c.framesBuffered), "Data frames by outcome")
        counter("docker_librato_hub_frames_total", ["outcome": "beyond_window"], Double(c.framesBeyondWindow), "Data frames by outcome")
        counter("docker_librato_hub_frames_total", ["outcome": "refused_backpressure"], Double(c.framesRefusedBackpressure), "Data frames by outcome")
        for (reason, n) in s.rejects {
            counter("docker_librato_hub_frames_rejected_total", ["reason": reason.rawValue], Double(n), "Frames that failed to open, by reason")
        }
        counter("docker_librato_hub_frames_lost_total", [:], Double(c.framesLost), "Frames collectors reported dropped from full spools")
        counter("docker_librato_hub_log_lines_lost_total", [:], Double(c.logLinesLost), "Log lines in frames lost from full collector spools")
        counter("docker_librato_hub_samples_total", [:], Double(c.samplesApplied), "Stats samples applied")
        counter("docker_librato_hub_values_total", [:], Double(c.valuesApplied), "Individual stats values applied")
        counter("docker_librato_hub_samples_ignored_total", ["reason": "not_owner"], Double(c.samplesNotOwner), "Stats samples ignored")
        counter("docker_librato_hub_samples_ignored_total", ["reason": "stale"], Double(c.samplesStale), "Stats samples ignored")
        counter("docker_librato_hub_takeovers_total", [:], Double(c.takeovers), "Stats ownership changes between collectors")
        counter("docker_librato_hub_late_total", ["kind": "gauge_sample"], Double(c.lateGaugeSamples), "Data for periods already closed")
        counter("docker_librato_hub_late_total", ["kind": "log_bucket"], Double(c.lateBuckets), "Data for periods already closed")
        counter("docker_librato_hub_late_total", ["kind": "event"], Double(c.lateEvents), "Data for periods already closed")
        counter("docker_librato_hub_duplicates_total", ["kind": "log_bucket"], Double(c.bucketsDuplicate), "Records at or below a watermark")
        counter("docker_librato_hub_duplicates_total", ["kind": "event"], Double(c.eventsDuplicate), "Records at or below a watermark")
        counter("docker_librato_hub_log_lines_total", [:], Double(c.logLinesApplied), "Log lines counted")
        counter("docker_librato_hub_events_total", [:], Double(c.eventsApplied), "Lifecycle events counted")
        counter("docker_librato_hub_series_overflow_total", [:], Double(c.seriesOverflow), "Records of containers beyond the series bound")
        counter("docker_librato_hub_periods_delivered_total", [:], Double(c.periodsDelivered), "Periods submitted completely")
        counter("docker_librato_hub_measurements_total", ["outcome": "accepted"], Double(c.measurementsAccepted), "Measurements by outcome")
        counter("docker_librato_hub_measurements_total", ["outcome": "invalid"], Double(c.measurementsInvalid), "Measurements by outcome")
        counter("docker_librato_hub_measurements_total", ["outcome": "too_old"], Double(c.measurementsTooOld), "Measurements by outcome")
        counter("docker_librato_hub_annotations_total", [:], Double(c.annotationsSent), "Annotations created")
        for (status, n) in c.librato {
            counter("docker_librato_hub_librato_requests_total", ["status": "\(status)"], Double(n), "Librato responses by HTTP status")
        }
        gauge("docker_librato_hub_collectors", Double(s.collectors.count), "Collector epochs known")
        gauge("docker_librato_hub_containers", Double(s.liveContainers), "Live container series")
        gauge("docker_librato_hub_pending_periods", Double(s.pendingPeriods), "Closed periods waiting for Librato")
        gauge("docker_librato_hub_backpressure", s.backpressure ? 1 : 0, "1 while new frames are refused")
        gauge("docker_librato_hub_uptime_seconds", Double(s.nowMs - s.startedAtMs) / 1000, "Seconds since start")
        for col in s.collectors {
            let labels = [("collector", "\(col.id)"), ("host", col.host), ("cluster", col.cluster)]
            registry.makeGauge(
                descriptor: MetricNameDescriptor(metricName: "docker_librato_collector_last_seen", unitName: "seconds", helpText: "Seconds since the collector's last frame"),
                labels: labels)
                .set(Double(s.nowMs - col.lastSeenMs) / 1000)
            registry.makeGauge(
                descriptor: MetricNameDescriptor(metricName: "docker_librato_collector_spool", unitName: "frames", helpText: "Frames in the collector's spool (last heartbeat)"),
                labels: labels)
                .set(col.heartbeat["spool_frames"] ?? 0)
        }
        return registry.emitToString()
    }

    private func counter(_ name: String, _ labels: [String: String], _ value: Double, _ help: String) {
        let pairs = labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
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
