import ContainerMetrics
import WireFormat

/// Periods closing and being delivered: when the oldest open period is due, each container's data in it is taken
/// out as a ``ClosedPeriod``; once submitted, the delivered watermarks advance by its marks. Split from HubCore.swift
/// (the ingest path); the storage both work on is internal to the module for that reason only.
extension HubCore {
    /// Closes every period whose end + grace has passed (none during the startup grace). Returns how many closed;
    /// they are in ``pending``, oldest first.
    @discardableResult
    @_spi(Benchmarks) public mutating func closeDuePeriods(now: Int64) -> Int {
        guard now - startedAtMs >= configuration.startupGraceMs else { return 0 }
        let p = configuration.periodMs
        // The latest period whose end + grace has passed (while recovering, and whose end every collector of the
        // replay has passed).
        var latestDue = configuration.period(ofMs: now - configuration.graceMs) - p
        if isRecovering(now: now), let slowest = recovering.values.min() {
            // A collector with nothing applied yet holds every period.
            guard slowest != .min else { return 0 }
            latestDue = min(latestDue, configuration.period(ofMs: slowest) - p)
        }
        if let closed = closedThrough, latestDue <= closed { return 0 }
        var n = 0
        while let start = openStarts.first, start <= latestDue {
            pending.append(takeOpen(start))
            n += 1
        }
        closedThrough = max(closedThrough ?? latestDue, latestDue)
        if n == 0 { advanceLedgers() }
        return n
    }

    /// When ``closeDuePeriods(now:)`` will next close something (or end the startup grace): the end of the next
    /// period after the latest one due, plus the grace. The period closer sleeps until then instead of polling.
    package func nextCloseDue(now: Int64) -> Int64 {
        let graceEnds = startedAtMs + configuration.startupGraceMs
        if now < graceEnds { return graceEnds }
        // Recovery ends when frames arrive; look again every second until then (at most ``recoveryLimitMs``).
        if isRecovering(now: now) { return min(now + 1_000, startedAtMs + configuration.recoveryLimitMs) }
        // `latestDue` grows when `now - grace` crosses the next period boundary.
        return configuration.period(ofMs: now - configuration.graceMs) + configuration.periodMs + configuration.graceMs
    }

    /// Closes every open period now, also the current one (graceful shutdown: flush what the hub holds). Data for
    /// them that arrives after a restart is late: its counters go to the next open period, so nothing is lost.
    @_spi(Benchmarks) public mutating func closeAll() {
        while let start = openStarts.first {
            pending.append(takeOpen(start))
            closedThrough = max(closedThrough ?? start, start)
        }
    }

    /// Removes the oldest open period, `start`, from every container that has data in it (its first open period)
    /// and from the engines' state counts.
    mutating func takeOpen(_ start: Int64) -> ClosedPeriod {
        openStarts.removeFirst()
        var out: [ContainerPeriod] = []
        // Room for every live container up front: growing it copied each ~1 KB period again per doubling.
        out.reserveCapacity(slotByKey.count)
        for i in states.indices where states[i].openStarts.first == start {
            // Its live sample is the last that landed in this period (``markLastSample``).
            if states[i].liveStatsPeriod == start, states[i].liveStatsTime != nil {
                markLastSample(states[i].liveStats, startedAt: states[i].liveMarks.startedAt, period: start, i)
            }
            states[i].openStarts.removeFirst()
            out.append(states[i].openData.removeFirstByMoving())
            // The storage stays for the container's next period (allocating it again per period and container showed
            // in the ingest profile); ``retire(now:)`` releases it with the container.
        }
        let hosts = (openHosts.removeValue(forKey: start) ?? [:]).values.sorted { ($0.cluster, $0.host) < ($1.cluster, $1.host) }
        return ClosedPeriod(start: start, containers: out, hosts: hosts)
    }

    /// Part of the oldest closed period — these containers' measurements — has been submitted completely: their
    /// watermarks advance now, so that what a restart replays of them is recognised. Returns their records for the
    /// progress journal.
    package mutating func delivered(periodStart: Int64, containers: some Collection<ContainerPeriod>) -> [HubStateFile.Container] {
        let records = deliveryRecords(containers)
        advanceDelivered(containers)
        return records
    }

