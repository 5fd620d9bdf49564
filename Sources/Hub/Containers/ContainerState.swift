import ContainerMetrics
import WireFormat

/// What the hub must remember about a container to accept each sample, log bucket and event exactly once.
///
/// - Stats: the last accepted raw sample (deltas are always taken against it, whichever collector sent it) and the
///   collector that owns the series.
/// - Logs: per stream, the highest bucket second accepted; events: the highest `timeNano` accepted.
///
/// Watermarks move on as data is applied, but what survives a hub restart must describe only data that reached
/// Librato: ``ContainerState/delivered`` is the state as of the last delivered period, and each undelivered period
/// carries what it adds to it (``ContainerPeriod/marks``).
package struct Watermarks: Equatable, Sendable, Codable {
    /// The container start time the last accepted stats sample belongs to.
    package var startedAt: Int64 = 0
    package var stdout: Int64 = .min
    package var stderr: Int64 = .min
    package var event: Int64 = .min
    /// The last accepted stats sample. Last: in a container's state (``ContainerState/liveMarks``) it is always nil,
    /// and the words before it are the ones each record reads.
    package var stats: StatsSample?

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

/// One container's state in the hub, in a slot of ``HubCore``'s slot-indexed storage: a frame's containers are
/// resolved to slots once, and every record then reaches its state and its open period by index — no dictionary
/// keyed by strings on the per-sample path.
struct ContainerState {
    // Declared in the order the per-sample path reads them (Swift lays a struct out in declaration order): the
    // fields every sample touches share the state's first cache lines, the delivered watermarks (read once per
    // period) come last. With ~4,000+ containers the states do not fit in L2; each line less is a miss less.
    let key: ContainerKey
    var host: String
    /// The ``OpenedFrame/identityTokens`` token ``identity`` was last assigned from (0: none): a frame with the
    /// same token carries the same identity record, byte for byte.
    var identityToken: UInt64 = 0
    /// Stats owner and the time (sample clock) of its last accepted sample.
    var owner: CollectorID?
    var lastActivityMs: Int64
    /// The latest period its data landed in: it may be forgotten only once that period is delivered.
    var lastDataPeriod: Int64 = .min
    /// The open periods this container has data in, ascending (usually one, two around a boundary), and its data in
    /// each (same index). Two arrays, not one of pairs: finding a period reads only the starts, where searching pairs
    /// copied (retained and released) a whole ``ContainerPeriod`` per element looked at, per sample.
    var openStarts: [Int64] = []
    var openData: [ContainerPeriod] = []
    /// ``liveStats``' time; nil while the container has no live sample.
    private(set) var liveStatsTime: Int64?
    /// The period the live sample landed in (`.min`: none open): its marks get the sample when it closes, or when a
    /// later sample lands in a later period (``HubCore/markLastSample(_:startedAt:period:_:)``).
    private(set) var liveStatsPeriod: Int64 = .min
    /// `identity.startedAt`, kept beside the fields each sample reads: the identity's fields sit behind one
    /// reference (see ``ContainerIdentity``), a cache miss per sample when read through it.
    private(set) var startedAt: Int64
    var identity: ContainerIdentity {
        didSet { startedAt = identity.startedAt }
    }
    /// The live stats sample (the last accepted; meaningful only while ``liveStatsTime`` is not nil). Not an
    /// optional (`Watermarks.stats`): reading a sample out of an optional to fold against it copied it (200 bytes)
    /// per sample. Written only by ``replaceLiveStats(with:startedAt:period:)`` and ``live``.
    private(set) var liveStats = StatsSample(time: .min)
    /// The live watermarks but the stats sample (always nil here; see ``liveStats``): log streams, events and the
    /// start time the live sample belongs to. The per-record paths read and write these directly.
    var liveMarks = Watermarks()
    /// Live watermarks (everything applied so far), composed of ``liveMarks`` and ``liveStats``: for restarts and
    /// the state file, never per record (reading it copies the sample).
    var live: Watermarks {
        get {
            var w = liveMarks
            if liveStatsTime != nil { w.stats = liveStats }
            return w
        }
        set {
            liveMarks = newValue
            liveMarks.stats = nil
            liveStatsTime = newValue.stats?.time
            liveStats = newValue.stats ?? StatsSample(time: .min)
            liveStatsPeriod = .min
        }
    }
    /// As of the last delivered period (what the state file holds).
    var delivered = Watermarks()

    init(key: ContainerKey, identity: ContainerIdentity, host: String, now: Int64) {
        self.key = key
        self.identity = identity
        self.startedAt = identity.startedAt
        self.host = host
        self.lastActivityMs = now
    }

    /// Folds the interval from the live sample to `sample` into open period `j` (``openData``), reading the live
    /// sample where it lies: a method of the state may read one of its fields while it writes another, where
    /// ``HubCore`` could only move the sample out of the state and back (200 bytes each way, per sample).
    mutating func foldLive(_ sample: borrowing StatsSample, restarted: Bool, gauges: Bool, into j: Int) {
        if gauges { StatsInterval.foldGauges(sample, into: &openData[j]) }
        if liveStatsTime != nil { StatsInterval.foldDeltas(liveStats, sample, restarted: restarted, gauges: gauges, into: &openData[j]) }
    }

    /// Makes `sample`, which landed in open period `period`, the live sample. The one it replaces was the last to
    /// land in its own period: when that is an earlier one still open, it moves into that period's marks (so that
    /// delivering the period moves the delivered watermarks to it), instead of a copy into the period per sample.
    mutating func replaceLiveStats(with sample: consuming StatsSample, startedAt: Int64, period: Int64) {
        liveStatsTime = sample.time
        if liveStatsPeriod != period, liveStatsPeriod != .min, let k = openStarts.firstIndex(of: liveStatsPeriod) {
            openData[k].marks.stats = exchange(&liveStats, with: sample)
            openData[k].marks.startedAt = liveMarks.startedAt
        } else {
            liveStats = sample
        }
        liveMarks.startedAt = startedAt
        liveStatsPeriod = period
    }

    /// What a free slot holds.
    static let vacant = ContainerState(
        key: ContainerKey(engine: EngineKey(cluster: "", engineID: ""), id: ""), identity: ContainerIdentity(id: "", name: "", image: ""), host: "",
        now: .min)

    var isVacant: Bool { key.id.isEmpty }
}

extension ContainerState {
    /// Where the fields the per-sample path reads lie, for ``HubCore``'s prefetch hints: the state's bytes up to the
    /// live marks' (always nil) sample, and the offsets of the three references whose buffers each sample reads next (its open
    /// periods, their starts, the live sample's interfaces). Key paths, so that a change of the layout moves these
    /// with it.
    static let hotBytes = MemoryLayout<ContainerState>.offset(of: \.liveMarks)! + MemoryLayout<Watermarks>.offset(of: \.stats)!
    static let openDataOffset = MemoryLayout<ContainerState>.offset(of: \.openData)!
    static let openStartsOffset = MemoryLayout<ContainerState>.offset(of: \.openStarts)!
    static let liveNetworksOffset =
        MemoryLayout<ContainerState>.offset(of: \.liveStats)! + MemoryLayout<StatsSample>.offset(of: \.networks)!
}
