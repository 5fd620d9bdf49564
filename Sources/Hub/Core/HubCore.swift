import ContainerMetrics
import DequeModule
import WireFormat

/// The hub's logic, without I/O: frames in, closed periods and acknowledgements out. Time is passed in (`now`, Unix
/// milliseconds), so every rule can be tested in microseconds. See docs/ARCHITECTURE.md, "Delivery protocol".
///
/// How each kind of record lands in an open period is in HubCore+Records.swift; closing and delivering periods in
/// HubCore+Periods.swift; the restart path (the state file, the progress journal, closing periods by the replay's
/// progress) in HubCore+Restart.swift. The storage they work on is internal to the module for that reason only.
@_spi(Benchmarks) public struct HubCore: Sendable {
    @_spi(Benchmarks) public let configuration: HubConfiguration
    @_spi(Benchmarks) public internal(set) var counters = HubCounters()
    package internal(set) var collectors: [LedgerKey: CollectorInfo] = [:]
    var ledgers: [LedgerKey: CollectorLedger] = [:]
    /// Container states by slot (a free slot holds ``ContainerState/vacant``), and the slot of each container.
    /// Not optional: reading a field through an optional element would copy the whole state.
    var states: ContiguousArray<ContainerState> = []
    var slotByKey: [ContainerKey: Int32] = [:]
    private var freeSlots: [Int32] = []
    /// Per collector epoch, the slots of the containers of its latest applied frame, in the frame's order: a
    /// collector lists the same containers in the same order frame after frame, so the next frame's containers are
    /// found at these slots by their identity tokens, without a table lookup. A hint is only a guess: a slot is used
    /// only when its identity came from that very token (see ``resolve``).
    private var slotHints: [LedgerKey: [Int32]] = [:]
    /// The slot of the container whose identity was last assigned from each identity token
    /// (``OpenedFrame/identityTokens``): frames whose containers change from one frame to the next (a collector with
    /// more containers than fit a frame) find them here without hashing their keys. A hit is used only when the
    /// slot's ``ContainerState/identityToken`` is that token. Emptied when it outgrows the containers.
    private var slotByToken: [IdentityToken: Int32] = [:]
    /// Each engine's key as first seen: a frame's engine (decoded from its header) is replaced by it, so that the
    /// keys compared per container share their strings' storage (equal at the first word).
    private var engines: [EngineKey: EngineKey] = [:]
    /// Starts of the open periods (each holds data of at least one container or engine), ascending.
    var openStarts: [Int64] = []
    /// Per open period, each engine's latest count of containers by state.
    var openHosts: [Int64: [EngineKey: HostPeriod]] = [:]
    /// Closed, not yet delivered, oldest first.
    package internal(set) var pending: Deque<ClosedPeriod> = []
    /// The latest period closed (data for it or earlier is late).
    package internal(set) var closedThrough: Int64?
    let startedAtMs: Int64
    /// After a restart, the collectors of the state file that were heard from shortly before it was written, each with
    /// the build time (its clock) of the latest frame of it applied: a period closes only once each has applied a
    /// frame built after the period's end (see ``isRecovering(now:)``).
    var recovering: [CollectorID: Int64] = [:]
    /// The period whose head (roll-ups, the hub's own metrics) a previous run of the hub delivered, in whole or in
    /// part, before it stopped in the middle of the period (``DeliveryProgress``), and what of it.
    package internal(set) var headDelivered: (period: Int64, head: HeadProgress)?
    /// The period of the progress journal restored at start, when it applied (a later crash in the same period must
    /// keep its records: the journal is appended to, not begun again).
    package internal(set) var restoredProgressPeriod: Int64?

    package init(configuration: HubConfiguration, now: Int64, restoring state: HubStateFile?, progress: DeliveryProgress? = nil) {
        self.configuration = configuration
        self.startedAtMs = now
        if let state { restore(state, now: now) }
        if let progress { restore(progress, now: now) }
    }

