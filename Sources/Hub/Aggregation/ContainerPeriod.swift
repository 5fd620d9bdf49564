import ContainerMetrics

/// Everything one container did in one period, as accumulated from samples, log buckets and events.
package struct ContainerPeriod: Sendable {
    package var identity: ContainerIdentity
    package var cluster: String
    package var host: String
    package var engineID: String
    /// Indexed by ``ContainerGauge`` and ``ContainerCounter``. Inline, not arrays: an array element's update checks
    /// the buffer's uniqueness (a runtime call) and 25 of them per sample showed in the ingest profile.
    package internal(set) var gauges: [10 of GaugeStat]
    package private(set) var counters: [19 of Double]
    /// Which counters received at least one delta (a counter never reported is not posted as zero).
    package private(set) var countersSeen: UInt64 = 0
    /// Per-interface network deltas (rx/tx bytes, packets, errors, dropped), one entry per interface in the order
    /// first seen. An array searched in place: containers have one to a few interfaces, and hashing the name for a
    /// dictionary cost more per sample than comparing it.
    package var interfaces: [StatsSample.NetworkCounters] = []
    /// l2met aggregates by (kind, name, unit).
    package var l2met: [L2metKey: L2metAggregate] = [:]
    /// Lifecycle events, in the order applied.
    package var events: [LifecycleEvent] = []
    /// The latest state reported in the period (`docker inspect`'s State, health, restart count).
    package var status: ContainerStatus?
    /// Stats samples that contributed.
    package var samples = 0
    /// The container's slot in the hub (stable while any of its periods is undelivered).
    var slot: Int32 = -1
    /// How far this period's data moved the container's watermarks: folded into its delivered watermarks when the
    /// period is delivered.
    var marks = Watermarks()

    package init(identity: ContainerIdentity, cluster: String, host: String, engineID: String) {
        self.identity = identity
        self.cluster = cluster
        self.host = host
        self.engineID = engineID
        self.gauges = .init(repeating: GaugeStat())
        self.counters = .init(repeating: 0)
    }

    package subscript(gauge: ContainerGauge) -> GaugeStat { gauges[gauge.rawValue] }
    package subscript(counter: ContainerCounter) -> Double? {
        countersSeen & (1 << UInt64(counter.rawValue)) != 0 ? counters[counter.rawValue] : nil
    }

    @inline(__always)
    mutating func add(_ gauge: ContainerGauge, _ value: Double?) {
        guard let value, value.isFinite else { return }
        gauges[gauge.rawValue].add(value)
    }

    @inline(__always)
    mutating func add(_ counter: ContainerCounter, _ value: Double?) {
        guard let value, value.isFinite else { return }
        counters[counter.rawValue] += value
        countersSeen |= 1 << UInt64(counter.rawValue)
    }

    /// Adds one interface's delta.
    @inline(__always)
    mutating func addInterface(_ d: StatsSample.NetworkCounters) {
        var j = 0
        while j < interfaces.count, interfaces[j].interface != d.interface { j += 1 }
        if j < interfaces.count { interfaces[j].add(d) } else { interfaces.append(d) }
    }

    /// Adds a log bucket (lines, bytes, l2met).
    mutating func add(_ bucket: LogBucket) {
        switch bucket.stream {
        case .stdout:
            add(.stdoutLines, Double(bucket.lines))
            add(.stdoutBytes, Double(bucket.bytes))
        case .stderr:
            add(.stderrLines, Double(bucket.lines))
            add(.stderrBytes, Double(bucket.bytes))
        }
        for m in bucket.measurements {
            let key = L2metKey(kind: m.kind, name: m.name, unit: m.unit)
            if var existing = l2met[key] {
                existing.merge(m)
                l2met[key] = existing
            } else {
                l2met[key] = m
            }
        }
    }

    /// Total log lines of both streams (nil when no log bucket arrived).
    package var logLines: Double? {
        let a = self[.stdoutLines]
        let b = self[.stderrLines]
        if a == nil && b == nil { return nil }
        return (a ?? 0) + (b ?? 0)
    }
}

