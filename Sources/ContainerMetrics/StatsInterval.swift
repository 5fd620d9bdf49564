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
        var result = StatsInterval()
        fold(previous, current, restarted: restarted, gauges: true, into: &result)
        return result
    }

    /// The interval from `previous` to `current`, handed to `sink` value by value as it is derived instead of
    /// gathered into a ``StatsInterval`` (the hub adds each value straight into a container's period: building the
    /// interval first — ten optionals, an array, an interface with a name — and taking it apart again was a tenth of
    /// its per-sample work). The one place the formulas live; ``between(_:_:restarted:)`` is this fold into a
    /// ``StatsInterval``.
    /// - Parameter gauges: false hands over only the counters' deltas (the hub's late samples: their gauges belong
    ///   to a period already closed).
    @inlinable @inline(__always)
    public static func fold(
        _ previous: StatsSample?, _ current: StatsSample, restarted: Bool, gauges: Bool, into sink: inout some StatsIntervalSink
    ) {
        if gauges { foldGauges(current, into: &sink) }
        if let previous { foldDeltas(previous, current, restarted: restarted, gauges: gauges, into: &sink) }
    }

    /// The part of ``fold(_:_:restarted:gauges:into:)`` that needs no previous sample: the gauges `current` reports
    /// (memory, pids) and one more sample of them.
    @inlinable @inline(__always)
    public static func foldGauges(_ current: borrowing StatsSample, into sink: inout some StatsIntervalSink) {
        sink.sampleGauges()
        if let memory = current.memory {
            let used = memoryUsedNoCache(memory)
            sink.memory(
                usage: Double(memory.usage), used: used, rss: Double(memory.rss), cache: Double(memory.cache),
                limit: Double(memory.limit), percent: memory.limit == 0 ? 0 : used / Double(memory.limit) * 100)
        }
        if let pids = current.pids { sink.pids(Double(pids)) }
    }

    /// The part of ``fold(_:_:restarted:gauges:into:)`` taken against `previous`: rates (as gauges, when `gauges`)
    /// and counter deltas; nothing unless `previous` is earlier. Both samples borrowed, and always inlined: the hub
    /// folds against the live sample where it lies in its state, and a call copied it (200 bytes) per sample.
    @inlinable @inline(__always)
    public static func foldDeltas(
        _ previous: borrowing StatsSample, _ current: borrowing StatsSample, restarted: Bool, gauges: Bool,
        into sink: inout some StatsIntervalSink
    ) {
        guard previous.time < current.time else { return }
        sink.duration(ms: current.time - previous.time)

        if let cur = current.cpu, let prev = previous.cpu {
            let systemDelta = cur.systemNs > prev.systemNs ? Double(cur.systemNs - prev.systemNs) : 0
            let cpus = Double(cur.onlineCPUs)
            func percent(_ p: UInt64, _ c: UInt64) -> Double {
                let d = Double(counterDelta(p, c, restarted: restarted))
                guard systemDelta > 0, d > 0 else { return 0 }
                return d / systemDelta * cpus * 100
            }
            if gauges {
                sink.cpu(percent: percent(prev.totalNs, cur.totalNs), user: percent(prev.userNs, cur.userNs), kernel: percent(prev.kernelNs, cur.kernelNs))
            }
            sink.throttling(
                periods: counterDelta(prev.throttledPeriods, cur.throttledPeriods, restarted: restarted),
                ns: counterDelta(prev.throttledNs, cur.throttledNs, restarted: restarted))
        }
        if let cur = current.memory?.oomKills {
            sink.oomKills(counterDelta(previous.memory?.oomKills ?? 0, cur, restarted: restarted || previous.memory?.oomKills == nil))
        }
        if let cur = current.blockIO, let prev = previous.blockIO {
            sink.blockIO(
                StatsSample.BlockIO(
                    readBytes: counterDelta(prev.readBytes, cur.readBytes, restarted: restarted),
                    writeBytes: counterDelta(prev.writeBytes, cur.writeBytes, restarted: restarted),
                    readOps: counterDelta(prev.readOps, cur.readOps, restarted: restarted),
                    writeOps: counterDelta(prev.writeOps, cur.writeOps, restarted: restarted)))
        }
        if !current.networks.isEmpty {
            var total = StatsSample.NetworkCounters(interface: "total")
            forEachNetworkDelta(previous, current, restarted: restarted) { d in
                sink.interface(d)
                total.add(d)
            }
            sink.networkTotal(total)
        }
    }

    /// Each interface's delta from `previous` to `current`, in the order of `current` (an interface the previous
    /// sample did not have started from zero: attached during the interval). Only meaningful when `previous` is
    /// earlier (``fold(_:_:restarted:gauges:into:)`` takes no deltas otherwise).
    @inlinable @inline(__always)
    public static func forEachNetworkDelta(
        _ previous: borrowing StatsSample, _ current: borrowing StatsSample, restarted: Bool, _ body: (StatsSample.NetworkCounters) -> Void
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

/// Receives what ``StatsInterval/fold(_:_:restarted:gauges:into:)`` derives from two samples, each group only when
/// both samples have it (gauges: when the current one has it).
public protocol StatsIntervalSink {
    /// The gauges of one more sample follow (called once per fold with gauges).
    mutating func sampleGauges()
    mutating func memory(usage: Double, used: Double, rss: Double, cache: Double, limit: Double, percent: Double)
    mutating func pids(_ pids: Double)
    /// Length of the interval (only when there is a previous, earlier sample; the deltas below follow).
    mutating func duration(ms: Int64)
    mutating func cpu(percent: Double, user: Double, kernel: Double)
    mutating func throttling(periods: UInt64, ns: UInt64)
    mutating func oomKills(_ delta: UInt64)
    mutating func blockIO(_ delta: StatsSample.BlockIO)
    /// One interface's delta, in the order of the current sample.
    mutating func interface(_ delta: StatsSample.NetworkCounters)
    /// The sum of the interfaces' deltas (after the last ``interface(_:)``).
    mutating func networkTotal(_ total: StatsSample.NetworkCounters)
}

extension StatsInterval: StatsIntervalSink {
    @inlinable public mutating func sampleGauges() {}

    @inlinable
    public mutating func memory(usage: Double, used: Double, rss: Double, cache: Double, limit: Double, percent: Double) {
        memoryUsage = usage
        memoryUsed = used
        memoryRSS = rss
        memoryCache = cache
        memoryLimit = limit
        memoryPercent = percent
    }

    @inlinable public mutating func pids(_ pids: Double) { self.pids = pids }
    @inlinable public mutating func duration(ms: Int64) { durationMs = ms }

    @inlinable
    public mutating func cpu(percent: Double, user: Double, kernel: Double) {
        cpuPercent = percent
        cpuUserPercent = user
        cpuKernelPercent = kernel
    }

    @inlinable
    public mutating func throttling(periods: UInt64, ns: UInt64) {
        throttledPeriods = periods
        throttledNs = ns
    }

    @inlinable public mutating func oomKills(_ delta: UInt64) { oomKills = delta }
    @inlinable public mutating func blockIO(_ delta: StatsSample.BlockIO) { blockIO = delta }
    @inlinable public mutating func interface(_ delta: StatsSample.NetworkCounters) { networks.append(delta) }
    @inlinable public mutating func networkTotal(_ total: StatsSample.NetworkCounters) { networkTotal = total }
}
