import ContainerMetrics
import WireFormat

/// What a restarted hub resumes from: the state file it writes after each delivered period, the progress journal of
/// a period it was delivering, and the rule that closes periods by the replay's progress until every collector
/// alive at the crash has caught up. See docs/ARCHITECTURE.md, "Delivery protocol".
extension HubCore {
    /// Whether periods close by the replay's progress rather than by the clock alone. A restarted hub gets every
    /// unacknowledged frame again; at fleet scale that replay takes longer than the startup grace (reconnecting alone
    /// can), and it keeps ingest busy well past the restart, so a period closed by the clock would drop the gauges of
    /// data still on its way as late. So after a restart a period closes only once every collector that the state
    /// file shows alive when it was written (heard from within two periods of the latest one heard from) has applied
    /// a frame built after the period's end — until each has passed the end of the period the hub restarted in, and
    /// never later than ``HubConfiguration/recoveryLimitMs`` after the start (a collector that died with the hub).
    /// Collectors long silent before the crash are not waited for.
    package func isRecovering(now: Int64) -> Bool {
        now - startedAtMs < configuration.recoveryLimitMs && !recovering.isEmpty
    }

    /// A frame of a collector the replay waits for, built at `sendTime`, was applied (frames apply in sequence
    /// order: everything it built before is in). It leaves the wait once past the end of the period the hub restarted
    /// in (later periods close as usual).
    mutating func recoveryProgress(_ id: CollectorID, _ seen: Int64, _ sendTime: Int64) {
        let restartPeriodEnd = configuration.period(ofMs: startedAtMs) + configuration.periodMs
        if sendTime >= restartPeriodEnd {
            recovering[id] = nil
        } else if sendTime > seen {
            recovering[id] = sendTime
        }
    }

    // MARK: state file

    /// What must survive a restart: delivered-through, each ledger's ack, each container's delivered watermarks.
    package func stateFile() -> HubStateFile {
        HubStateFile(
            deliveredThrough: deliveredThrough,
            ledgers: ledgers.map { HubStateFile.Ledger(key: $0.key, ackedThrough: $0.value.ackedThrough, lastSeenMs: collectors[$0.key]?.lastSeenMs) }
                .sorted { ($0.key.collector, $0.key.epoch) < ($1.key.collector, $1.key.epoch) },
            containers: containersForStateFile())
    }

    /// Each live container's entry, in (engine, id) order. Read in place: copying each `ContainerState` (its open
    /// periods included) to filter it, then sorting tuples of strings, was 3 % of the hub's CPU at 100 k containers
    /// (written once per period).
    private func containersForStateFile() -> [HubStateFile.Container] {
        var out: [HubStateFile.Container] = []
        out.reserveCapacity(slotByKey.count)
        for i in states.indices where !states[i].isVacant {
            out.append(
                HubStateFile.Container(
                    key: states[i].key, name: states[i].identity.name, image: states[i].identity.image, host: states[i].host,
                    watermarks: states[i].delivered))
        }
        out.sort { a, b in
            a.key.engine.engineID != b.key.engine.engineID ? a.key.engine.engineID < b.key.engine.engineID : a.key.id < b.key.id
        }
        return out
    }

    mutating func restore(_ state: HubStateFile, now: Int64) {
        closedThrough = state.deliveredThrough
        for l in state.ledgers {
            ledgers[l.key] = CollectorLedger(startingAfter: l.ackedThrough, window: configuration.reorderWindow)
        }
        for c in state.containers { restore(c, now: now) }
        // Files before version 3 do not say when each collector was last heard from: wait for all of them.
        let horizon = state.ledgers.compactMap(\.lastSeenMs).max().map { $0 - 2 * configuration.periodMs } ?? .min
        let alive = state.ledgers.filter { ($0.lastSeenMs ?? .max) >= horizon }
        recovering = Dictionary(alive.map { ($0.key.collector, Int64.min) }, uniquingKeysWith: { a, _ in a })
    }

    mutating func restore(_ c: HubStateFile.Container, now: Int64) {
        if let slot = slotByKey[c.key] {
            states[Int(slot)].live.advance(to: c.watermarks)
            states[Int(slot)].delivered.advance(to: c.watermarks)
            return
        }
        var identity = ContainerIdentity(id: c.key.id, name: c.name, image: c.image, startedAt: c.watermarks.startedAt)
        identity.labels = [:]
        var s = ContainerState(key: c.key, identity: identity, host: c.host, now: now)
        s.live = c.watermarks
        s.delivered = c.watermarks
        _ = insert(s)
    }

    /// What a previous run delivered of the period after the state file's (a journal of another period is stale:
    /// the state file already covers it, or it was never reached).
    mutating func restore(_ progress: DeliveryProgress, now: Int64) {
        let next = closedThrough.map { $0 + configuration.periodMs }
        guard next == nil || next == progress.periodStart else { return }
        for c in progress.containers { restore(c, now: now) }
        if progress.head != HeadProgress() { headDelivered = (progress.periodStart, progress.head) }
        restoredProgressPeriod = progress.periodStart
    }
}
