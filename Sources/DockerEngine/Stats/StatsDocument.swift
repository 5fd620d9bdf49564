public import ContainerMetrics
public import FoundationEssentials

/// Decodes the Engine API's stats JSON (`/containers/{id}/stats`) into a raw ``StatsSample``.
///
/// Both shapes are understood: cgroup v1 (`memory_stats.stats.total_*`, `percpu_usage`, blkio ops `Read`/`Write`)
/// and cgroup v2 (`anon`/`file`/`inactive_file`, no per-CPU usage, blkio ops `read`/`write`, no
/// `io_serviced_recursive`). Only the fields a sample needs are decoded.
public enum StatsDocument {
    /// The sample in `json`.
    /// - Parameter id: the container, for the error when it is not running.
    /// - Throws: ``DockerError/containerNotRunning(id:)`` when the document is the empty one Docker returns for a
    ///   stopped container (`read` is Go's zero time) or Podman's empty body; ``DockerError/invalidResponse(path:reason:)`` when it does not decode.
    public static func sample(from json: Data, id: String = "") throws(DockerError) -> StatsSample {
        // Podman's compatible API answers 200 with an empty body for a container that does not run.
        guard json.contains(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) else { throw .containerNotRunning(id: id) }
        let wire: Wire
        do {
            wire = try JSONDecoder().decode(Wire.self, from: json)
        } catch {
            throw .invalidResponse(path: "/containers/\(id)/stats", reason: "undecodable stats: \(error)")
        }
        guard let readNs = wire.read.flatMap(RFC3339.nanoseconds), readNs > 0 else {
            throw .containerNotRunning(id: id)
        }
        var sample = StatsSample(time: readNs / 1_000_000)

        if let cpu = wire.cpu_stats, let usage = cpu.cpu_usage, let system = cpu.system_cpu_usage {
            let online = cpu.online_cpus.flatMap { $0 > 0 ? $0 : nil } ?? UInt32(usage.percpu_usage?.count ?? 0)
            sample.cpu = StatsSample.CPU(
                totalNs: usage.total_usage ?? 0,
                userNs: usage.usage_in_usermode ?? 0,
                kernelNs: usage.usage_in_kernelmode ?? 0,
                systemNs: system,
                onlineCPUs: online,
                periods: cpu.throttling_data?.periods ?? 0,
                throttledPeriods: cpu.throttling_data?.throttled_periods ?? 0,
                throttledNs: cpu.throttling_data?.throttled_time ?? 0
            )
        }
        if let memory = wire.memory_stats, let usage = memory.usage {
            let s = memory.stats
            sample.memory = StatsSample.Memory(
                usage: usage,
                limit: memory.limit ?? 0,
                rss: s?.total_rss ?? s?.anon ?? s?.rss ?? 0,
                cache: s?.total_cache ?? s?.file ?? s?.cache ?? 0,
                inactiveFile: s?.total_inactive_file ?? s?.inactive_file ?? 0,
                oomKills: nil
            )
        }
        sample.pids = wire.pids_stats?.current
        if let blkio = wire.blkio_stats {
            let bytes = sumReadWrite(blkio.io_service_bytes_recursive)
            let ops = sumReadWrite(blkio.io_serviced_recursive)
            sample.blockIO = StatsSample.BlockIO(readBytes: bytes.read, writeBytes: bytes.write, readOps: ops.read, writeOps: ops.write)
        }
        if let networks = wire.networks {
            sample.networks = networks.sorted { $0.key < $1.key }.map { name, n in
                StatsSample.NetworkCounters(
                    interface: name,
                    rxBytes: n.rx_bytes ?? 0,
                    rxPackets: n.rx_packets ?? 0,
                    rxErrors: n.rx_errors ?? 0,
                    rxDropped: n.rx_dropped ?? 0,
                    txBytes: n.tx_bytes ?? 0,
                    txPackets: n.tx_packets ?? 0,
                    txErrors: n.tx_errors ?? 0,
                    txDropped: n.tx_dropped ?? 0
                )
            }
        }
        return sample
    }

    /// Sums `read` and `write` entries over devices, the op matched case-insensitively (v1 `Read`, v2 `read`).
    static func sumReadWrite(_ entries: [Wire.BlkioEntry]?) -> (read: UInt64, write: UInt64) {
        var read: UInt64 = 0
        var write: UInt64 = 0
        for entry in entries ?? [] {
            guard let op = entry.op, let value = entry.value else { continue }
            if op.utf8.count == 4, op.lowercased() == "read" {
                read &+= value
            } else if op.utf8.count == 5, op.lowercased() == "write" {
                write &+= value
            }
        }
        return (read, write)
    }

    // Field names are the API's, so that no CodingKeys are needed.
    // swiftlint:disable identifier_name
    struct Wire: Decodable {
        var read: String?
        var cpu_stats: CPUStats?
        var memory_stats: MemoryStats?
        var pids_stats: PidsStats?
        var blkio_stats: BlkioStats?
        var networks: [String: Network]?

        struct CPUStats: Decodable {
            var cpu_usage: CPUUsage?
            var system_cpu_usage: UInt64?
            var online_cpus: UInt32?
            var throttling_data: Throttling?
        }
        struct CPUUsage: Decodable {
            var total_usage: UInt64?
            var percpu_usage: [UInt64]?
            var usage_in_kernelmode: UInt64?
            var usage_in_usermode: UInt64?
        }
        struct Throttling: Decodable {
            var periods: UInt64?
            var throttled_periods: UInt64?
            var throttled_time: UInt64?
        }
        struct MemoryStats: Decodable {
            var usage: UInt64?
            var limit: UInt64?
            var stats: MemoryStatKeys?
        }
        /// The `memory_stats.stats` keys used, v1 (`total_*`, `rss`, `cache`) and v2 (`anon`, `file`).
        struct MemoryStatKeys: Decodable {
            var total_rss: UInt64?
            var total_cache: UInt64?
            var total_inactive_file: UInt64?
            var rss: UInt64?
            var cache: UInt64?
            var anon: UInt64?
            var file: UInt64?
            var inactive_file: UInt64?
        }
        struct PidsStats: Decodable {
            var current: UInt64?
        }
        struct BlkioStats: Decodable {
            var io_service_bytes_recursive: [BlkioEntry]?
            var io_serviced_recursive: [BlkioEntry]?
        }
        struct BlkioEntry: Decodable {
            var op: String?
            var value: UInt64?
        }
        struct Network: Decodable {
            var rx_bytes: UInt64?
            var rx_packets: UInt64?
            var rx_errors: UInt64?
            var rx_dropped: UInt64?
            var tx_bytes: UInt64?
            var tx_packets: UInt64?
            var tx_errors: UInt64?
            var tx_dropped: UInt64?
        }
    }
    // swiftlint:enable identifier_name
}
