import Synchronization

/// The collector's self-metrics, shared by its parts and sent to the hub in heartbeats (names are the heartbeat
/// value names). Counters only go up; gauges are set.
public final class CollectorMetrics: Sendable {
    public enum Name: String, CaseIterable, Sendable {
        // discovery and sources
        case containers = "containers"
        case samplesProduced = "samples_produced"
        case logLines = "log_lines"
        case logBuckets = "log_buckets"
        case events = "events"
        case dockerErrors = "docker_errors"
        case dockerReconnects = "docker_reconnects"
        // frames and delivery
        case framesBuilt = "frames_built"
        case framesSent = "frames_sent"
        case framesRetransmitted = "frames_retransmitted"
        case framesAcked = "frames_acked"
        case spoolFrames = "spool_frames"
        case spoolBytes = "spool_bytes"
        case spoolDiskBytes = "spool_disk_bytes"
        case spoolDroppedFrames = "spool_dropped_frames"
        /// Log lines inside frames the spool evicted (an upper bound of what was lost: the hub may already hold some
        /// of them; the hub's `log_lines_lost` is exact).
        case spoolDroppedLogLines = "spool_dropped_log_lines"
        case queueDepth = "queue_depth"
        /// Records waiting between the data side's readers (logs, stats, events) and its batch builder.
        case recordQueueDepth = "record_queue_depth"
        /// Batches whose frame would have exceeded the hub's size limit and were split.
        case framesSplit = "frames_split"
        /// Records refused because even alone their frame would exceed the hub's size limit.
        case recordsOversize = "records_oversize"
    }

    private let values = Mutex([Int](repeating: 0, count: Name.allCases.count))

    /// Whether a value is a gauge (set) rather than a counter (only goes up).
    public static func isGauge(_ name: Name) -> Bool {
        switch name {
        case .containers, .spoolFrames, .spoolBytes, .spoolDiskBytes, .queueDepth, .recordQueueDepth: true
        default: false
        }
    }

    /// Prometheus text: `docker_librato_collector_<name>` gauges and `…_total` counters.
    public func prometheusText() -> String {
        var out = ""
        for name in Name.allCases {
            let gauge = Self.isGauge(name)
            let metric = "docker_librato_collector_" + name.rawValue + (gauge ? "" : "_total")
            out += "# TYPE \(metric) \(gauge ? "gauge" : "counter")\n\(metric) \(get(name))\n"
        }
        return out
    }

    public init() {}

    private static func slot(_ name: Name) -> Int { Name.allCases.firstIndex(of: name)! }

    public func add(_ name: Name, _ amount: Int = 1) {
        values.withLock { $0[Self.slot(name)] += amount }
    }

    public func set(_ name: Name, _ value: Int) {
        values.withLock { $0[Self.slot(name)] = value }
    }

    public func get(_ name: Name) -> Int {
        values.withLock { $0[Self.slot(name)] }
    }

    /// All values, for a heartbeat.
    public func snapshot() -> [String: Double] {
        var out: [String: Double] = [:]
        for name in Name.allCases { out[name.rawValue] = Double(get(name)) }
        return out
    }
}
