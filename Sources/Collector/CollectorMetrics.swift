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
        case queueDepth = "queue_depth"
    }

    private let values: [Atomic<Int>]

    public init() {
        values = Name.allCases.map { _ in Atomic<Int>(0) }
    }

    private func slot(_ name: Name) -> Int { Name.allCases.firstIndex(of: name)! }

    public func add(_ name: Name, _ amount: Int = 1) {
        values[slot(name)].add(amount, ordering: .relaxed)
    }

    public func set(_ name: Name, _ value: Int) {
        values[slot(name)].store(value, ordering: .relaxed)
    }

    public func get(_ name: Name) -> Int {
        values[slot(name)].load(ordering: .relaxed)
    }

    /// All values, for a heartbeat.
    public func snapshot() -> [String: Double] {
        var out: [String: Double] = [:]
        for name in Name.allCases { out[name.rawValue] = Double(get(name)) }
        return out
    }
}