    /// Advances the delivered watermarks of these periods' containers by their marks.
    mutating func advanceDelivered(_ containers: some Collection<ContainerPeriod>) {
        Self.forEachSlotAndMarks(containers) { slot, marks in advanceDelivered(slot, to: marks) }
    }

    /// Each period's slot and marks, read in place: `for c in containers` copied (retained and released) every
    /// string and array of each ~1 KB period, and so did `containers[k].slot` (an array's subscript returns a copy
    /// of the element).
    @inline(__always)
    static func forEachSlotAndMarks(_ containers: some Collection<ContainerPeriod>, _ body: (Int32, Watermarks) -> Void) {
        let inPlace: Void? = containers.withContiguousStorageIfAvailable { periods in
            for k in periods.indices { body(periods[k].slot, periods[k].marks) }
        }
        if inPlace == nil {
            for k in containers.indices { body(containers[k].slot, containers[k].marks) }
        }
    }

    /// The progress journal's records for these containers of the oldest closed period once delivered: their
    /// delivered watermarks advanced by the period's (``delivered(periodStart:containers:)`` makes it so).
    package func deliveryRecords(_ containers: some Collection<ContainerPeriod>) -> [HubStateFile.Container] {
        var records: [HubStateFile.Container] = []
        records.reserveCapacity(containers.count)
        Self.forEachSlotAndMarks(containers) { slot, periodMarks in
            guard states.indices.contains(Int(slot)) else { return }
            let i = Int(slot)
            var marks = states[i].delivered
            marks.advance(to: periodMarks)
            records.append(HubStateFile.Container(key: states[i].key, name: states[i].identity.name, image: states[i].identity.image, host: states[i].host, watermarks: marks))
        }
        return records
    }

    /// The start of the oldest closed period, waiting to be submitted (HubBench delivers it at once).
    @_spi(Benchmarks) public var oldestPendingStart: Int64? { pending.first?.start }

    /// The oldest closed period has been submitted completely (accepted, rejected as invalid, or too old).
    @_spi(Benchmarks) public mutating func delivered(periodStart: Int64) {
        guard let head = pending.first, head.start == periodStart else { return }
        pending.removeFirst()
        counters[.periodsDelivered] += 1
        // What the period's data moved is now in Librato: it becomes what a restarted hub resumes from.
        advanceDelivered(head.containers)
        advanceLedgers()
    }

    mutating func advanceDelivered(_ slot: Int32, to marks: Watermarks) {
        guard states.indices.contains(Int(slot)) else { return }
        states[Int(slot)].delivered.advance(to: marks)
    }

    mutating func advanceLedgers() {
        let through = deliveredThrough
        for key in ledgers.keys {
            ledgers[key]!.advance(deliveredThrough: through)
            collectors[key]?.ackedThrough = ledgers[key]!.ackedThrough
        }
    }

    /// Records the outcome of a submission in the counters.
    package mutating func record(
        accepted: Int, invalid: Int, tooOld: Int, requests: [Int: Int], annotations: Int = 0, deferred: Int = 0, rateLimited: Int = 0
    ) {
        counters[.measurementsDeferred] += deferred
        counters[.measurementsRateLimited] += rateLimited
        counters[.measurementsAccepted] += accepted
        counters[.measurementsInvalid] += invalid
        counters[.measurementsTooOld] += tooOld
        counters.librato.merge(requests, uniquingKeysWith: +)
        counters[.annotationsSent] += annotations
    }
}

extension Array {
    /// `removeFirst()` by moving: the standard library's copies the element (a retain of each of its references) and
    /// then destroys the original (a release of each); for a closing ``ContainerPeriod`` those references were cold,
    /// a cache miss each (3 % of the ingest profile). Rotates the first element to the end by moves and takes it
    /// off with `removeLast()`, which moves too. (Not `swapAt`: Array's is the generic one, which copies.)
    mutating func removeFirstByMoving() -> Element {
        withUnsafeMutableBufferPointer { b in
            guard let base = b.baseAddress, b.count > 1 else { return }
            let first = base.move()
            base.moveInitialize(from: base + 1, count: b.count - 1)
            (base + b.count - 1).initialize(to: first)
        }
        return removeLast()
    }
}
