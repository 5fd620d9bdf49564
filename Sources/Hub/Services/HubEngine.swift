import ContainerMetrics
import Glibc
public import Librato
import Logging
public import WireFormat

/// The hub's state behind an actor: `HubCore` plus what the I/O around it needs (reject counts, the state file,
/// sealing acks, self-metrics). The ingest loop, the flusher, the ack publisher and the status server share it.
public actor HubEngine {
    private var core: HubCore
    private let store: HubStateStore
    private let sealer: FrameSealer
    private let clock: @Sendable () -> Int64
    private let logger: Logger
    private let hostName: String
    private(set) var rejects: [RejectReason: Int] = [:]
    private var lastRejectLogMs: Int64?
    private var suppressedRejectLogs = 0
    private var ackSequence: UInt64 = 0
    /// The period handed to the flusher and not yet reported delivered.
    private var inFlight: Int64?
    private var lastSelfMetrics = HubCounters()
    /// Set while the state file cannot be written: no acks go out until it can (acks must never run ahead of it).
    private var stateWriteFailing = false
    private var rejectsAtLastSelfMetrics: [RejectReason: Int] = [:]
    public private(set) var lastSubmit: SubmitSummary?
    public let startedAtMs: Int64

    /// The outcome of the latest submission, for the status page.
    public struct SubmitSummary: Sendable {
        public var periodStart: Int64
        public var atMs: Int64
        public var measurements: Int
        public var accepted: Int
        public var invalid: Int
        public var tooOld: Int
        public var requests: Int
        public var durationMs: Int64
    }

    public init(
        configuration: HubConfiguration, store: HubStateStore, key: ClusterKey, hostName: String, logger: Logger,
        clock: @escaping @Sendable () -> Int64 = HubClock.nowMs
    ) throws {
        let now = clock()
        let saved = try store.load()
        if let saved {
            logger.info(
                "restored hub state",
                metadata: [
                    "path": "\(store.path ?? "-")", "delivered_through": "\(saved.deliveredThrough.map(String.init) ?? "none")",
                    "collectors": "\(saved.ledgers.count)", "containers": "\(saved.containers.count)",
                ])
        }
        self.core = HubCore(configuration: configuration, now: now, restoring: saved)
        self.store = store
        self.sealer = FrameSealer(key: key)
        self.clock = clock
        self.logger = logger
        self.hostName = hostName
        self.startedAtMs = now
    }

    public var configuration: HubConfiguration { core.configuration }

    // MARK: ingest

    @discardableResult
    public func ingest(_ frame: OpenedFrame) -> HubCore.IngestResult {
        core.ingest(frame, now: clock())
    }

    /// A frame that failed to open: counted by reason, logged at most every 10 s (with how many were not logged).
    public func rejected(_ error: WireError, size: Int, claimed: FrameHeader?) {
        rejects[error.reason, default: 0] += 1
        let now = clock()
        if lastRejectLogMs.map({ now - $0 >= 10_000 }) ?? true {
            var metadata: Logger.Metadata = ["reason": "\(error.reason.rawValue)", "error": "\(error)", "bytes": "\(size)"]
            if let claimed {
                metadata["claimed_collector"] = "\(claimed.collectorID)"
                metadata["claimed_host"] = "\(claimed.host)"
            }
            if suppressedRejectLogs > 0 { metadata["not_logged_since_last"] = "\(suppressedRejectLogs)" }
            logger.warning("rejected a frame", metadata: metadata)
            lastRejectLogMs = now
            suppressedRejectLogs = 0
        } else {
            suppressedRejectLogs += 1
        }
    }

    // MARK: periods

    /// Closes the periods that are due and forgets what is stale. Runs on its own timer, independent of
    /// submissions: while Librato is down, closed periods pile up in ``HubCore/pending`` (bounded by back-pressure)
    /// instead of staying open without bound.
    public func tick() {
        core.closeDuePeriods(now: clock())
        core.retire(now: clock())
    }

    /// The oldest undelivered period, unless it is already being submitted (`closingAll`: close the open ones first,
    /// for shutdown).
    public func nextToSubmit(closingAll: Bool = false) -> ClosedPeriod? {
        if closingAll { core.closeAll() }
        guard inFlight == nil, let head = core.pending.first else { return nil }
        inFlight = head.start
        return head
    }

    /// Whether anything is waiting to be submitted.
    public var hasPending: Bool { !core.pending.isEmpty }

    /// The submission of `period` ended. Complete → the period is delivered: the state file is written before
    /// anything is acknowledged. Incomplete (cancelled) → it stays pending.
    public func finished(_ period: ClosedPeriod, report: SubmitReport, measurements: Int, durationMs: Int64) throws {
        inFlight = nil
        core.record(
            accepted: report.accepted, invalid: report.invalid.count, tooOld: report.tooOld, requests: report.requestsByStatus)
        lastSubmit = SubmitSummary(
            periodStart: period.start, atMs: clock(), measurements: measurements, accepted: report.accepted,
            invalid: report.invalid.count, tooOld: report.tooOld, requests: report.requests, durationMs: durationMs)
        guard report.isComplete else { return }
        core.delivered(periodStart: period.start)
        do {
            try store.save(core.stateFile())
            stateWriteFailing = false
        } catch {
            stateWriteFailing = true
            throw error
        }
    }

    public func annotationsSent(_ n: Int) {
        core.record(accepted: 0, invalid: 0, tooOld: 0, requests: [:], annotations: n)
    }

    // MARK: acks

    /// One PUB message per collector epoch: the collector id (the SUB topic) followed by a sealed control frame.
    public func ackMessages() -> [[UInt8]] {
        guard !stateWriteFailing else { return [] }
        let now = clock()
        return core.acks().map { key, ack in
            ackSequence &+= 1
            let header = FrameHeader(
                kind: .control, collectorID: key.collector, epoch: key.epoch, sequence: ackSequence, sendTime: now, engineID: "hub",
                cluster: core.configuration.selfCluster, host: hostName)
            return key.collector.bytes + sealer.seal(header, Batch(acks: [ack]))
        }
    }

    // MARK: status

    public func status() -> HubStatus {
        HubStatus(
            nowMs: clock(), startedAtMs: startedAtMs, counters: core.counters, rejects: rejects,
            collectors: core.collectors.values.sorted { ($0.cluster, $0.host, $0.id) < ($1.cluster, $1.host, $1.id) },
            liveContainers: core.liveContainers, pendingPeriods: core.pending.count, closedThrough: core.closedThrough,
            deliveredThrough: core.deliveredThrough, backpressure: core.isBackpressured, lastSubmit: lastSubmit,
            periodMs: core.configuration.periodMs)
    }

    /// The hub's own metrics for one period, as deltas since the previous call (posted with that period).
    public func selfMetrics(time: Int, period: Int) -> [Measurement] {
        let c = core.counters
        let p = lastSelfMetrics
        lastSelfMetrics = c
        let cluster = core.configuration.selfCluster
        let source = "\(cluster):hub"
        let tags = ["cluster": cluster, "role": "hub"]
        func m(_ name: String, _ v: Double) -> Measurement {
            Measurement(name: "docker_librato.hub.\(name)", source: source, tags: tags, time: time, value: .single(v), period: period)
        }
        var rejected = 0
        for (reason, n) in rejects { rejected += n - (rejectsAtLastSelfMetrics[reason] ?? 0) }
        rejectsAtLastSelfMetrics = rejects
        return [
            m("frames.applied", Double(c.framesApplied - p.framesApplied)),
            m("frames.duplicate", Double(c.framesDuplicate - p.framesDuplicate)),
            m("frames.rejected", Double(rejected)),
            m("frames.lost", Double(c.framesLost - p.framesLost)),
            m("log_lines.lost", Double(c.logLinesLost - p.logLinesLost)),
            m("samples", Double(c.samplesApplied - p.samplesApplied)),
            m("log_lines", Double(c.logLinesApplied - p.logLinesApplied)),
            m("late", Double(c.lateGaugeSamples - p.lateGaugeSamples + c.lateBuckets - p.lateBuckets + c.lateEvents - p.lateEvents)),
            m("series_overflow", Double(c.seriesOverflow - p.seriesOverflow)),
            m("measurements.invalid", Double(c.measurementsInvalid - p.measurementsInvalid)),
            m("measurements.too_old", Double(c.measurementsTooOld - p.measurementsTooOld)),
            m("containers", Double(core.liveContainers)),
            m("collectors", Double(core.collectors.count)),
            m("pending_periods", Double(core.pending.count)),
        ]
    }
}

/// Wall-clock milliseconds.
public enum HubClock {
    @Sendable public static func nowMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
