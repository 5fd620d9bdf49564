/// One reading of a container's cumulative counters and current gauges, exactly as the kernel (cgroup files,
/// `/proc/<pid>/net/dev`) or the Engine API reported them.
///
/// Samples are *raw*: rates, percentages and per-interval deltas are derived from two consecutive samples by
/// ``StatsInterval``. Sending raw values lets any collector on the same engine continue another's series
/// without a gap or a double count (the hub always diffs against the last sample it accepted).
public struct StatsSample: Equatable, Sendable, Codable {
    /// When the reading was taken, Unix milliseconds (the collector's clock).
    public var time: Int64
    public var cpu: CPU?
    public var memory: Memory?
    /// Number of processes/threads (`pids.current`).
    public var pids: UInt64?
    public var blockIO: BlockIO?
    /// Per-interface network counters; empty when the container has no network namespace of its own or the
    /// source cannot see it.
    public var networks: [NetworkCounters]

    public init(
        time: Int64, cpu: CPU? = nil, memory: Memory? = nil, pids: UInt64? = nil, blockIO: BlockIO? = nil,
        networks: [NetworkCounters] = []
    ) {
        self.time = time
        self.cpu = cpu
        self.memory = memory
        self.pids = pids
        self.blockIO = blockIO
        self.networks = networks
    }

    /// CPU counters in nanoseconds, as Docker's `cpu_stats`.
    public struct CPU: Equatable, Sendable, Codable {
        /// Total CPU time consumed by the container (`cpu_usage.total_usage`).
        public var totalNs: UInt64
        /// Time in user mode (`usage_in_usermode`).
        public var userNs: UInt64
        /// Time in kernel mode (`usage_in_kernelmode`).
        public var kernelNs: UInt64
        /// The host's cumulative CPU time over all CPUs (`system_cpu_usage`, from `/proc/stat`).
        public var systemNs: UInt64
        /// CPUs online on the host (`online_cpus`).
        public var onlineCPUs: UInt32
        /// CFS enforcement periods elapsed (`throttling_data.periods`).
        public var periods: UInt64
        /// Periods in which the container was throttled.
        public var throttledPeriods: UInt64
        /// Total time throttled, nanoseconds.
        public var throttledNs: UInt64

        public init(
            totalNs: UInt64, userNs: UInt64, kernelNs: UInt64, systemNs: UInt64, onlineCPUs: UInt32,
            periods: UInt64 = 0, throttledPeriods: UInt64 = 0, throttledNs: UInt64 = 0
        ) {
            self.totalNs = totalNs
            self.userNs = userNs
            self.kernelNs = kernelNs
            self.systemNs = systemNs
            self.onlineCPUs = onlineCPUs
            self.periods = periods
            self.throttledPeriods = throttledPeriods
            self.throttledNs = throttledNs
        }
    }

    /// Memory in bytes, as Docker's `memory_stats`.
    public struct Memory: Equatable, Sendable, Codable {
        /// `memory_stats.usage` (v1 `memory.usage_in_bytes`, v2 `memory.current`).
        public var usage: UInt64
        /// The limit; the host's RAM when the container is unlimited (as the Engine API reports it).
        public var limit: UInt64
        /// Anonymous memory (`total_rss` v1, `anon` v2).
        public var rss: UInt64
        /// Page cache (`total_cache` v1, `file` v2).
        public var cache: UInt64
        /// Inactive file cache (`total_inactive_file` v1, `inactive_file` v2), subtracted by the docker CLI.
        public var inactiveFile: UInt64
        /// Cumulative OOM kills in the container's cgroup (v1 `memory.oom_control` `oom_kill`, v2
        /// `memory.events` `oom_kill`); nil when the kernel does not expose it.
        public var oomKills: UInt64?

        public init(usage: UInt64, limit: UInt64, rss: UInt64, cache: UInt64, inactiveFile: UInt64, oomKills: UInt64? = nil) {
            self.usage = usage
            self.limit = limit
            self.rss = rss
            self.cache = cache
            self.inactiveFile = inactiveFile
            self.oomKills = oomKills
        }
    }

    /// Block I/O summed over devices; ops matched case-insensitively (`Read`/`read`).
    public struct BlockIO: Equatable, Sendable, Codable {
        public var readBytes: UInt64
        public var writeBytes: UInt64
        public var readOps: UInt64
        public var writeOps: UInt64

        public init(readBytes: UInt64, writeBytes: UInt64, readOps: UInt64, writeOps: UInt64) {
            self.readBytes = readBytes
            self.writeBytes = writeBytes
            self.readOps = readOps
            self.writeOps = writeOps
        }
    }

    /// One interface's cumulative counters (`/proc/<pid>/net/dev`, or the API's `networks`).
    public struct NetworkCounters: Equatable, Sendable, Codable {
        public var interface: String
        public var rxBytes: UInt64
        public var rxPackets: UInt64
        public var rxErrors: UInt64
        public var rxDropped: UInt64
        public var txBytes: UInt64
        public var txPackets: UInt64
        public var txErrors: UInt64
        public var txDropped: UInt64

        public init(
            interface: String, rxBytes: UInt64 = 0, rxPackets: UInt64 = 0, rxErrors: UInt64 = 0, rxDropped: UInt64 = 0,
            txBytes: UInt64 = 0, txPackets: UInt64 = 0, txErrors: UInt64 = 0, txDropped: UInt64 = 0
        ) {
            self.interface = interface
            self.rxBytes = rxBytes
            self.rxPackets = rxPackets
            self.rxErrors = rxErrors
            self.rxDropped = rxDropped
            self.txBytes = txBytes
            self.txPackets = txPackets
            self.txErrors = txErrors
            self.txDropped = txDropped
        }

        /// Adds `other`'s counters to these (totals over interfaces or intervals); the interface name is kept.
        public mutating func add(_ other: NetworkCounters) {
            rxBytes &+= other.rxBytes
            rxPackets &+= other.rxPackets
            rxErrors &+= other.rxErrors
            rxDropped &+= other.rxDropped
            txBytes &+= other.txBytes
            txPackets &+= other.txPackets
            txErrors &+= other.txErrors
            txDropped &+= other.txDropped
        }
    }
}
