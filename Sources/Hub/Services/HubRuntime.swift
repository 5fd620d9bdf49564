import ContainerMetrics
import Librato
import Logging
import Timekeeping
import WireFormat

/// The hub's state behind an actor: ``HubCore`` plus what the I/O around it needs (reject counts, the state file,
/// sealing acks, self-metrics). The hub's services share it: ingest, the period closer, the flusher, the control
/// path and the status server.
///
/// It tells the flusher that periods were closed through ``closedPeriods`` (an `AsyncStream`), so the flusher waits
/// instead of polling.
package actor HubRuntime {
    private var core: HubCore
    /// Where the state file and the progress journal live (the flusher appends to the journal from the HTTP client's
    /// thread: ``journalRecord(_:containers:)``).
    let store: HubStateStore
    private let sealer: FrameSealer
    private let wallClock: WallClock
    private let logger: Logger
    private let hostName: String
    private(set) var rejects: [RejectReason: Int] = [:]
    private var lastRejectLogMs: Int64?
    private var suppressedRejectLogs = 0
    /// The period handed to the flusher and not yet reported delivered.
    private var inFlight: Int64?
    /// The period the progress journal (``DeliveryProgress``) was begun for.
    private var progressPeriod: Int64?
    /// Counter values (and rejects) when self-metrics were last posted: they are posted as deltas.
    private var lastSelfMetrics = HubCounters()
    private var rejectsAtLastSelfMetrics = 0
    /// The acks the control service answers with (kept current here, read there without this actor).
    package nonisolated let board = AckBoard()
    package private(set) var lastSubmit: SubmitSummary?
    /// The Librato budget as the latest submission left it.
    package private(set) var lastBudget: RateBudget?
    package let startedAtMs: Int64
    /// Yields whenever periods were closed and wait for the flusher (newest signal only: the flusher takes all).
    package nonisolated let closedPeriods: AsyncStream<Void>
    private let closedSignal: AsyncStream<Void>.Continuation

    /// The outcome of the latest submission, for the status page.
    package struct SubmitSummary: Sendable {
        package var periodStart: Int64
        package var atMs: Int64
        package var measurements: Int
        package var accepted: Int
        package var invalid: Int
        package var tooOld: Int
        package var requests: Int
        package var durationMs: Int64
    }

    /// The sink sends nothing (shown on the status pages).
    package let dryRun: Bool

    package init(
        configuration: HubConfiguration, store: HubStateStore, key: ClusterKey, hostName: String, logger: Logger,
        wallClock: WallClock = .system, dryRun: Bool = false
    ) throws {
        self.dryRun = dryRun
        let now = wallClock.now().milliseconds
        let saved = try store.load()
        if let saved {
            logger.info(
                "restored hub state",
                metadata: [
                    "path": "\(store.path ?? "-")", "delivered_through": "\(saved.deliveredThrough.map(String.init) ?? "none")",
                    "collectors": "\(saved.ledgers.count)", "containers": "\(saved.containers.count)",
                ])
        }
        var progress: DeliveryProgress?
        do {
            progress = try store.loadProgress()
        } catch {
            logger.warning("could not read the delivery progress journal; a replay may post part of a period again", metadata: ["error": "\(error)"])
        }
        if let progress {
            logger.info(
                "restored delivery progress of the period being submitted",
                metadata: ["period": "\(progress.periodStart / 1000)", "head_delivered": "\(progress.headDelivered ? "all" : "\(progress.headSeries.count) series")", "containers": "\(progress.containers.count)"])
        }
        self.core = HubCore(configuration: configuration, now: now, restoring: saved, progress: progress)
        // A journal that applies goes on (a second crash in the same period keeps the first run's records).
        self.progressPeriod = core.restoredProgressPeriod
        self.store = store
        self.sealer = FrameSealer(key: key)
        self.wallClock = wallClock
        self.logger = logger
        self.hostName = hostName
        self.startedAtMs = now
        (closedPeriods, closedSignal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    package var configuration: HubConfiguration { core.configuration }

    private var nowMs: Int64 { wallClock.now().milliseconds }

    // MARK: ingest

    @discardableResult
    package func ingest(_ frame: consuming OpenedFrame) -> HubCore.IngestResult {
        let key = LedgerKey(collector: frame.header.collectorID, epoch: frame.header.epoch)
        let result = core.ingest(frame, now: nowMs)
        board.set(key, core.ack(for: key), backpressure: core.isBackpressured)
        return result
    }

    /// A frame that failed to open: counted by reason, logged at most every 10 s (with how many were not logged).
    package func rejected(_ error: WireError, size: Int, claimed: FrameHeader?) {
        rejects[error.reason, default: 0] += 1
        let now = nowMs
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

    /// Closes the periods that are due, forgets what is stale, tells the flusher when something closed, and returns
    /// the wall time of the next closing. Runs on the period closer's own timer, independent of submissions: while
    /// Librato is down, closed periods pile up in ``HubCore/pending`` (bounded by back-pressure) instead of staying
    /// open without bound.
    @discardableResult
    package func tick() -> WallTime {
        let now = nowMs
        if core.closeDuePeriods(now: now) > 0 { closedSignal.yield() }
        core.retire(now: now)
        board.retire(before: now - core.configuration.retainMs)
        publishAcks()
        return WallTime(milliseconds: core.nextCloseDue(now: now))
    }

    /// The oldest undelivered period, unless it is already being submitted (`closingAll`: close the open ones first,
    /// for shutdown).
    package func nextToSubmit(closingAll: Bool = false) -> ClosedPeriod? {
        if closingAll { core.closeAll() }
        guard inFlight == nil, let head = core.pending.first else { return nil }
        inFlight = head.start
        return head
    }

    /// When the first period will close (for the dry run's start-up message).
    package func firstCloseDue() -> WallTime { WallTime(milliseconds: core.nextCloseDue(now: nowMs)) }

    /// What a previous run of the hub delivered of the head (roll-ups, self-metrics) of `periodStart` before it stopped.
    package func deliveredHead(_ periodStart: Int64) -> HeadProgress {
        core.headDelivered.flatMap { $0.period == periodStart ? $0.head : nil } ?? HeadProgress()
    }

    /// Part of the period being submitted was accepted — the head's series in `headSeries` (``DeliveryProgress/seriesHash(_:)``),
    /// or the containers in `containers`: their watermarks advance and the progress journal records it
    /// (``DeliveryProgress``). A journal that cannot be written is logged and otherwise ignored: it only narrows what a
    /// crash would post again.
    /// `journalled`: the flusher appended the part's record already (``journalRecord(_:containers:)``, when the
    /// request's acceptance arrived); only the watermarks advance here.
    package func partDelivered(_ period: ClosedPeriod, headSeries: [UInt64] = [], containers: Range<Int> = 0..<0, journalled: Bool = false) {
        let records = core.delivered(periodStart: period.start, containers: period.containers[containers])
        guard !journalled else { return }
        do {
            try beginJournal(period)
            if !headSeries.isEmpty { try store.appendProgress(DeliveryProgressCodec.headSeries(headSeries)) }
            if !records.isEmpty { try store.appendProgress(DeliveryProgressCodec.containers(records)) }
        } catch {
            logger.warning("could not write the delivery progress journal; a crash now may post part of this period again", metadata: ["error": "\(error)"])
        }
    }

    /// Makes the progress journal the one of `period` (begun afresh, unless it already is: a restarted hub appends
    /// to the journal of the period it resumes).
    package func beginJournal(_ period: ClosedPeriod) throws {
        guard progressPeriod != period.start else { return }
        try store.beginProgress(periodStart: period.start)
        progressPeriod = period.start
    }

    /// The journal record for these containers of `period` once delivered, for the flusher to append the moment
    /// Librato accepts them (after ``beginJournal(_:)``); ``partDelivered(_:headSeries:containers:journalled:)``
    /// then advances their watermarks.
    package func journalRecord(_ period: ClosedPeriod, containers: Range<Int>) -> [UInt8] {
        DeliveryProgressCodec.containers(core.deliveryRecords(period.containers[containers]))
    }

    /// Whether anything is waiting to be submitted.
    package var hasPending: Bool { !core.pending.isEmpty }

    /// The submission of `period` ended. Complete → the period is delivered: the state file is written before
    /// anything is acknowledged. Incomplete (cancelled) → it stays pending.
    package func finished(
        _ period: ClosedPeriod, report: SubmitReport, measurements: Int, durationMs: Int64, deferred: Int = 0, rateLimited: Int = 0,
        budget: RateBudget? = nil
    ) throws {
        inFlight = nil
        if let budget { lastBudget = budget }
        core.record(
            accepted: report.accepted, invalid: report.invalid.count, tooOld: report.tooOld, requests: report.requestsByStatus,
            deferred: deferred, rateLimited: rateLimited)
        lastSubmit = SubmitSummary(
            periodStart: period.start, atMs: nowMs, measurements: measurements, accepted: report.accepted,
            invalid: report.invalid.count, tooOld: report.tooOld, requests: report.requests, durationMs: durationMs)
        guard report.isComplete else { return }
        core.delivered(periodStart: period.start)
        do {
            try store.save(core.stateFile())
            store.clearProgress()
            progressPeriod = nil
            board.hold(false)
            publishAcks()
        } catch {
            board.hold(true)
            throw error
        }
    }

    /// Puts every ledger's ack on the board.
    private func publishAcks() {
        board.replaceAll(core.acks(), backpressure: core.isBackpressured)
    }

    package func annotationsSent(_ n: Int) {
        core.record(accepted: 0, invalid: 0, tooOld: 0, requests: [:], annotations: n)
    }

    // MARK: status

    package func status() -> HubStatus {
        HubStatus(
            nowMs: nowMs, startedAtMs: startedAtMs, counters: core.counters, rejects: rejects,
            collectors: core.collectors.values.sorted { ($0.cluster, $0.host, $0.id) < ($1.cluster, $1.host, $1.id) },
            liveContainers: core.liveContainers, pendingPeriods: core.pending.count, closedThrough: core.closedThrough,
            deliveredThrough: core.deliveredThrough, backpressure: core.isBackpressured, lastSubmit: lastSubmit,
            periodMs: core.configuration.periodMs, rateBudget: lastBudget, dryRun: dryRun, healthPeriods: core.configuration.healthPeriods,
            control: board.counters)
    }

    /// The hub's own metrics for one period: each ``HubCounter`` with a Librato name as its delta since the previous
    /// call (counters sharing a name summed), rejected frames, and the current gauges.
    package func selfMetrics(time: Int, period: Int) -> [Measurement] {
        let c = core.counters
        let p = lastSelfMetrics
        lastSelfMetrics = c
        let cluster = core.configuration.selfCluster
        let source = "\(cluster):hub"
        let tags = ["cluster": cluster, "role": "hub"]
        func m(_ name: String, _ v: Double) -> Measurement {
            Measurement(name: "docker_librato.hub.\(name)", source: source, tags: tags, time: time, value: .single(v), period: period)
        }
        var deltas: [(String, Int)] = []
        for counter in HubCounter.allCases {
            guard let name = counter.definition.librato else { continue }
            let d = c[counter] - p[counter]
            if let i = deltas.firstIndex(where: { $0.0 == name }) { deltas[i].1 += d } else { deltas.append((name, d)) }
        }
        let rejected = rejects.values.reduce(0, +)
        defer { rejectsAtLastSelfMetrics = rejected }
        return deltas.map { m($0.0, Double($0.1)) } + [
            m("frames.rejected", Double(rejected - rejectsAtLastSelfMetrics)),
            m("containers", Double(core.liveContainers)),
            m("collectors", Double(core.collectors.count)),
            m("pending_periods", Double(core.pending.count)),
        ]
    }
}