/// A stats interval lands in a period value by value (``StatsInterval/fold(_:_:restarted:gauges:into:)``): gauges
/// as one more sample of each, counter deltas summed. A value that is not finite is skipped. (`package` only because
/// the protocol is public: the hub's own path is the one caller.)
extension ContainerPeriod: StatsIntervalSink {
    package mutating func sampleGauges() { samples += 1 }

    package mutating func memory(usage: Double, used: Double, rss: Double, cache: Double, limit: Double, percent: Double) {
        add(.memoryUsage, usage)
        add(.memoryUsed, used)
        add(.memoryRSS, rss)
        add(.memoryCache, cache)
        add(.memoryLimit, limit)
        add(.memoryPercent, percent)
    }

    package mutating func pids(_ pids: Double) { add(.pids, pids) }
    package mutating func duration(ms: Int64) {}

    package mutating func cpu(percent: Double, user: Double, kernel: Double) {
        add(.cpuPercent, percent)
        add(.cpuUserPercent, user)
        add(.cpuKernelPercent, kernel)
    }

    package mutating func throttling(periods: UInt64, ns: UInt64) {
        // `Double(x)`, never `.map(Double.init)` on a UInt64 optional: that picks `Double(bitPattern:)`, and 250
        // throttled periods became 1.2e-321 (posted as 0).
        add(.cpuThrottledPeriods, Double(periods))
        add(.cpuThrottledSeconds, Double(ns) / 1e9)
    }

    package mutating func oomKills(_ delta: UInt64) { add(.memoryOOMKills, Double(delta)) }

    package mutating func blockIO(_ b: StatsSample.BlockIO) {
        add(.blkioReadBytes, Double(b.readBytes))
        add(.blkioWriteBytes, Double(b.writeBytes))
        add(.blkioReadOps, Double(b.readOps))
        add(.blkioWriteOps, Double(b.writeOps))
    }

    package mutating func interface(_ delta: StatsSample.NetworkCounters) { addInterface(delta) }

    package mutating func networkTotal(_ n: StatsSample.NetworkCounters) {
        add(.netRxBytes, Double(n.rxBytes))
        add(.netRxPackets, Double(n.rxPackets))
        add(.netRxErrors, Double(n.rxErrors))
        add(.netRxDropped, Double(n.rxDropped))
        add(.netTxBytes, Double(n.txBytes))
        add(.netTxPackets, Double(n.txPackets))
        add(.netTxErrors, Double(n.txErrors))
        add(.netTxDropped, Double(n.txDropped))
    }
}

/// Identity of an l2met metric within a container.
package struct L2metKey: Hashable, Sendable {
    package var kind: L2metToken.Kind
    package var name: String
    package var unit: String
}

/// One engine's containers counted by state in a period: the latest count reported (by any of its collectors).
package struct HostPeriod: Sendable, Equatable {
    package var cluster: String
    package var host: String
    package var states: HostStates
}

/// A period whose data is final, waiting to be submitted.
package struct ClosedPeriod: Sendable {
    /// Period start, Unix milliseconds.
    package var start: Int64
    package var containers: [ContainerPeriod]
    /// Per engine, sorted by cluster and host.
    package var hosts: [HostPeriod] = []
}

extension ContainerPeriod {
    /// The part of a period each stats sample writes (gauges through the sample count), for ``HubCore``'s prefetch
    /// hints.
    static let hotStart = MemoryLayout<ContainerPeriod>.offset(of: \.gauges)!
    static let hotBytes = MemoryLayout<ContainerPeriod>.offset(of: \.samples)! + 8 - hotStart
    static let interfacesOffset = MemoryLayout<ContainerPeriod>.offset(of: \.interfaces)!
}
