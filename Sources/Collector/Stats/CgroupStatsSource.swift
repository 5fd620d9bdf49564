import ContainerMetrics
import DockerEngine
import Timekeeping

/// Stats read straight from the container's cgroup files (v1 or v2) and `/proc`: no request to dockerd, so no
/// dockerd CPU per sample (moby #21837).
///
/// The numbers are the ones dockerd would report, read the way dockerd (through containerd's cgroups library)
/// reads them:
/// - CPU: v1 `cpuacct.usage` and `cpuacct.stat` (user/system ticks × 10 ms), `cpu.stat` throttling; v2
///   `cpu.stat` (`usage_usec`, `user_usec`, `system_usec`, `nr_periods`, `nr_throttled`, `throttled_usec`);
///   host CPU time and online CPUs from `/proc/stat` (see ``CgroupParsers/procStat(_:)``).
/// - Memory: v1 `memory.usage_in_bytes`, `memory.limit_in_bytes`, `memory.stat` `total_rss`/`total_cache`/
///   `total_inactive_file`, `memory.oom_control` `oom_kill`; v2 `memory.current`, `memory.max`, `memory.stat`
///   `anon`/`file`/`inactive_file`, `memory.events` `oom_kill`. An unlimited container's limit is the host's
///   RAM, as the API reports it.
/// - Block I/O: v1 `blkio.io_service*_recursive` (CFQ/BFQ kernels), else `blkio.throttle.*`; v2 `io.stat`.
/// - pids: `pids.current`.
/// - Network: `<procRoot>/<pid>/net/dev`, the container's network namespace as the kernel shows it to its main
///   process (mount the host's /proc, e.g. at /host/proc, when the collector runs in a container with its own
///   PID namespace). Nothing for `--network host`, whose counters are the host's.
///
/// File reads are small synchronous reads of in-memory kernel files (tens of microseconds per sample).
package struct CgroupStatsSource: StatsSource {
    package let layout: CgroupLayout
    /// Where the host's /proc is visible (`/proc`, or e.g. `/host/proc`).
    package let procRoot: String
    /// Host RAM in bytes (`/info` `MemTotal`): the limit reported for unlimited containers.
    package let hostMemTotal: UInt64
    /// Report the loopback interface too (the Engine API never does).
    package let includeLoopback: Bool
    /// Stamps each sample (the time the files were read).
    package let wallClock: WallClock

    package init(layout: CgroupLayout, procRoot: String = "/proc", hostMemTotal: UInt64, includeLoopback: Bool = false, wallClock: WallClock = .system) {
        self.layout = layout
        self.wallClock = wallClock
        var procRoot = procRoot
        while procRoot.count > 1, procRoot.hasSuffix("/") { procRoot.removeLast() }
        self.procRoot = procRoot
        self.hostMemTotal = hostMemTotal
        self.includeLoopback = includeLoopback
    }

    /// The source for the engine `info` describes, reading cgroups under `cgroupRoot` and processes under
    /// `procRoot`. Fails when `cgroupRoot` does not hold the hierarchy dockerd uses.
    package static func detect(
        info: SystemInfo,
        cgroupRoot: String = "/sys/fs/cgroup",
        procRoot: String = "/proc",
        includeLoopback: Bool = false,
        wallClock: WallClock = .system
    ) throws(StatsSourceError) -> CgroupStatsSource {
        let layout = try CgroupLayout.detect(cgroupVersion: info.cgroupVersion, cgroupDriver: info.cgroupDriver, root: cgroupRoot, podman: info.isPodman)
        return CgroupStatsSource(layout: layout, procRoot: procRoot, hostMemTotal: info.memTotal, includeLoopback: includeLoopback, wallClock: wallClock)
    }

    package var description: String {
        "cgroup files, \(layout); network counters from \(procRoot)/<pid>/net/dev"
    }

    package func sample(_ container: StatsTarget) async throws -> StatsSample {
        try read(container)
    }

    /// The synchronous reading behind ``sample(_:)``.
    package func read(_ container: StatsTarget) throws(StatsSourceError) -> StatsSample {
        let relative = try cgroupPath(container)
        let time = wallClock.now().milliseconds
        // /proc/stat is the host's, not the container's: its absence means a wrong procRoot, not a gone container.
        guard let procStat = try optionalFile("\(procRoot)/stat") else {
            throw .unreadable(path: "\(procRoot)/stat", reason: "no such file; is the host's /proc mounted there?")
        }
        guard let host = CgroupParsers.procStat(procStat) else {
            throw .malformed(path: "\(procRoot)/stat", detail: "no well-formed cpu line")
        }
        var sample: StatsSample
        switch layout.version {
        case .v1: sample = try readV1(relative, container, host: host)
        case .v2: sample = try readV2(relative, container, host: host)
        }
        sample.time = time
        sample.networks = networks(container)
        return sample
    }

    // MARK: v1

    private func readV1(_ rel: String, _ c: StatsTarget, host: (systemNs: UInt64, onlineCPUs: UInt32)) throws(StatsSourceError) -> StatsSample {
        let cpuacct = layout.directory(rel, controller: "cpuacct")
        let cpuDir = layout.directory(rel, controller: "cpu")
        let memory = layout.directory(rel, controller: "memory")
        let blkio = layout.directory(rel, controller: "blkio")

        let total = try value("\(cpuacct)/cpuacct.usage", c)
        let ticks = CgroupParsers.flatKeyed(try file("\(cpuacct)/cpuacct.stat", c))
        let throttling = try optionalFile("\(cpuDir)/cpu.stat").map(CgroupParsers.flatKeyed) ?? [:]
        let nsPerTick = 1_000_000_000 / CgroupParsers.clockTicksPerSecond
        let cpu = StatsSample.CPU(
            totalNs: total,
            userNs: (ticks["user"] ?? 0) &* nsPerTick,
            kernelNs: (ticks["system"] ?? 0) &* nsPerTick,
            systemNs: host.systemNs,
            onlineCPUs: host.onlineCPUs,
            periods: throttling["nr_periods"] ?? 0,
            throttledPeriods: throttling["nr_throttled"] ?? 0,
            throttledNs: throttling["throttled_time"] ?? 0
        )

        let usage = try value("\(memory)/memory.usage_in_bytes", c)
        let limit = try value("\(memory)/memory.limit_in_bytes", c)
        let stat = CgroupParsers.flatKeyed(try file("\(memory)/memory.stat", c))
        let oom = try optionalFile("\(memory)/memory.oom_control").flatMap { CgroupParsers.flatKeyed($0)["oom_kill"] }
        let mem = StatsSample.Memory(
            usage: usage,
            limit: clampedLimit(limit),
            rss: stat["total_rss"] ?? stat["rss"] ?? 0,
            cache: stat["total_cache"] ?? stat["cache"] ?? 0,
            inactiveFile: stat["total_inactive_file"] ?? stat["inactive_file"] ?? 0,
            oomKills: oom
        )

        // containerd reads the CFQ/BFQ-era files when the kernel has them, else the throttle policy's.
        let prefix = KernelFile.exists("\(blkio)/blkio.io_serviced_recursive") ? "\(blkio)/blkio." : "\(blkio)/blkio.throttle."
        var blockIO: StatsSample.BlockIO?
        if let bytes = try optionalFile(prefix + "io_service_bytes_recursive"), let ops = try optionalFile(prefix + "io_serviced_recursive") {
            let b = CgroupParsers.blkioV1(bytes)
            let o = CgroupParsers.blkioV1(ops)
            blockIO = StatsSample.BlockIO(readBytes: b.read, writeBytes: b.write, readOps: o.read, writeOps: o.write)
        }
        let pids = try optionalFile(layout.directory(rel, controller: "pids") + "/pids.current").flatMap(CgroupParsers.singleValue)
        return StatsSample(time: 0, cpu: cpu, memory: mem, pids: pids, blockIO: blockIO)
    }

    // MARK: v2

    private func readV2(_ rel: String, _ c: StatsTarget, host: (systemNs: UInt64, onlineCPUs: UInt32)) throws(StatsSourceError) -> StatsSample {
        let dir = layout.directory(rel, controller: "")
        let cpuStat = CgroupParsers.flatKeyed(try file("\(dir)/cpu.stat", c))
        let cpu = StatsSample.CPU(
            totalNs: (cpuStat["usage_usec"] ?? 0) &* 1000,
            userNs: (cpuStat["user_usec"] ?? 0) &* 1000,
            kernelNs: (cpuStat["system_usec"] ?? 0) &* 1000,
            systemNs: host.systemNs,
            onlineCPUs: host.onlineCPUs,
            periods: cpuStat["nr_periods"] ?? 0,
            throttledPeriods: cpuStat["nr_throttled"] ?? 0,
            throttledNs: (cpuStat["throttled_usec"] ?? 0) &* 1000
        )

        let usage = try value("\(dir)/memory.current", c)
        let limit = try optionalFile("\(dir)/memory.max").flatMap(CgroupParsers.singleValue) ?? .max
        let stat = CgroupParsers.flatKeyed(try file("\(dir)/memory.stat", c))
        let oom = try optionalFile("\(dir)/memory.events").flatMap { CgroupParsers.flatKeyed($0)["oom_kill"] }
        let mem = StatsSample.Memory(
            usage: usage,
            limit: clampedLimit(limit),
            rss: stat["anon"] ?? 0,
            cache: stat["file"] ?? 0,
            inactiveFile: stat["inactive_file"] ?? 0,
            oomKills: oom
        )

        let blockIO = try optionalFile("\(dir)/io.stat").map(CgroupParsers.ioStatV2)
        let pids = try optionalFile("\(dir)/pids.current").flatMap(CgroupParsers.singleValue)
        return StatsSample(time: 0, cpu: cpu, memory: mem, pids: pids, blockIO: blockIO)
    }

    // MARK: helpers

    /// As dockerd: a limit above the host's RAM (unlimited) is reported as the host's RAM.
    func clampedLimit(_ limit: UInt64) -> UInt64 {
        hostMemTotal > 0 && limit > hostMemTotal ? hostMemTotal : limit
    }

    /// The container's cgroup, relative to the root (v1: to each controller): the driver's layout, the other
    /// driver's, then what `/proc/<pid>/cgroup` says (custom `--cgroup-parent`). When none exists and the
    /// container's process is gone as well, the container is gone.
    func cgroupPath(_ c: StatsTarget) throws(StatsSourceError) -> String {
        let probe = layout.version == .v1 ? "memory" : ""
        var tried: [String] = []
        for relative in layout.candidates(id: c.id) {
            let dir = layout.directory(relative, controller: probe)
            if KernelFile.isDirectory(dir) { return relative }
            tried.append(dir)
        }
        if c.pid > 0, let bytes = try? KernelFile.read("\(procRoot)/\(c.pid)/cgroup"),
            let path = CgroupParsers.procCgroupPath(bytes, controller: layout.version == .v1 ? "memory" : nil),
            !path.contains(".."), path.contains(c.id)
        {
            let dir = layout.directory(path, controller: probe)
            if KernelFile.isDirectory(dir) { return path }
            tried.append(dir)
        }
        // No cgroup, and its process is gone too: the container stopped, the layout is not to blame.
        if c.pid > 0, !KernelFile.exists("\(procRoot)/\(c.pid)") { throw .containerGone(id: c.id) }
        throw .cgroupNotFound(id: c.id, tried: tried)
    }

    /// A file that must exist; its absence means the cgroup went away with the container.
    func file(_ path: String, _ c: StatsTarget) throws(StatsSourceError) -> [UInt8] {
        do {
            return try KernelFile.read(path)
        } catch {
            switch error {
            case .notFound: throw .containerGone(id: c.id)
            case .failed(let errno): throw .unreadable(path: path, reason: KernelFile.describe(errno))
            }
        }
    }

    /// A file some kernels or configurations lack (nil then).
    func optionalFile(_ path: String) throws(StatsSourceError) -> [UInt8]? {
        do {
            return try KernelFile.read(path)
        } catch {
            switch error {
            case .notFound: return nil
            case .failed(let errno): throw .unreadable(path: path, reason: KernelFile.describe(errno))
            }
        }
    }

    func value(_ path: String, _ c: StatsTarget) throws(StatsSourceError) -> UInt64 {
        guard let v = CgroupParsers.singleValue(try file(path, c)) else {
            throw .malformed(path: path, detail: "expected one number")
        }
        return v
    }

    func networks(_ c: StatsTarget) -> [StatsSample.NetworkCounters] {
        guard c.pid > 0, c.networkMode != "host", let bytes = try? KernelFile.read("\(procRoot)/\(c.pid)/net/dev") else {
            return []
        }
        return CgroupParsers.netDev(bytes, includeLoopback: includeLoopback)
    }
}