    /// A hub that starts afresh at `now` (Unix ms).
    @_spi(Benchmarks) public init(configuration: HubConfiguration, now: Int64) {
        self.init(configuration: configuration, now: now, restoring: nil)
    }

    /// The latest period such that it and every period before it has been delivered.
    package var deliveredThrough: Int64? {
        if let head = pending.first { return head.start - configuration.periodMs }
        return closedThrough
    }

    /// True while the hub holds as many undelivered periods (closed and open) as it may: new data frames are refused
    /// (collectors keep them and retransmit later). Open periods count, so closed ones never exceed the bound.
    package var isBackpressured: Bool { pending.count + openStarts.count >= configuration.maxPendingPeriods }

    @_spi(Benchmarks) public var liveContainers: Int { slotByKey.count }

    // MARK: ingest

    @_spi(Benchmarks) public enum IngestResult: Equatable, Sendable {
        case applied(frames: Int)
        case buffered
        case duplicate
        case beyondWindow
        case refused
        case ignored
    }

    /// Takes one authenticated frame from a collector. Consumes it: its samples move into the containers' state (a
    /// copy would retain each sample's buffers, and releasing the frame would release them again).
    @discardableResult
    @_spi(Benchmarks) public mutating func ingest(_ frame: consuming OpenedFrame, now: Int64) -> IngestResult {
        let h = frame.header
        guard h.kind == .data else { return .ignored }
        let key = LedgerKey(collector: h.collectorID, epoch: h.epoch)
        // In place, one lookup (`collectors[key]!.x = …` looked the entry up and copied it per statement).
        collectors[key, default: CollectorInfo(id: h.collectorID, epoch: h.epoch, cluster: h.cluster, host: h.host, engineID: h.engineID, now: now)]
            .seen(at: now)
        if isBackpressured {
            counters[.framesRefusedBackpressure] += 1
            return .refused
        }
        // Taken out while worked on (and put back below): a copy the dictionary still shared would copy its storage.
        var ledger = ledgers.removeValue(forKey: key) ?? CollectorLedger(startingAfter: h.ackedThrough, window: configuration.reorderWindow)
        ledger.collectorAcked(through: h.ackedThrough)
        for range in frame.batch.abandoned where range.epoch == h.epoch { ledger.abandon(range) }
        let result: IngestResult
        switch ledger.offer(frame) {
        case .duplicate:
            counters[.framesDuplicate] += 1
            collectors[key]!.duplicates += 1
            result = .duplicate
        case .buffered:
            counters[.framesBuffered] += 1
            result = .buffered
        case .beyondWindow:
            counters[.framesBeyondWindow] += 1
            result = .beyondWindow
        case .apply:
            var n = 0
            while let next = ledger.next() {
                // How far a collector the replay waits for has come: frames apply in sequence order, so everything it
                // built before this frame is in.
                if let seen = recovering[h.collectorID] { recoveryProgress(h.collectorID, seen, next.header.sendTime) }
                let sequence = next.header.sequence
                let period = apply(next, now: now)
                ledger.applied(sequence, period: period)
                n += 1
            }
            result = .applied(frames: n)
        }
        ledger.advance(deliveredThrough: deliveredThrough)
        if let c = collectors.index(forKey: key) {
            counters[.framesLost] += Int(ledger.lostFrames - collectors.values[c].lostFrames)
            counters[.logLinesLost] += Int(ledger.lostLogLines - collectors.values[c].lostLogLines)
            collectors.values[c].record(ledger)
        }
        ledgers[key] = ledger
        return result
    }

