/// What a container did between two ``StatsSample``s: the numbers operators compare with `docker stats`.
///
/// Formulas are the docker CLI's (`cli/command/container/stats_helpers.go`):
/// - CPU % = Δcontainer CPU / Δhost CPU × online CPUs × 100 (100 = one core);
/// - memory used = usage − inactive file cache (v1 `total_inactive_file`, v2 `inactive_file`), % of the limit;
/// - block I/O and network are summed over devices/interfaces, network also kept per interface.
///
/// Counters never go backwards here: when the container restarted between the samples (its start time changed) or
/// a counter is lower than before, the counter is taken to have restarted from zero, so the delta is the new value
/// — never negative, never a spike.
public struct StatsInterval: Equatable, Sendable {
    /// Length of the interval in milliseconds (0 for a gauge-only interval without a previous sample).
    public var durationMs: Int64

    // Gauges: the state at the end of the interval.
    /// `memory_stats.usage` as reported (what the original docker-librato posted as `memory_usage`).
    public var memoryUsage: Double?
    public var memoryUsed: Double?
    public var memoryRSS: Double?
    public var memoryCache: Double?
    public var memoryLimit: Double?
    public var memoryPercent: Double?
    public var pids: Double?

    // Rates over the interval.
    public var cpuPercent: Double?
    public var cpuUserPercent: Double?
    public var cpuKernelPercent: Double?

    // Deltas over the interval.
    public var throttledPeriods: UInt64?
    public var throttledNs: UInt64?
    public var oomKills: UInt64?
    public var blockIO: StatsSample.BlockIO?
    /// Per-interface deltas, in the order of the current sample.
    public var networks: [StatsSample.NetworkCounters]
    /// Sum of `networks`, nil when there was no network data.
    public var networkTotal: StatsSample.NetworkCounters?

    public init(durationMs: Int64 = 0) {
        self.durationMs = durationMs
        self.networks = []
    }

    /// Derives the interval from `previous` to `current`.
    /// - Parameters:
    ///   - previous: the last sample accepted for this container, or nil (then only gauges are produced).
    ///   - restarted: the container restarted between the two samples; counters restarted from zero.
    @inlinable
    public static func between(_ previous: StatsSample?, _ current: StatsSample, restarted: Bool = false) -> StatsInterval {
        var networks: [StatsSample.NetworkCounters] = []
        var result = between(previous, current, restarted: restarted) { networks.append($0) }
        result.networks = networks
        return result
    }

    /// ``between(_:_:restarted:)`` without ``networks``: each interface's delta goes to `eachInterface` instead (the
    /// hub adds them straight into the period, without an array per sample), in the order of `current`; an
    /// interface the previous sample did not have started from zero (attached during the interval).
    /// ``networkTotal`` is their sum, taken in the same pass.
    @inlinable  // inlined into the hub's per-sample path, where the interval is taken apart at once
    public static func between(
        _ previous: StatsSample?, _ current: StatsSample, restarted: Bool, eachInterface: (StatsSample.NetworkCounters) -> Void
    ) -> StatsInterval {
        var result = StatsInterval()
        if let memory = current.memory {
            let used = memoryUsedNoCache(memory)
            result.memoryUsage = Double(memory.usage)
            result.memoryUsed = used
            result.memoryRSS = Double(memory.rss)
            result.memoryCache = Double(memory.cache)
            result.memoryLimit = Double(memory.limit)
            result.memoryPercent = memory.limit == 0 ? 0 : used / Double(memory.limit) * 100
        }
        if let pids = current.pids { result.pids = Double(pids) }
        guard let previous, previous.time < current.time else { return result }
        result.durationMs = current.time - previous.time

        if let cur = current.cpu, let prev = previous.cpu {
            let systemDelta = cur.systemNs > prev.systemNs ? Double(cur.systemNs - prev.systemNs) : 0
            let cpus = Double(cur.onlineCPUs)
            func percent(_ p: UInt64, _ c: UInt64) -> Double {
                let d = Double(counterDelta(p, c, restarted: restarted))
                guard systemDelta > 0, d > 0 else { return 0 }
                return d / systemDelta * cpus * 100
            }
            result.cpuPercent = percent(prev.totalNs, cur.totalNs)
            result.cpuUserPercent = percent(prev.userNs, cur.userNs)
            result.cpuKernelPercent = percent(prev.kernelNs, cur.kernelNs)
            result.throttledPeriods = counterDelta(prev.throttledPeriods, cur.throttledPeriods, restarted: restarted)
            result.throttledNs = counterDelta(prev.throttledNs, cur.throttledNs, restarted: restarted)
        }
        if let cur = current.memory?.oomKills {
            result.oomKills = counterDelta(previous.memory?.oomKills ?? 0, cur, restarted: restarted || previous.memory?.oomKills == nil)
        }
        if let cur = current.blockIO, let prev = previous.blockIO {
            result.blockIO = StatsSample.BlockIO(
                readBytes: counterDelta(prev.readBytes, cur.readBytes, restarted: restarted),
                writeBytes: counterDelta(prev.writeBytes, cur.writeBytes, restarted: restarted),
                readOps: counterDelta(prev.readOps, cur.readOps, restarted: restarted),
                writeOps: counterDelta(prev.writeOps, cur.writeOps, restarted: restarted))
        }
        if !current.networks.isEmpty {
            var total = StatsSample.NetworkCounters(interface: "total")
            forEachNetworkDelta(previous, current, restarted: restarted) { d in
                eachInterface(d)
                total.add(d)
            }
            result.networkTotal = total
        }
        return result
    }

