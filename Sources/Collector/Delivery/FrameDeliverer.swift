import ContainerMetrics
import Logging
import Nanomsg
import ServiceLifecycle
import WireFormat
import Timekeeping

/// The collector's delivery side: turns batches into sealed frames, keeps them in the spool until the hub
/// acknowledges them, and sends, retransmits and reports over a ``HubLink``. The rules live in
/// ``SpoolStateMachine``; this actor performs its I/O (state file, disk spool, sockets) and runs three loops:
/// acks, sending, and a clock tick (heartbeats, fsync pacing).
///
/// ``submit(_:)`` never waits for the hub: it returns once the frame is spooled — on disk (in the page cache, safe
/// from `kill -9`; fsynced within ~250 ms) when a state directory is configured. ``run()`` (a swift-service-lifecycle
/// `Service`) runs until cancelled or a graceful shutdown: then it stops accepting, lets in-flight sends settle a
/// moment, fsyncs the spool, writes the state file and closes the sockets.
@_spi(Simulation) public actor FrameDeliverer: RecordSink, Service {
    /// Settings beyond ``CollectorConfiguration``.
    @_spi(Simulation) public struct Options: Sendable {
        /// Largest sealed frame (the hub's `NN_RCVMAXSIZE`); bigger batches are split, single records refused.
        package var maxFrameBytes: Int
        /// Sequences reserved per state file write.
        package var sequenceBlock: UInt64
        /// Size at which a spool segment file is closed for a new one (default: 1/32 of the disk bound, 64 KiB–4 MiB).
        package var segmentBytes: Int?
        /// Most frame bytes retransmitted per ack (see ``SpoolStateMachine/Configuration/retransmitBytesPerAck``).
        package var retransmitBytesPerAck: Int
        /// How often the clock ticks (heartbeats and fsyncs are due at most this late). 250 ms rather than 50: the
        /// collector's CPU with 100 containers fell from 1.08 to 0.91 % of a core (BENCHMARKS.md).
        package var tickInterval: Duration
        /// On shutdown, how long frames already handed to nanomsg get to leave (nanomsg has no linger).
        package var shutdownGrace: Duration
        /// How often the collector asks the hub for its ack while something is in question (a gap, back-pressure,
        /// frames not yet seen by the hub), and the longest interval it backs off to otherwise (``AckPollPacing``).
        package var ackPollInterval: Duration
        package var ackPollMaxInterval: Duration
        /// No ack for this long (while frames wait) is logged as a warning, with what the control connection saw.
        package var noAckWarningAfter: Duration
        /// Socket settings.
        package var link: HubLink.Options

        /// Defaults suited to production; tests shorten the intervals.
        @_spi(Simulation) public init(
            maxFrameBytes: Int = 1 << 20,
            sequenceBlock: UInt64 = 1024,
            segmentBytes: Int? = nil,
            retransmitBytesPerAck: Int = 16 << 20,
            tickInterval: Duration = .milliseconds(250),
            shutdownGrace: Duration = .milliseconds(200),
            ackPollInterval: Duration = .seconds(1),
            ackPollMaxInterval: Duration? = nil,
            noAckWarningAfter: Duration = .seconds(60),
            link: HubLink.Options = HubLink.Options()
        ) {
            self.maxFrameBytes = maxFrameBytes
            self.sequenceBlock = sequenceBlock
            self.segmentBytes = segmentBytes
            self.retransmitBytesPerAck = retransmitBytesPerAck
            self.tickInterval = tickInterval
            self.shutdownGrace = shutdownGrace
            self.ackPollInterval = ackPollInterval
            // 4 × the base: a settled collector asks every 4 s by default, a quarter of the hub's control load.
            self.ackPollMaxInterval = ackPollMaxInterval ?? ackPollInterval * 4
            self.noAckWarningAfter = noAckWarningAfter
            self.link = link
        }
    }

    /// Why a batch was not accepted.
    package enum SubmitError: Error, Equatable {
        /// The deliverer is shutting down (or was stopped).
        case stopped
    }

    /// This collector's id (restored from the state directory, or random).
    @_spi(Simulation) public nonisolated let collectorID: CollectorID
    /// The epoch of every frame this deliverer builds.
    @_spi(Simulation) public nonisolated let epoch: UInt64
    let configuration: CollectorConfiguration
    let options: Options
    let engineID: String
    let host: String
    let metrics: CollectorMetrics
    let logger: Logger
    let sealer: FrameSealer
    let stateDirectory: String?
    let disk: DiskSpool?
    var machine: SpoolStateMachine
    var reportedCounters = SpoolStateMachine.Counters()
    var accepting = true
    /// Set by ``simulateCrash()``: stop without writing anything, as `kill -9` would.
    var crashed = false
    var link: HubLink?
    /// Log lines carried by each spooled frame of this run, reported with dropped ranges so that the hub can count
    /// exactly the lines of frames it never got. Frames restored from disk after a restart are not in it.
    var linesBySequence: [UInt64: UInt64] = [:]
    let doorbell: AsyncStream<Void>
    let ring: AsyncStream<Void>.Continuation
    /// Wall time for frame headers and heartbeats; monotonic time and sleeps for the spool's pacing.
    let clocks: Clocks
    /// When the last ack arrived (nil: none yet), when delivery started, and when "no acks" was last logged.
    var lastAck: MonotonicInstant?
    var started: MonotonicInstant
    var lastNoAckWarning: MonotonicInstant?
    /// When the next ack poll is due.
    var pollPacing: AckPollPacing
    /// Told after every poll whether data is flowing (for `/healthz`).
    let health: CollectorHealth

    /// Restores (or creates) the collector's identity and spool from `configuration.stateDirectory`; without one,
    /// starts a random id and epoch with a memory-only spool. `engineID` and `host` go into every frame header.
    @_spi(Simulation) public init(
        configuration: CollectorConfiguration,
        engineID: String,
        host: String,
        metrics: CollectorMetrics = CollectorMetrics(),
        logger: Logger = Logger(label: "docker-librato.collector.delivery"),
        options: Options = Options(),
        clocks: Clocks = .system,
        health: CollectorHealth = CollectorHealth()
    ) throws(StateDirectoryError) {
        self.configuration = configuration
        self.health = health
        self.clocks = clocks
        self.started = clocks.monotonicNow()
        self.options = options
        self.pollPacing = AckPollPacing(base: options.ackPollInterval, maxInterval: options.ackPollMaxInterval)
        self.engineID = engineID
        self.host = host
        self.metrics = metrics
        self.logger = logger
        sealer = FrameSealer(key: configuration.clusterKey)
        (doorbell, ring) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        var spoolConfiguration = SpoolStateMachine.Configuration(
            memoryBytes: configuration.spoolMemoryBytes,
            sequenceBlock: options.sequenceBlock,
            retransmitBytesPerAck: options.retransmitBytesPerAck,
            heartbeatInterval: configuration.heartbeatInterval
        )
        guard let directory = configuration.stateDirectory else {
            let machine = SpoolStateMachine(configuration: spoolConfiguration, state: .fresh())
            logger.info("delivery without a state directory: memory-only spool, new epoch", metadata: Self.identityMetadata(machine))
            self.stateDirectory = nil
            self.disk = nil
            self.machine = machine
            self.collectorID = machine.collectorID
            self.epoch = machine.epoch
            return
        }
        spoolConfiguration.diskBytes = configuration.spoolDiskBytes
        try PosixFile.makeDirectory(directory)
        let restored = try CollectorState.load(directory: directory)
        let state = restored ?? .fresh()
        let segmentBytes = options.segmentBytes ?? min(max(configuration.spoolDiskBytes / 32, 64 << 10), 4 << 20)
        let spool = try DiskSpool(directory: directory + "/spool", epoch: state.epoch, segmentLimit: segmentBytes)
        let loaded = try spool.load(settledThrough: max(state.settledThrough, state.ackedThrough), memoryBudget: configuration.spoolMemoryBytes)
        let machine = SpoolStateMachine(
            configuration: spoolConfiguration,
            restoring: state,
            frames: loaded.frames,
            highestOnDisk: loaded.highestSequence,
            tailCorrupted: loaded.tailCorrupted
        )
        for damage in loaded.damage {
            logger.error(
                "spool segment damaged; truncated to its last good record",
                metadata: ["path": "\(damage.path)", "kind": "\(damage.kind.rawValue)", "offset": "\(damage.offset)"]
            )
        }
        if loaded.otherEpochFrames > 0 {
            logger.warning(
                "removed spooled frames of another epoch (the state file was lost or replaced)",
                metadata: ["frames": "\(loaded.otherEpochFrames)"]
            )
        }
        var metadata = Self.identityMetadata(machine)
        metadata["resumed"] = "\(restored != nil)"
        metadata["spooled_frames"] = "\(machine.spoolFrames)"
        metadata["pending_abandoned"] = "\(machine.pending.map { "\($0.first)-\($0.last) \($0.reason)" })"
        logger.info("delivery state restored", metadata: metadata)
        // The identity is on disk before anything uses it.
        try machine.state().write(directory: directory)
        self.stateDirectory = directory
        self.disk = spool
        self.machine = machine
        self.collectorID = machine.collectorID
        self.epoch = machine.epoch
    }

    static func identityMetadata(_ machine: SpoolStateMachine) -> Logger.Metadata {
        ["collector_id": "\(machine.collectorID)", "epoch": "\(machine.epoch)", "next_sequence": "\(machine.nextSequence)"]
    }

    // MARK: RecordSink

    /// Seals `batch` into a frame (several when it would exceed ``Options/maxFrameBytes``) and spools it. Returns
    /// once it is spooled; never waits for the hub. Throws ``SubmitError/stopped`` after shutdown began, or a
    /// ``StateDirectoryError`` when a sequence cannot be reserved in the state file.
    @_spi(Simulation) public func submit(_ batch: Batch) async throws {
        guard accepting else { throw SubmitError.stopped }
        if batch.isEmpty && machine.pending.isEmpty { return }
        try build(batch)
    }

    /// Builds, seals and spools frames for `batch`, with the pending abandoned ranges added to the first one.
    func build(_ batch: Batch) throws(StateDirectoryError) {
        var work = [batch]
        while !work.isEmpty {
            let part = work.removeFirst()
            let plan = machine.planFrame()
            var full = part
            full.abandoned += plan.abandoned.map(withLogLines)
            let header = FrameHeader(
                kind: .data,
                collectorID: collectorID,
                epoch: epoch,
                sequence: plan.sequence,
                ackedThrough: plan.ackedThrough,
                sendTime: clocks.wall.now().milliseconds,
                engineID: engineID,
                cluster: configuration.cluster,
                host: host
            )
            let sealed = sealer.seal(header, full)
            if sealed.count > options.maxFrameBytes {
                if let (a, b) = BatchSplitter.halves(part) {
                    metrics.add(.framesSplit)
                    work.insert(contentsOf: [a, b], at: 0)
                } else {
                    metrics.add(.recordsOversize, max(part.recordCount, 1))
                    logger.error(
                        "refusing a record whose frame exceeds the hub's limit",
                        metadata: ["frame_bytes": "\(sealed.count)", "limit": "\(options.maxFrameBytes)"]
                    )
                }
                continue
            }
            if let reservation = plan.reservation, let directory = stateDirectory {
                try machine.state(reservingThrough: reservation).write(directory: directory)
                machine.reservationPersisted(reservation)
            }
            var onDisk = false
            if let disk {
                do {
                    try disk.append(sequence: plan.sequence, frame: sealed)
                    onDisk = true
                } catch {
                    logger.error("cannot append a frame to the disk spool; keeping it in memory", metadata: ["error": "\(error)"])
                }
            }
            let lines = part.logs.reduce(UInt64(0)) { $0 &+ $1.value.lines }
            if lines > 0 { linesBySequence[plan.sequence] = lines }
            let actions = machine.frameSealed(sequence: plan.sequence, bytes: sealed, carrying: plan.abandoned, onDisk: onDisk, now: clocks.monotonicNow())
            perform(actions)
        }
        publishMetrics()
    }

    /// A dropped range with the log lines of each of its frames (kept until the hub acknowledges past them).
    func withLogLines(_ range: AbandonedRange) -> AbandonedRange {
        guard range.reason == .dropped, range.last - range.first < 4096 else { return range }
        var r = range
        r.logLines = (range.first...range.last).map { linesBySequence[$0] ?? 0 }
        return r
    }

    // MARK: performing actions

    func perform(_ actions: [SpoolStateMachine.Action]) {
        guard !crashed else { return }
        for action in actions {
            switch action {
            case .dropped(let range):
                var lostLines: UInt64 = 0
                for sequence in range.first...range.last { lostLines &+= linesBySequence[sequence] ?? 0 }
                metrics.add(.spoolDroppedLogLines, Int(lostLines))
                logger.warning(
                    "spool full: dropped the oldest frames; the hub is told and counts them as lost",
                    metadata: [
                        "first": "\(range.first)", "last": "\(range.last)", "frames": "\(range.count)", "epoch": "\(range.epoch)",
                        "log_lines": "\(lostLines)",
                        "spool_frames": "\(machine.spoolFrames)", "spool_bytes": "\(machine.spoolBytes)",
                    ]
                )
            case .releaseDisk(let through):
                releaseDisk(through: through)
            case .buildFrame:
                buildQuietly(Batch())
            case .buildHeartbeat:
                buildQuietly(heartbeat())
            case .syncDisk:
                do {
                    try disk?.sync()
                    machine.diskSynced(now: clocks.monotonicNow())
                } catch {
                    logger.error("cannot fsync the disk spool", metadata: ["error": "\(error)"])
                }
            case .transmit:
                ring.yield()
            }
        }
    }

    /// Builds a frame the deliverer decided on itself (heartbeat, report); a failure is logged, not thrown.
    private func buildQuietly(_ batch: Batch) {
        guard accepting else { return }
        do {
            try build(batch)
        } catch {
            logger.error("cannot build a frame", metadata: ["error": "\(error)"])
        }
    }

    private func releaseDisk(through: UInt64) {
        guard let disk, let directory = stateDirectory else { return }
        disk.settle(through: through)
        guard disk.hasRemovableSegments else { return }
        do {
            // The state file must say these frames are settled before the only copy of them goes.
            try machine.state().write(directory: directory)
            try disk.removeSettledSegments()
        } catch {
            logger.error("cannot remove settled spool segments", metadata: ["error": "\(error)"])
        }
    }

    private func heartbeat() -> Batch {
        publishMetrics()
        var values = metrics.snapshot()
        values["spool_memory_bytes"] = Double(machine.memoryBytes)
        values["spool_unsent_frames"] = Double(machine.unsentFrames)
        values["acks_received"] = Double(machine.counters.acksReceived)
        return Batch(heartbeats: [Heartbeat(time: clocks.wall.now().milliseconds, values: values)])
    }

    /// Mirrors the state machine's counters and gauges into ``CollectorMetrics``.
    func publishMetrics() {
        let c = machine.counters
        let r = reportedCounters
        metrics.add(.framesBuilt, c.built - r.built)
        metrics.add(.framesSent, c.sent - r.sent)
        metrics.add(.framesRetransmitted, c.retransmitted - r.retransmitted)
        metrics.add(.framesAcked, c.acked - r.acked)
        metrics.add(.spoolDroppedFrames, c.dropped - r.dropped)
        if c.acked != r.acked {
            let acked = machine.ackedThrough
            linesBySequence = linesBySequence.filter { $0.key > acked }
        }
        reportedCounters = c
        metrics.set(.spoolFrames, machine.spoolFrames)
        metrics.set(.spoolBytes, machine.spoolBytes)
        metrics.set(.spoolDiskBytes, machine.diskBytes)
        metrics.set(.queueDepth, machine.unsentFrames)
    }

    // MARK: observation (status page, tests)

    /// The spool state machine as it is now.
    package var spoolState: SpoolStateMachine { machine }

    /// What the fleet simulator reads (Benchmarks/FleetSim): every sequence ≤ it is acknowledged, the next sequence,
    /// the hub's latest "next expected", frames still spooled, retransmissions so far, and the bytes the hub sent on
    /// this collector's control connection.
    @_spi(Simulation) public var simulationView:
        (ackedThrough: UInt64, nextSequence: UInt64, hubNextExpected: UInt64, spoolFrames: Int, retransmitted: Int, controlBytesReceived: UInt64)
    {
        (
            machine.ackedThrough, machine.nextSequence, machine.hubNextExpected ?? 0, machine.spoolFrames, machine.counters.retransmitted,
            link?.req.statistic(.bytesReceived) ?? 0
        )
    }
}