    /// Applies one frame's records; returns the latest period its data landed in (nil: no data).
    private mutating func apply(_ frame: consuming OpenedFrame, now: Int64) -> Int64? {
        counters[.framesApplied] += 1
        counters[.recordsSkipped] += frame.batch.skippedRecords
        let h = frame.header
        let engine = canonical(EngineKey(cluster: h.cluster, engineID: h.engineID))
        // Each container of the frame is resolved to its slot once; records then go by index.
        let hintKey = LedgerKey(collector: h.collectorID, epoch: h.epoch)
        let hints = slotHints.removeValue(forKey: hintKey) ?? []
        let tokens = frame.identityTokens
        var slots: [Int32?] = []
        slots.reserveCapacity(frame.batch.containers.count)
        // By index: iterating the identities would copy (retain and release) each one.
        for i in frame.batch.containers.indices {
            // The state the hint names, a few containers ahead (HubCore+Prefetch.swift).
            if i + Self.stateDistance < hints.count, hints[i + Self.stateDistance] >= 0 { prefetchState(hints[i + Self.stateDistance]) }
            let hint = i < hints.count ? hints[i] : -1
            let token = i < tokens.count ? tokens[i] : 0
            slots.append(resolve(i, of: frame.batch.containers, token: token, engine: engine, host: h.host, now: now, hint: hint))
        }
        slotHints[hintKey] = slots.map { $0 ?? -1 }
        var latest: Int64?
        func landed(_ p: Int64?) {
            if let p { latest = max(latest ?? p, p) }
        }
        let statsCount = frame.batch.stats.count
        // In place: each sample is moved out of the frame into its container's state, leaving one that holds nothing
        // (the frame was consumed, so nobody else sees its records).
        for k in 0..<statsCount {
            // Prefetch hints (HubCore+Prefetch.swift): the buffers of a state a few records ahead (the states were
            // asked for as the frame's containers were resolved).
            if k + Self.bufferDistance < statsCount, let ahead = slots[frame.batch.stats[k + Self.bufferDistance].container] { prefetchBuffers(ahead) }
            if k + 1 < statsCount, let next = slots[frame.batch.stats[k + 1].container] { prefetchPeriodInterfaces(next) }
            guard let slot = slots[frame.batch.stats[k].container] else {
                counters[.seriesOverflow] += 1
                continue
            }
            let sample = exchange(&frame.batch.stats[k].value, with: StatsSample(time: 0))
            landed(applyStats(sample, to: Int(slot), from: h.collectorID))
        }
        for record in frame.batch.logs {
            guard let slot = slots[record.container] else {
                counters[.seriesOverflow] += 1
                continue
            }
            landed(applyLogs(record.value, to: Int(slot)))
        }
        for record in frame.batch.events {
            guard let slot = slots[record.container] else {
                counters[.seriesOverflow] += 1
                continue
            }
            landed(applyEvent(record.value, to: Int(slot)))
        }
        for record in frame.batch.statuses {
            guard let slot = slots[record.container] else {
                counters[.seriesOverflow] += 1
                continue
            }
            landed(applyStatus(record.value, to: Int(slot)))
        }
        for states in frame.batch.hostStates {
            landed(applyHostStates(states, engine: engine, host: h.host))
        }
        if let beat = frame.batch.heartbeats.last {
            collectors[LedgerKey(collector: h.collectorID, epoch: h.epoch)]?.heartbeat = beat.values
        }
        return latest
    }

    /// The engine's key as first seen (see ``engines``).
    private mutating func canonical(_ engine: EngineKey) -> EngineKey {
        if let known = engines[engine] { return known }
        if engines.count >= 4 * max(collectors.count, 256) { engines.removeAll(keepingCapacity: true) }
        engines[engine] = engine
        return engine
    }