    /// Each interface's delta from `previous` to `current`, in the order of `current` (an interface the previous
    /// sample did not have started from zero: attached during the interval). Only meaningful when `previous` is
    /// earlier (``between(_:_:restarted:)`` takes no deltas otherwise).
    @inlinable
    public static func forEachNetworkDelta(
        _ previous: StatsSample, _ current: StatsSample, restarted: Bool, _ body: (StatsSample.NetworkCounters) -> Void
    ) {
        for k in current.networks.indices {
            let cur = current.networks[k]
            // Interfaces usually come in the same order: look at the same position first.
            let j =
                k < previous.networks.count && previous.networks[k].interface == cur.interface
                ? k : previous.networks.firstIndex { $0.interface == cur.interface }
            let reset = restarted || j == nil
            let p = j.map { previous.networks[$0] } ?? StatsSample.NetworkCounters(interface: cur.interface)
            body(
                StatsSample.NetworkCounters(
                    interface: cur.interface,
                    rxBytes: counterDelta(p.rxBytes, cur.rxBytes, restarted: reset),
                    rxPackets: counterDelta(p.rxPackets, cur.rxPackets, restarted: reset),
                    rxErrors: counterDelta(p.rxErrors, cur.rxErrors, restarted: reset),
                    rxDropped: counterDelta(p.rxDropped, cur.rxDropped, restarted: reset),
                    txBytes: counterDelta(p.txBytes, cur.txBytes, restarted: reset),
                    txPackets: counterDelta(p.txPackets, cur.txPackets, restarted: reset),
                    txErrors: counterDelta(p.txErrors, cur.txErrors, restarted: reset),
                    txDropped: counterDelta(p.txDropped, cur.txDropped, restarted: reset)))
        }
    }

    /// The docker CLI's "memory used": usage minus inactive file cache when that is smaller than usage.
    @inlinable
    public static func memoryUsedNoCache(_ memory: StatsSample.Memory) -> Double {
        memory.inactiveFile < memory.usage ? Double(memory.usage - memory.inactiveFile) : Double(memory.usage)
    }

    /// Delta of a cumulative counter: `current - previous`, or `current` when the counter restarted (explicitly, or
    /// because it went down).
    @inlinable
    public static func counterDelta(_ previous: UInt64, _ current: UInt64, restarted: Bool) -> UInt64 {
        if restarted || current < previous { return current }
        return current - previous
    }
}

@inlinable
func counterDelta(_ previous: UInt64, _ current: UInt64, restarted: Bool) -> UInt64 {
    StatsInterval.counterDelta(previous, current, restarted: restarted)
}
