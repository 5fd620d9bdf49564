import ContainerMetrics
@_spi(Benchmarks) import Hub
import WireFormat

/// Builds frames as a collector would, for the hub's pure tests.
struct FakeCollector {
    var id = CollectorID.random()
    var epoch: UInt64 = 1
    var sequence: UInt64 = 0
    var acked: UInt64 = 0
    var cluster = "c1"
    var engine = "ENGINE-A"
    var host = "host-a"

    mutating func frame(_ build: (inout Batch) -> Void) -> OpenedFrame {
        sequence += 1
        return frame(sequence: sequence, build)
    }

    func frame(sequence: UInt64, _ build: (inout Batch) -> Void) -> OpenedFrame {
        var batch = Batch()
        build(&batch)
        let header = FrameHeader(
            collectorID: id, epoch: epoch, sequence: sequence, ackedThrough: acked, sendTime: 0, engineID: engine, cluster: cluster,
            host: host)
        return OpenedFrame(header: header, batch: batch)
    }
}

let web = ContainerIdentity(id: String(repeating: "a", count: 64), name: "web-1", image: "octoblu/meshblu:v2", startedAt: 1_000_000_000)
let db = ContainerIdentity(id: String(repeating: "b", count: 64), name: "db", image: "postgres", startedAt: 1_000_000_000)

/// A sample at `t` ms whose counters grew linearly: CPU `cpuPerSec` ns per second of one core out of two.
func sample(at t: Int64, cpuShare: Double = 0.5, rxPerSec: UInt64 = 1000, memory: UInt64 = 100 << 20) -> StatsSample {
    let seconds = UInt64(t / 1000)
    return StatsSample(
        time: t,
        cpu: .init(
            totalNs: UInt64(Double(t) * 1_000_000 * cpuShare), userNs: UInt64(Double(t) * 500_000 * cpuShare),
            kernelNs: UInt64(Double(t) * 500_000 * cpuShare), systemNs: UInt64(t) * 2_000_000, onlineCPUs: 2),
        memory: .init(usage: memory + (10 << 20), limit: 1 << 30, rss: memory, cache: 10 << 20, inactiveFile: 10 << 20),
        pids: 3,
        blockIO: .init(readBytes: seconds * 10, writeBytes: seconds * 20, readOps: seconds, writeOps: seconds * 2),
        networks: [.init(interface: "eth0", rxBytes: seconds * rxPerSec, rxPackets: seconds, txBytes: seconds * rxPerSec / 2, txPackets: seconds)])
}

extension Batch {
    mutating func stats(_ c: ContainerIdentity, _ s: StatsSample) {
        let i = index(of: c)
        stats.append(ContainerRecord(container: i, s))
    }

    mutating func log(_ c: ContainerIdentity, _ stream: LogBucket.Stream, second: Int64, lines: UInt64, bytes: UInt64? = nil, l2met: [L2metAggregate] = []) {
        let i = index(of: c)
        logs.append(ContainerRecord(container: i, LogBucket(stream: stream, second: second, lines: lines, bytes: bytes ?? lines * 10, measurements: l2met)))
    }

    mutating func status(_ c: ContainerIdentity, _ s: ContainerStatus) {
        let i = index(of: c)
        statuses.append(ContainerRecord(container: i, s))
    }

    mutating func event(_ c: ContainerIdentity, _ action: String, at ns: Int64, exit: Int32? = nil) {
        let i = index(of: c)
        events.append(ContainerRecord(container: i, LifecycleEvent(timeNano: ns, action: action, exitCode: exit)))
    }
}

extension HubCore {
    /// Closes what is due at `now` and delivers every pending period (as if Librato accepted everything); returns
    /// the delivered periods.
    mutating func deliverAll(now: Int64) -> [ClosedPeriod] {
        closeDuePeriods(now: now)
        var out: [ClosedPeriod] = []
        while let p = pending.first {
            out.append(p)
            delivered(periodStart: p.start)
        }
        return out
    }
}

func container(_ name: String, in periods: [ClosedPeriod]) -> [ContainerPeriod] {
    periods.flatMap(\.containers).filter { $0.identity.name == name }
}
