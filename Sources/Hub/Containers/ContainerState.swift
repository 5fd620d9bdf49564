import ContainerMetrics
import WireFormat

/// What the hub must remember about a container to accept each sample, log bucket and event exactly once.
///
/// - Stats: the last accepted raw sample (deltas are always taken against it, whichever collector sent it) and the
///   collector that owns the series.
/// - Logs: per stream, the highest bucket second accepted; events: the highest `timeNano` accepted.
///
/// Watermarks move on as data is applied, but what survives a hub restart must describe only data that reached
/// Librato: ``delivered`` is the state as of the last delivered period, and ``pending`` what each undelivered period
/// adds to it.
package struct Watermarks: Equatable, Sendable, Codable {
    /// The last accepted stats sample and the container start time it belongs to.
    package var stats: StatsSample?
    package var startedAt: Int64 = 0
    package var stdout: Int64 = .min
    package var stderr: Int64 = .min
    package var event: Int64 = .min

    package init() {}

    /// Folds `other` (which describes later data) into this one.
    mutating func advance(to other: Watermarks) {
        if let s = other.stats, s.time > (stats?.time ?? .min) {
            stats = s
            startedAt = other.startedAt
        }
        stdout = max(stdout, other.stdout)
        stderr = max(stderr, other.stderr)
        event = max(event, other.event)
    }

    subscript(stream: LogBucket.Stream) -> Int64 {
        get { stream == .stdout ? stdout : stderr }
        set { if stream == .stdout { stdout = newValue } else { stderr = newValue } }
    }
}

struct ContainerState {
    var identity: ContainerIdentity
    var host: String
    var slot: Int32
    /// Live watermarks (everything applied so far).
    var live = Watermarks()
    /// As of the last delivered period (what the state file holds).
    var delivered = Watermarks()
    /// What each undelivered period contributed, by effective period start.
    var pending: [Int64: Watermarks] = [:]
    /// Stats owner and the time (sample clock) of its last accepted sample.
    var owner: CollectorID?
    var lastActivityMs: Int64

    init(identity: ContainerIdentity, host: String, slot: Int32, now: Int64) {
        self.identity = identity
        self.host = host
        self.slot = slot
        self.lastActivityMs = now
    }

    /// Records that data landing in `period` moved the watermarks to `update`.
    mutating func note(period: Int64, _ update: (inout Watermarks) -> Void) {
        update(&live)
        update(&pending[period, default: Watermarks()])
    }

    /// Period `period` and all before it were delivered: fold their contributions into ``delivered``.
    mutating func delivered(through period: Int64) {
        guard !pending.isEmpty else { return }
        for p in pending.keys.sorted() where p <= period {
            delivered.advance(to: pending[p]!)
            pending[p] = nil
        }
    }
}
