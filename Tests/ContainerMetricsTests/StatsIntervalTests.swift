import ContainerMetrics
import Testing

/// The docker CLI's formulas (cli/command/container/stats_helpers.go), checked against values worked out by hand:
/// - CPU % = Δ`cpu_usage.total_usage` / Δ`system_cpu_usage` × `online_cpus` × 100, and 0 when either delta is 0;
/// - memory used = `usage` − `total_inactive_file` (cgroup v1) or − `inactive_file` (v2) when that is below `usage`,
///   else `usage`; memory % = used / limit × 100, and 0 without a limit;
/// - block I/O and network as deltas of cumulative counters; a counter that went down restarted from zero.
@Suite("StatsInterval: the docker CLI's formulas")
struct StatsIntervalTests {
    struct CPUCase: Sendable, CustomTestStringConvertible {
        var name: String
        var previous: (total: UInt64, system: UInt64)
        var current: (total: UInt64, system: UInt64)
        var onlineCPUs: UInt32
        var restarted = false
        var percent: Double
        var testDescription: String { name }
    }

    static let cpuCases: [CPUCase] = [
        // v1 document, 2 CPUs: 0.5 s of CPU in 2 s of host CPU time → 0.25 × 2 × 100.
        CPUCase(name: "v1, 2 CPUs", previous: (1_000_000_000, 100_000_000_000), current: (1_500_000_000, 102_000_000_000), onlineCPUs: 2, percent: 50),
        // v2 document (usage_usec × 1000), 4 CPUs: 0.2 s in 0.4 s → 0.5 × 4 × 100.
        CPUCase(name: "v2, 4 CPUs", previous: (2_000_000_000, 500_000_000_000), current: (2_200_000_000, 500_400_000_000), onlineCPUs: 4, percent: 200),
        // A container that did nothing.
        CPUCase(name: "idle", previous: (7_000, 1_000_000), current: (7_000, 2_000_000), onlineCPUs: 8, percent: 0),
        // The host's counter did not move (same /proc/stat read twice): 0, never a division by zero.
        CPUCase(name: "zero system delta", previous: (1_000, 5_000_000), current: (2_000, 5_000_000), onlineCPUs: 2, percent: 0),
        // The container restarted: its counter went down, so it counts from zero: 0.1 s in 1 s on 1 CPU.
        CPUCase(name: "counter reset", previous: (9_000_000_000, 10_000_000_000), current: (100_000_000, 11_000_000_000), onlineCPUs: 1, percent: 10),
        // Restarted (start time changed) with a counter that happens to be higher: the whole value is new.
        CPUCase(
            name: "restart, counter higher", previous: (100_000_000, 10_000_000_000), current: (300_000_000, 12_000_000_000), onlineCPUs: 1,
            restarted: true, percent: 15),
    ]

    @Test(arguments: cpuCases)
    func cpuPercent(_ c: CPUCase) {
        let prev = StatsSample(time: 1_000, cpu: .init(totalNs: c.previous.total, userNs: 0, kernelNs: 0, systemNs: c.previous.system, onlineCPUs: c.onlineCPUs))
        let cur = StatsSample(time: 11_000, cpu: .init(totalNs: c.current.total, userNs: 0, kernelNs: 0, systemNs: c.current.system, onlineCPUs: c.onlineCPUs))
        let interval = StatsInterval.between(prev, cur, restarted: c.restarted)
        #expect(interval.cpuPercent == c.percent)
        #expect(interval.durationMs == 10_000)
    }

    struct MemoryCase: Sendable, CustomTestStringConvertible {
        var name: String
        var usage: UInt64
        var inactiveFile: UInt64
        var limit: UInt64
        var used: Double
        var percent: Double
        var testDescription: String { name }
    }

    static let memoryCases: [MemoryCase] = [
        // v1: usage 100 MiB, total_inactive_file 30 MiB, limit 512 MiB → 70 MiB, 13.671875 %.
        MemoryCase(name: "v1 total_inactive_file", usage: 104_857_600, inactiveFile: 31_457_280, limit: 536_870_912, used: 73_400_320, percent: 13.671875),
        // v2: memory.current 64 MiB, inactive_file 16 MiB, memory.max 128 MiB → 48 MiB, 37.5 %.
        MemoryCase(name: "v2 inactive_file", usage: 67_108_864, inactiveFile: 16_777_216, limit: 134_217_728, used: 50_331_648, percent: 37.5),
        // inactive_file above usage (a racy read): the CLI keeps usage.
        MemoryCase(name: "inactive above usage", usage: 50_000_000, inactiveFile: 60_000_000, limit: 100_000_000, used: 50_000_000, percent: 50),
        // No limit known: 0 %, as the CLI prints.
        MemoryCase(name: "no limit", usage: 4_096, inactiveFile: 0, limit: 0, used: 4_096, percent: 0),
    ]

