/// Every counter the hub keeps, defined once. The table drives the storage (``HubCounters``), `/metrics`
/// (``PrometheusExporter``), `/status.json` and the status page (``StatusPage``) and the hub's own Librato metrics
/// (``HubRuntime/selfMetrics(time:period:)``) — a counter added here appears in all four.
@_spi(Benchmarks) public enum HubCounter: Int, CaseIterable, Sendable {
    case framesApplied, framesDuplicate, framesBuffered, framesBeyondWindow, framesRefusedBackpressure
    case framesLost, logLinesLost
    case samplesApplied, valuesApplied, samplesNotOwner, samplesStale, takeovers
    case lateGaugeSamples, lateBuckets, lateEvents, lateStates
    case bucketsDuplicate, eventsDuplicate, bucketsApplied, logLinesApplied, eventsApplied, statesApplied
    case seriesOverflow, recordsSkipped
    case periodsDelivered, measurementsAccepted, measurementsInvalid, measurementsTooOld, annotationsSent
    case measurementsDeferred, measurementsRateLimited

    /// How a counter is shown.
    package struct Definition: Sendable {
        /// Prometheus family (a counter, `_total`) and this counter's labels in it.
        package var metric: String
        package var labels: [(String, String)]
        package var help: String
        /// The key in `/status.json`.
        package var json: String
        /// The hub's own Librato metric (`docker_librato.hub.<name>`, the period's delta); counters that share a
        /// name are summed. Nil: not posted.
        package var librato: String?
    }

    package var definition: Definition {
        func d(_ metric: String, _ labels: [(String, String)] = [], _ help: String, json: String, librato: String? = nil) -> Definition {
            Definition(metric: "docker_librato_hub_" + metric + "_total", labels: labels, help: help, json: json, librato: librato)
        }
        let frames = "Data frames by outcome"
        let ignored = "Stats samples ignored"
        let late = "Data for periods already closed"
        let dup = "Records at or below a watermark"
        let measurements = "Measurements by outcome"
        switch self {
        case .framesApplied: return d("frames", [("outcome", "applied")], frames, json: "frames_applied", librato: "frames.applied")
        case .framesDuplicate: return d("frames", [("outcome", "duplicate")], frames, json: "frames_duplicate", librato: "frames.duplicate")
        case .framesBuffered: return d("frames", [("outcome", "buffered")], frames, json: "frames_buffered")
        case .framesBeyondWindow: return d("frames", [("outcome", "beyond_window")], frames, json: "frames_beyond_window")
        case .framesRefusedBackpressure:
            return d("frames", [("outcome", "refused_backpressure")], frames, json: "frames_refused", librato: "frames.refused")
        case .framesLost: return d("frames_lost", [], "Frames collectors reported dropped from full spools", json: "frames_lost", librato: "frames.lost")
        case .logLinesLost:
            return d("log_lines_lost", [], "Log lines in frames lost from full collector spools", json: "log_lines_lost", librato: "log_lines.lost")
        case .samplesApplied: return d("samples", [], "Stats samples applied", json: "samples_applied", librato: "samples")
        case .valuesApplied: return d("values", [], "Individual stats values applied", json: "values_applied")
        case .samplesNotOwner: return d("samples_ignored", [("reason", "not_owner")], ignored, json: "samples_not_owner")
        case .samplesStale: return d("samples_ignored", [("reason", "stale")], ignored, json: "samples_stale")
        case .takeovers: return d("takeovers", [], "Stats ownership changes between collectors", json: "takeovers")
        case .lateGaugeSamples: return d("late", [("kind", "gauge_sample")], late, json: "late_gauge_samples", librato: "late")
        case .lateBuckets: return d("late", [("kind", "log_bucket")], late, json: "late_log_buckets", librato: "late")
        case .lateEvents: return d("late", [("kind", "event")], late, json: "late_events", librato: "late")
        case .lateStates: return d("late", [("kind", "state")], late, json: "late_states", librato: "late")
        case .bucketsDuplicate: return d("duplicates", [("kind", "log_bucket")], dup, json: "duplicate_log_buckets")
        case .eventsDuplicate: return d("duplicates", [("kind", "event")], dup, json: "duplicate_events")
        case .bucketsApplied: return d("log_buckets", [], "Log buckets applied", json: "log_buckets_applied")
        case .logLinesApplied: return d("log_lines", [], "Log lines counted", json: "log_lines", librato: "log_lines")
        case .eventsApplied: return d("events", [], "Lifecycle events counted", json: "events")
        case .statesApplied: return d("states", [], "Container states and per-engine state counts applied", json: "states_applied")
        case .seriesOverflow:
            return d("series_overflow", [], "Records of containers beyond the series bound", json: "series_overflow", librato: "series_overflow")
        case .recordsSkipped: return d("records_skipped", [], "Records of kinds this hub does not know (newer collectors)", json: "records_skipped")
        case .periodsDelivered: return d("periods_delivered", [], "Periods submitted completely", json: "periods_delivered")
        case .measurementsAccepted: return d("measurements", [("outcome", "accepted")], measurements, json: "measurements_accepted")
        case .measurementsInvalid:
            return d("measurements", [("outcome", "invalid")], measurements, json: "measurements_invalid", librato: "measurements.invalid")
        case .measurementsTooOld:
            return d("measurements", [("outcome", "too_old")], measurements, json: "measurements_too_old", librato: "measurements.too_old")
        case .annotationsSent: return d("annotations", [], "Annotations created", json: "annotations")
        case .measurementsDeferred:
            return d(
                "measurements_deferred", [], "Measurements held for the next rate-limit window", json: "measurements_deferred",
                librato: "measurements.deferred")
        case .measurementsRateLimited:
            return d(
                "measurements", [("outcome", "rate_limited")], measurements, json: "measurements_rate_limited",
                librato: "measurements.rate_limited")
        }
    }
}

/// What the hub has done: one monotonic value per ``HubCounter``, plus Librato responses by HTTP status.
@_spi(Benchmarks) public struct HubCounters: Sendable, Equatable {
    private var values = [Int](repeating: 0, count: HubCounter.allCases.count)
    /// Librato responses by HTTP status (a labelled family of its own).
    package var librato: [Int: Int] = [:]

    package init() {}

    @_spi(Benchmarks) public subscript(_ counter: HubCounter) -> Int {
        @inline(__always) get { values[counter.rawValue] }
        @inline(__always) _modify { yield &values[counter.rawValue] }
    }
}
