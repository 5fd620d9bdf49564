import ContainerMetrics
import WireFormat

/// How each kind of record lands in a container's open period: stats (ownership, staleness, deltas against the last
/// accepted sample), log buckets and events (at most once, by watermark), container states and each engine's counts
/// by state (the latest of a period). Data for a closed period goes to the oldest open one (counters) or is counted
/// late (gauges, states). Split from HubCore.swift, which resolves a frame's containers and calls these.
extension HubCore {
    func isLate(_ period: Int64) -> Bool { closedThrough.map { period <= $0 } ?? false }

    /// The period data at `period` lands in: its own, or the oldest open one when its own is closed.
    func effective(_ period: Int64) -> Int64 {
        guard let closed = closedThrough, period <= closed else { return period }
        return closed + configuration.periodMs
    }

    /// Runs `body` on the container's data in open period `period` (created when missing), then records that its
    /// data landed there.
    mutating func withPeriod(_ period: Int64, _ i: Int, _ body: (inout ContainerPeriod) -> Void) {
        body(&states[i].openData[openPeriod(period, i)])
    }

    /// The index in `states[i].openData` of the container's data in open period `period` (created when missing),
    /// after recording that its data lands there. For the per-sample path, which folds into it directly: through
    /// ``withPeriod(_:_:_:)``'s closure the samples it captured were copied.
    mutating func openPeriod(_ period: Int64, _ i: Int) -> Int {
        if period > states[i].lastDataPeriod { states[i].lastDataPeriod = period }
        // The latest open period first: samples arrive in time order.
        var j = states[i].openStarts.count - 1
        while j >= 0, states[i].openStarts[j] != period { j -= 1 }
        if j >= 0 { return j }
        // Field by field: `let s = states[i]` would copy (retain and release) the whole state.
        var data = ContainerPeriod(
            identity: states[i].identity, cluster: states[i].key.engine.cluster, host: states[i].host,
            engineID: states[i].key.engine.engineID)
        data.slot = Int32(i)
        markOpen(period)
        // Appended when it is the latest (the usual case): inserting in the middle moves the later periods.
        if let last = states[i].openStarts.last, last > period {
            let at = states[i].openStarts.firstIndex { $0 > period }!
            states[i].openStarts.insert(period, at: at)
            states[i].openData.insert(data, at: at)
            return at
        }
        states[i].openStarts.append(period)
        states[i].openData.append(data)
        return states[i].openData.count - 1
    }

    /// `sample` was the last stats sample to land in `period`: its marks carry it, so that delivering the period
    /// moves the container's delivered watermarks to it. Nothing when `period` is no longer open for the container
    /// (``HubCore/takeOpen(_:)`` marked it from the live sample as it closed).
    mutating func markLastSample(_ sample: StatsSample, startedAt: Int64, period: Int64, _ i: Int) {
        guard let j = states[i].openStarts.firstIndex(of: period) else { return }
        states[i].openData[j].marks.stats = sample
        states[i].openData[j].marks.startedAt = startedAt
    }

    /// Records that `period` holds data.
    mutating func markOpen(_ period: Int64) {
        if let k = openStarts.firstIndex(where: { $0 >= period }) {
            if openStarts[k] != period { openStarts.insert(period, at: k) }
        } else {
            openStarts.append(period)
        }
    }

    /// A record dropped because another collector's copy was taken: the frame carrying it stays unacknowledged until
    /// the period the taken copy landed in is delivered. Otherwise a collector that dies with the taken copy still
    /// unacknowledged would take it with it, while the copy that survives was already acknowledged and freed.
    func heldFor(_ ms: Int64) -> Int64 { effective(configuration.period(ofMs: ms)) }