    /// Finds or creates the state of container `c` of `containers`; its slot, or nil when the series bound is reached.
    /// `token`: its identity's interner token (0: unknown); `hint`: the slot the collector's previous frame had at this
    /// position. Takes the array and an index, not the identity: passing `containers[c]` copied (retained and
    /// released) every string of the identity per sample, while the usual path reads only its id.
    private mutating func resolve(
        _ c: Int, of containers: [ContainerIdentity], token: UInt64, engine: EngineKey, host: String, now: Int64, hint: Int32
    ) -> Int32? {
        // The same identity record as the one the slot's identity was last assigned from: only the id and engine need
        // checking (tokens are unique in the process, but another opener's frames could reach a core in tests).
        if token != 0 {
            let slot = hint >= 0 && Int(hint) < states.count && states[Int(hint)].identityToken == token ? hint : slotByToken[IdentityToken(raw: token)] ?? -1
            // The identity's box first: the slot's identity was assigned from this very record, so it is normally the
            // same box, and comparing ids read the frame's box (a cache miss per container and frame).
            if slot >= 0, Int(slot) < states.count, states[Int(slot)].identityToken == token, states[Int(slot)].key.engine == engine,
                states[Int(slot)].identity.sharesStorage(with: containers[c]) || states[Int(slot)].key.id == containers[c].id
            {
                let i = Int(slot)
                states[i].lastActivityMs = now
                if states[i].host != host { states[i].host = host }
                return slot
            }
        }
        // A new or changed identity record (or a frame without tokens): by key.
        let identity = containers[c]
        let key = ContainerKey(engine: engine, id: identity.id)
        let slot: Int32
        if let found = slotByKey[key] {
            // Assigned, not compared first: comparing labels costs more than storing them again.
            slot = found
            let i = Int(slot)
            states[i].lastActivityMs = now
            states[i].identity = identity
            states[i].host = host
        } else {
            guard slotByKey.count < configuration.maxContainers else { return nil }
            slot = insert(ContainerState(key: key, identity: identity, host: host, now: now))
        }
        states[Int(slot)].identityToken = token
        if token != 0 {
            if slotByToken.count >= 2 * slotByKey.count + 1024 { slotByToken.removeAll(keepingCapacity: true) }
            slotByToken[IdentityToken(raw: token)] = slot
        }
        return slot
    }

    mutating func insert(_ state: ContainerState) -> Int32 {
        let slot: Int32
        if let free = freeSlots.popLast() {
            slot = free
            states[Int(slot)] = state
        } else {
            slot = Int32(states.count)
            states.append(state)
        }
        slotByKey[state.key] = slot
        return slot
    }

    // MARK: acks and housekeeping

    /// The acknowledgement for every known collector epoch (without the back-pressure flag: see ``isBackpressured``).
    package func acks() -> [(LedgerKey, Ack)] {
        ledgers.map { key, ledger in (key, ack(key, ledger)) }
    }

    /// The acknowledgement for one collector epoch; nil when no frame of it arrived yet.
    package func ack(for key: LedgerKey) -> Ack? {
        ledgers[key].map { ack(key, $0) }
    }

    private func ack(_ key: LedgerKey, _ ledger: CollectorLedger) -> Ack {
        Ack(
            epoch: key.epoch, ackedThrough: ledger.ackedThrough, nextExpected: ledger.nextExpected,
            retransmitAfterMs: UInt64(configuration.retransmitAfterMs))
    }

    /// Forgets collectors and containers not heard from for `retainMs` (containers only when nothing of theirs is
    /// waiting for delivery).
    package mutating func retire(now: Int64) {
        let horizon = now - configuration.retainMs
        for (key, info) in collectors where info.lastSeenMs < horizon {
            collectors[key] = nil
            ledgers[key] = nil
            slotHints[key] = nil
        }
        let delivered = deliveredThrough ?? .min
        for i in states.indices where !states[i].isVacant {
            guard states[i].lastActivityMs < horizon, states[i].openStarts.isEmpty, states[i].lastDataPeriod <= delivered else { continue }
            slotByKey[states[i].key] = nil
            states[i] = .vacant
            freeSlots.append(Int32(i))
        }
    }
}

extension StatsSample {
    /// Number of individual values in the sample (what "samples/s" counts in benchmarks).
    package var valueCount: Int {
        (cpu != nil ? 8 : 0) + (memory != nil ? (memory!.oomKills != nil ? 6 : 5) : 0) + (pids != nil ? 1 : 0)
            + (blockIO != nil ? 4 : 0) + networks.count * 8
    }
}
