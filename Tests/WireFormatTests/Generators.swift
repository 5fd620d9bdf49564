import ContainerMetrics
import DockerLibratoTesting
import WireFormat

/// Random values biased towards extremes: 0, 1, max, boundaries of varint byte lengths.
struct Gen {
    var rng: SeededGenerator

    init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

    mutating func u64() -> UInt64 {
        switch rng.next() % 8 {
        case 0: return 0
        case 1: return UInt64.max
        case 2: return 1 << (rng.next() % 64)
        case 3: return (1 << (7 * (rng.next() % 9 + 1))) &- 1
        default: return rng.next() >> (rng.next() % 64)
        }
    }

    mutating func i64() -> Int64 {
        switch rng.next() % 6 {
        case 0: return Int64.min
        case 1: return Int64.max
        case 2: return 0
        case 3: return -1
        default: return Int64(bitPattern: rng.next() >> (rng.next() % 64))
        }
    }

    mutating func double() -> Double {
        switch rng.next() % 10 {
        case 0: return .infinity
        case 1: return -.infinity
        case 2: return -0.0
        case 3: return .greatestFiniteMagnitude
        case 4: return .leastNonzeroMagnitude
        case 5: return Double(bitPattern: rng.next())  // may be NaN
        default: return Double(Int64(bitPattern: rng.next()) % 1_000_000) / 7
        }
    }

    mutating func bool() -> Bool { rng.next() & 1 == 1 }

    mutating func string(max: Int = 40) -> String {
        let alphabets: [[Character]] = [
            Array("abcdefghijklmnopqrstuvwxyz0123456789-_."),
            Array("äöüßéñ漢字😀🚀 /:\\\"'\n\t"),
            ["\u{0}", "\u{7F}", "\u{FFFD}", "\u{10FFFF}"],
        ]
        let n = Int(rng.next() % UInt64(max + 1))
        var s = ""
        for _ in 0..<n {
            let a = alphabets[Int(rng.next() % UInt64(alphabets.count))]
            s.append(a[Int(rng.next() % UInt64(a.count))])
        }
        return s
    }

    mutating func identity() -> ContainerIdentity {
        var labels: [String: String] = [:]
        for _ in 0..<(rng.next() % 5) { labels[string(max: 20)] = string(max: 60) }
        return ContainerIdentity(
            id: String((0..<64).map { _ in "0123456789abcdef".randomElement(using: &rng)! }), name: string(), image: string(),
            labels: labels, startedAt: i64())
    }

    mutating func stats(container: Int) -> ContainerRecord<StatsSample> {
        var s = StatsSample(time: i64())
        if bool() {
            s.cpu = .init(
                totalNs: u64(), userNs: u64(), kernelNs: u64(), systemNs: u64(), onlineCPUs: UInt32(truncatingIfNeeded: u64()),
                periods: u64(), throttledPeriods: u64(), throttledNs: u64())
        }
        if bool() {
            s.memory = .init(usage: u64(), limit: u64(), rss: u64(), cache: u64(), inactiveFile: u64(), oomKills: bool() ? u64() : nil)
        }
        if bool() { s.pids = u64() }
        if bool() { s.blockIO = .init(readBytes: u64(), writeBytes: u64(), readOps: u64(), writeOps: u64()) }
        for _ in 0..<(rng.next() % 4) {
            s.networks.append(
                .init(
                    interface: string(max: 15), rxBytes: u64(), rxPackets: u64(), rxErrors: u64(), rxDropped: u64(), txBytes: u64(),
                    txPackets: u64(), txErrors: u64(), txDropped: u64()))
        }
        return ContainerRecord(container: container, s)
    }

    mutating func logBucket(container: Int) -> ContainerRecord<LogBucket> {
        var b = LogBucket(stream: bool() ? .stdout : .stderr, second: i64(), lines: u64(), bytes: u64())
        for _ in 0..<(rng.next() % 4) {
            b.measurements.append(
                L2metAggregate(
                    kind: L2metToken.Kind.allCases.randomElement(using: &rng)!, name: string(max: 30), unit: string(max: 5),
                    count: u64(), sum: double(), min: double(), max: double(), sumSquares: double(), last: double()))
        }
        return ContainerRecord(container: container, b)
    }