    @Test(arguments: memoryCases)
    func memoryUsed(_ c: MemoryCase) {
        let sample = StatsSample(time: 5, memory: .init(usage: c.usage, limit: c.limit, rss: 1, cache: 2, inactiveFile: c.inactiveFile))
        let interval = StatsInterval.between(nil, sample)
        #expect(interval.memoryUsed == c.used)
        #expect(interval.memoryPercent == c.percent)
        #expect(interval.memoryUsage == Double(c.usage))
        #expect(interval.memoryLimit == Double(c.limit))
        #expect(interval.cpuPercent == nil, "no rate without a previous sample")
    }

    @Test func blockIOAndNetworkAreDeltasSummedOverInterfaces() {
        let prev = StatsSample(
            time: 0, blockIO: .init(readBytes: 1_000, writeBytes: 33_554_432, readOps: 10, writeOps: 28),
            networks: [.init(interface: "eth0", rxBytes: 500, rxPackets: 5, txBytes: 700, txPackets: 7)])
        let cur = StatsSample(
            time: 10_000, blockIO: .init(readBytes: 5_000, writeBytes: 67_108_864, readOps: 14, writeOps: 60),
            networks: [
                .init(interface: "eth0", rxBytes: 1_500, rxPackets: 9, txBytes: 700, txPackets: 7),
                // Attached during the interval: counted from zero.
                .init(interface: "eth1", rxBytes: 100, rxPackets: 1, txBytes: 40, txPackets: 2),
            ])
        let i = StatsInterval.between(prev, cur)
        #expect(i.blockIO == .init(readBytes: 4_000, writeBytes: 33_554_432, readOps: 4, writeOps: 32))
        #expect(i.networks.map(\.rxBytes) == [1_000, 100])
        #expect(i.networkTotal?.rxBytes == 1_100)
        #expect(i.networkTotal?.rxPackets == 5)
        #expect(i.networkTotal?.txBytes == 40)
        #expect(i.networkTotal?.txPackets == 2)
    }

    @Test func countersThatGoDownRestartFromZeroNeverNegativeNorSpikes() {
        let prev = StatsSample(
            time: 0, cpu: .init(totalNs: 5, userNs: 5, kernelNs: 0, systemNs: 10, onlineCPUs: 1, periods: 100, throttledPeriods: 40, throttledNs: 9_000),
            blockIO: .init(readBytes: 9_000, writeBytes: 9_000, readOps: 9, writeOps: 9))
        let cur = StatsSample(
            time: 1, cpu: .init(totalNs: 6, userNs: 6, kernelNs: 0, systemNs: 20, onlineCPUs: 1, periods: 3, throttledPeriods: 1, throttledNs: 500),
            blockIO: .init(readBytes: 10, writeBytes: 0, readOps: 1, writeOps: 0))
        let i = StatsInterval.between(prev, cur)
        #expect(i.throttledPeriods == 1)
        #expect(i.throttledNs == 500)
        #expect(i.blockIO == .init(readBytes: 10, writeBytes: 0, readOps: 1, writeOps: 0))
    }

    @Test func aSampleNotNewerThanThePreviousGivesGaugesOnly() {
        let s = StatsSample(time: 100, cpu: .init(totalNs: 1, userNs: 0, kernelNs: 0, systemNs: 1, onlineCPUs: 1), pids: 7)
        let i = StatsInterval.between(s, s)
        #expect(i.pids == 7)
        #expect(i.cpuPercent == nil)
        #expect(i.durationMs == 0)
    }

    @Test func oomKillsCountFromTheFirstSampleThatHasThem() {
        let mem = StatsSample.Memory(usage: 1, limit: 2, rss: 0, cache: 0, inactiveFile: 0)
        var withKills = mem
        withKills.oomKills = 2
        #expect(StatsInterval.between(StatsSample(time: 0, memory: mem), StatsSample(time: 1, memory: withKills)).oomKills == 2)
        var more = mem
        more.oomKills = 3
        #expect(StatsInterval.between(StatsSample(time: 1, memory: withKills), StatsSample(time: 2, memory: more)).oomKills == 1)
    }
}