    mutating func applyStats(_ sample: consuming StatsSample, to i: Int, from collector: CollectorID) -> Int64? {
        let lastTime = states[i].liveStatsTime
        if let owner = states[i].owner, owner != collector {
            guard let lastTime, sample.time - lastTime > configuration.takeoverAfterMs else {
                counters[.samplesNotOwner] += 1
                return heldFor(sample.time)
            }
            counters[.takeovers] += 1
        }
        states[i].owner = collector
        if let lastTime, sample.time <= lastTime {
            counters[.samplesStale] += 1
            return heldFor(sample.time)
        }
        let startedAt = states[i].startedAt
        let liveStartedAt = states[i].liveMarks.startedAt
        let restarted = lastTime != nil && startedAt != 0 && liveStartedAt != 0 && startedAt != liveStartedAt
        let period = configuration.period(ofMs: sample.time)
        let target = effective(period)
        let late = isLate(period)
        // Straight into the period, value by value (no interval built and taken apart); a late sample's gauges
        // belong to a closed period and are dropped, its counter deltas count.
        let j = openPeriod(target, i)
        if lastTime != nil {
            states[i].foldLive(sample, restarted: restarted, gauges: !late, into: j)
        } else {
            StatsInterval.fold(
                zeroBaseline(startedAt: startedAt, sampleTime: sample.time), sample, restarted: restarted, gauges: !late,
                into: &states[i].openData[j])
        }
        let values = sample.valueCount
        // The sample it replaces goes to its period's marks when this one lands in a later period (or when that
        // period closes: ``takeOpen``).
        states[i].replaceLiveStats(with: sample, startedAt: startedAt, period: target)
        if late { counters[.lateGaugeSamples] += 1 }
        counters[.samplesApplied] += 1
        counters[.valuesApplied] += values
        return target
    }

    /// A container first seen within `takeoverAfter` of its start: its counters began at zero at start, so the first
    /// sample's values are all new. Otherwise nil (no deltas until a second sample).
    func zeroBaseline(startedAt: Int64, sampleTime: Int64) -> StatsSample? {
        guard startedAt > 0 else { return nil }
        let startedMs = startedAt / 1_000_000
        guard startedMs < sampleTime, sampleTime - startedMs <= configuration.takeoverAfterMs else { return nil }
        return StatsSample(time: startedMs, blockIO: StatsSample.BlockIO(readBytes: 0, writeBytes: 0, readOps: 0, writeOps: 0))
    }

    mutating func applyLogs(_ bucket: LogBucket, to i: Int) -> Int64? {
        guard bucket.second > states[i].liveMarks[bucket.stream] else {
            counters[.bucketsDuplicate] += 1
            return heldFor(bucket.second &* 1000)
        }
        let period = configuration.period(ofMs: bucket.second &* 1000)
        let target = effective(period)
        if isLate(period) { counters[.lateBuckets] += 1 }
        withPeriod(target, i) { p in
            p.add(bucket)
            p.marks[bucket.stream] = max(p.marks[bucket.stream], bucket.second)
        }
        states[i].liveMarks[bucket.stream] = bucket.second
        counters[.bucketsApplied] += 1
        counters[.logLinesApplied] &+= Int(truncatingIfNeeded: bucket.lines)
        return target
    }

    mutating func applyEvent(_ event: LifecycleEvent, to i: Int) -> Int64? {
        guard event.timeNano > states[i].liveMarks.event else {
            counters[.eventsDuplicate] += 1
            return heldFor(event.timeNano / 1_000_000)
        }
        let period = configuration.period(ofMs: event.timeNano / 1_000_000)
        let target = effective(period)
        if isLate(period) { counters[.lateEvents] += 1 }
        withPeriod(target, i) { p in
            p.events.append(event)
            p.marks.event = max(p.marks.event, event.timeNano)
        }
        states[i].liveMarks.event = event.timeNano
        counters[.eventsApplied] += 1
        return target
    }

    /// A container's state: the latest of its period is posted (a gauge: a state for a closed period is dropped).
    mutating func applyStatus(_ status: ContainerStatus, to i: Int) -> Int64? {
        let period = configuration.period(ofMs: status.time)
        guard !isLate(period) else {
            counters[.lateStates] += 1
            return nil
        }
        withPeriod(period, i) { p in
            if (p.status?.time ?? .min) <= status.time { p.status = status }
        }
        counters[.statesApplied] += 1
        return period
    }

    /// An engine's containers counted by state: the latest of its period is posted, whichever of the engine's
    /// collectors sent it (two collectors on one engine count the same containers once).
    mutating func applyHostStates(_ states: HostStates, engine: EngineKey, host: String) -> Int64? {
        let period = configuration.period(ofMs: states.time)
        guard !isLate(period) else {
            counters[.lateStates] += 1
            return nil
        }
        if let existing = openHosts[period]?[engine], existing.states.time > states.time { return period }
        openHosts[period, default: [:]][engine] = HostPeriod(cluster: engine.cluster, host: host, states: states)
        markOpen(period)
        counters[.statesApplied] += 1
        return period
    }
}