    mutating func batch() -> Batch {
        var b = Batch()
        let containers = Int(rng.next() % 6)
        for _ in 0..<containers { b.containers.append(identity()) }
        if containers > 0 {
            for _ in 0..<(rng.next() % 8) { b.stats.append(stats(container: Int(rng.next() % UInt64(containers)))) }
            for _ in 0..<(rng.next() % 6) { b.logs.append(logBucket(container: Int(rng.next() % UInt64(containers)))) }
            for _ in 0..<(rng.next() % 4) {
                b.events.append(
                    ContainerRecord(
                        container: Int(rng.next() % UInt64(containers)),
                        LifecycleEvent(
                            timeNano: i64(), action: string(max: 15), detail: string(max: 20),
                            exitCode: bool() ? Int32(truncatingIfNeeded: i64()) : nil)))
            }
            for _ in 0..<(rng.next() % 4) {
                b.statuses.append(
                    ContainerRecord(
                        container: Int(rng.next() % UInt64(containers)),
                        ContainerStatus(
                            time: i64(), state: ContainerStatus.State.allCases.randomElement(using: &rng)!,
                            health: ContainerStatus.Health.allCases.randomElement(using: &rng)!, restartCount: u64(), startedAt: i64(),
                            exitCode: Int32(truncatingIfNeeded: i64()), oomKilled: bool())))
            }
        }
        for _ in 0..<(rng.next() % 2) {
            b.hostStates.append(HostStates(time: i64(), counts: (0..<(rng.next() % 9)).map { _ in u64() }))
        }
        for _ in 0..<(rng.next() % 3) {
            var values: [String: Double] = [:]
            for _ in 0..<(rng.next() % 6) { values[string(max: 20)] = double() }
            b.heartbeats.append(Heartbeat(time: i64(), values: values))
        }
        for _ in 0..<(rng.next() % 3) {
            let first = u64()
            let last = UInt64.max - first < 100 ? first : first + rng.next() % 100
            let lines = bool() ? (first...last).map { _ in u64() } : []
            b.abandoned.append(AbandonedRange(epoch: u64(), first: first, last: last, reason: bool() ? .dropped : .acknowledged, logLines: lines))
        }
        for _ in 0..<(rng.next() % 2) {
            b.acks.append(Ack(epoch: u64(), ackedThrough: u64(), nextExpected: u64(), flags: Ack.Flags(rawValue: u64()), retransmitAfterMs: u64()))
        }
        return b
    }

    mutating func header(sequence: UInt64? = nil) -> FrameHeader {
        FrameHeader(
            kind: bool() ? .data : .control, collectorID: CollectorID(high: rng.next(), low: rng.next()), epoch: u64(),
            sequence: sequence ?? u64(), ackedThrough: u64(), sendTime: i64(), engineID: string(max: 50), cluster: string(max: 50), host: string(max: 50))
    }
}

/// Equality that treats NaN as equal to NaN (the wire format canonicalises NaN, so a decoded NaN is NaN).
func sameBits(_ a: Double, _ b: Double) -> Bool { (a.isNaN && b.isNaN) || a.bitPattern == b.bitPattern }

func equivalent(_ a: Batch, _ b: Batch) -> Bool {
    guard a.containers == b.containers, a.stats == b.stats, a.events == b.events, a.statuses == b.statuses, a.hostStates == b.hostStates,
        a.abandoned == b.abandoned, a.acks == b.acks,
        a.logs.count == b.logs.count, a.heartbeats.count == b.heartbeats.count
    else { return false }
    for (x, y) in zip(a.logs, b.logs) {
        guard x.container == y.container, x.value.stream == y.value.stream, x.value.second == y.value.second,
            x.value.lines == y.value.lines, x.value.bytes == y.value.bytes, x.value.measurements.count == y.value.measurements.count
        else { return false }
        for (m, n) in zip(x.value.measurements, y.value.measurements) {
            guard m.kind == n.kind, m.name == n.name, m.unit == n.unit, m.count == n.count, sameBits(m.sum, n.sum), sameBits(m.min, n.min),
                sameBits(m.max, n.max), sameBits(m.sumSquares, n.sumSquares), sameBits(m.last, n.last)
            else { return false }
        }
    }
    for (x, y) in zip(a.heartbeats, b.heartbeats) {
        guard x.time == y.time, x.values.keys.sorted() == y.values.keys.sorted() else { return false }
        for (k, v) in x.values where !sameBits(v, y.values[k]!) { return false }
    }
    return true
}
