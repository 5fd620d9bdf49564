import ContainerMetrics
import FoundationEssentials
import Testing

@testable import DockerEngine

/// Stats JSON as the Engine API returns it.
enum StatsFixtures {
    /// dockerd 20.10.24 on cgroup v1 (cgroupfs), a container running `yes > /dev/null`, `--network none`:
    /// captured with `curl --unix-socket /var/run/docker.sock 'http://docker/v1.41/containers/ID/stats?stream=false&one-shot=true'`.
    /// Block I/O entries and the cache figures were filled in by hand (this host did no block I/O under vfs).
    static let v1 = #"""
        {"read":"2026-11-25T03:23:13.594211555Z","preread":"0001-01-01T00:00:00Z","pids_stats":{"current":1},
        "blkio_stats":{"io_service_bytes_recursive":[{"major":8,"minor":0,"op":"Read","value":4096},{"major":8,"minor":0,"op":"Write","value":8192},
        {"major":8,"minor":0,"op":"Sync","value":12288},{"major":8,"minor":0,"op":"Total","value":12288},
        {"major":8,"minor":16,"op":"Read","value":1},{"major":8,"minor":16,"op":"Write","value":2}],
        "io_serviced_recursive":[{"major":8,"minor":0,"op":"Read","value":1},{"major":8,"minor":0,"op":"Write","value":2},{"major":8,"minor":0,"op":"Total","value":3}],
        "io_queue_recursive":[],"io_service_time_recursive":[],"io_wait_time_recursive":[],"io_merged_recursive":[],"io_time_recursive":[],"sectors_recursive":[]},
        "num_procs":0,"storage_stats":{},
        "cpu_stats":{"cpu_usage":{"total_usage":135336711,"percpu_usage":[19228231,116108480],"usage_in_kernelmode":10000000,"usage_in_usermode":120000000},
        "system_cpu_usage":1641450000000,"online_cpus":2,"throttling_data":{"periods":7,"throttled_periods":3,"throttled_time":900}},
        "precpu_stats":{"cpu_usage":{"total_usage":0,"usage_in_kernelmode":0,"usage_in_usermode":0},"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}},
        "memory_stats":{"usage":548864,"max_usage":4083712,"stats":{"active_anon":4096,"active_file":0,"cache":0,"dirty":0,
        "hierarchical_memory_limit":9223372036854771712,"hierarchical_memsw_limit":9223372036854771712,"inactive_anon":57344,"inactive_file":0,
        "mapped_file":0,"pgfault":1155,"pgmajfault":0,"pgpgin":837,"pgpgout":822,"rss":61440,"rss_huge":0,"total_active_anon":4096,
        "total_active_file":0,"total_cache":8192,"total_dirty":0,"total_inactive_anon":57344,"total_inactive_file":4096,"total_mapped_file":0,
        "total_pgfault":1155,"total_pgmajfault":0,"total_pgpgin":837,"total_pgpgout":822,"total_rss":61440,"total_rss_huge":0,
        "total_unevictable":0,"total_writeback":0,"unevictable":0,"writeback":0},"limit":25276510208},
        "name":"/dl-scratch","id":"fa65e9d97d1354aab3791de9ae82334e68ed62e688f948374b3d1ffc9202461a"}
        """#

    /// The cgroup v2 shape (moby `daemon/stats_unix.go` `statsV2`): no `total_*` keys, no `percpu_usage`, blkio ops
    /// in lower case and only `io_service_bytes_recursive`, memory `anon`/`file`/`inactive_file`, a bridge network.
    static let v2 = #"""
        {"read":"2026-11-25T10:00:01.250000000Z","preread":"0001-01-01T00:00:00Z","pids_stats":{"current":12,"limit":4915},
        "blkio_stats":{"io_service_bytes_recursive":[{"major":259,"minor":0,"op":"read","value":1048576},{"major":259,"minor":0,"op":"write","value":2097152},
        {"major":253,"minor":1,"op":"read","value":512},{"major":253,"minor":1,"op":"write","value":0}],
        "io_serviced_recursive":null,"io_queue_recursive":null,"io_service_time_recursive":null,"io_wait_time_recursive":null,
        "io_merged_recursive":null,"io_time_recursive":null,"sectors_recursive":null},"num_procs":0,"storage_stats":{},
        "cpu_stats":{"cpu_usage":{"total_usage":51234567000,"usage_in_kernelmode":1234567000,"usage_in_usermode":50000000000},
        "system_cpu_usage":987654320000000,"online_cpus":4,"throttling_data":{"periods":100,"throttled_periods":5,"throttled_time":123456000}},
        "precpu_stats":{"cpu_usage":{"total_usage":0,"usage_in_kernelmode":0,"usage_in_usermode":0},"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}},
        "memory_stats":{"usage":73400320,"stats":{"active_anon":40960000,"active_file":8388608,"anon":52428800,"anon_thp":0,"file":16777216,
        "file_dirty":0,"file_mapped":4194304,"file_writeback":0,"inactive_anon":11468800,"inactive_file":8388608,"kernel_stack":196608,
        "pgactivate":0,"pgdeactivate":0,"pgfault":25000,"pglazyfree":0,"pglazyfreed":0,"pgmajfault":3,"pgrefill":0,"pgscan":0,"pgsteal":0,
        "shmem":0,"slab":1048576,"slab_reclaimable":524288,"slab_unreclaimable":524288,"sock":0,"thp_collapse_alloc":0,"thp_fault_alloc":0,
        "unevictable":0,"workingset_activate":0,"workingset_nodereclaim":0,"workingset_refault":0},"limit":8589934592},
        "name":"/web-1","id":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "networks":{"eth1":{"rx_bytes":10,"rx_packets":1,"rx_errors":0,"rx_dropped":0,"tx_bytes":20,"tx_packets":2,"tx_errors":0,"tx_dropped":0},
        "eth0":{"rx_bytes":123456,"rx_packets":789,"rx_errors":1,"rx_dropped":2,"tx_bytes":654321,"tx_packets":987,"tx_errors":3,"tx_dropped":4}}}
        """#

    /// What dockerd returns for a container that is not running.
    static let stopped = #"""
        {"read":"0001-01-01T00:00:00Z","preread":"0001-01-01T00:00:00Z","pids_stats":{},"blkio_stats":{"io_service_bytes_recursive":null},
        "cpu_stats":{"cpu_usage":{"total_usage":0,"usage_in_kernelmode":0,"usage_in_usermode":0},"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}},
        "memory_stats":{},"name":"/dl-p1","id":"635dbe19"}
        """#
}

@Suite struct StatsDocumentTests {
    @Test func cgroupV1Document() throws {
        let sample = try StatsDocument.sample(from: Data(StatsFixtures.v1.utf8), id: "fa65")
        #expect(
            sample
                == StatsSample(
                    time: 1_795_576_993_594,
                    cpu: .init(
                        totalNs: 135_336_711,
                        userNs: 120_000_000,
                        kernelNs: 10_000_000,
                        systemNs: 1_641_450_000_000,
                        onlineCPUs: 2,
                        periods: 7,
                        throttledPeriods: 3,
                        throttledNs: 900
                    ),
                    memory: .init(usage: 548_864, limit: 25_276_510_208, rss: 61_440, cache: 8_192, inactiveFile: 4_096, oomKills: nil),
                    pids: 1,
                    blockIO: .init(readBytes: 4_097, writeBytes: 8_194, readOps: 1, writeOps: 2),
                    networks: []
                )
        )
    }

    @Test func cgroupV2Document() throws {
        let sample = try StatsDocument.sample(from: Data(StatsFixtures.v2.utf8), id: "0123")
        #expect(
            sample
                == StatsSample(
                    time: 1_795_600_801_250,
                    cpu: .init(
                        totalNs: 51_234_567_000,
                        userNs: 50_000_000_000,
                        kernelNs: 1_234_567_000,
                        systemNs: 987_654_320_000_000,
                        onlineCPUs: 4,
                        periods: 100,
                        throttledPeriods: 5,
                        throttledNs: 123_456_000
                    ),
                    memory: .init(
                        usage: 73_400_320,
                        limit: 8_589_934_592,
                        rss: 52_428_800,
                        cache: 16_777_216,
                        inactiveFile: 8_388_608,
                        oomKills: nil
                    ),
                    pids: 12,
                    blockIO: .init(readBytes: 1_049_088, writeBytes: 2_097_152, readOps: 0, writeOps: 0),
                    networks: [
                        .init(
                            interface: "eth0",
                            rxBytes: 123_456,
                            rxPackets: 789,
                            rxErrors: 1,
                            rxDropped: 2,
                            txBytes: 654_321,
                            txPackets: 987,
                            txErrors: 3,
                            txDropped: 4
                        ),
                        .init(interface: "eth1", rxBytes: 10, rxPackets: 1, txBytes: 20, txPackets: 2),
                    ]
                )
        )
        // The docker CLI's memory used: usage − inactive_file.
        #expect(StatsInterval.between(nil, sample).memoryUsed == 65_011_712)
    }

    @Test func onlineCPUsFallBackToPerCPUCount() throws {
        let json = StatsFixtures.v1.replacingOccurrences(of: #""online_cpus":2,"#, with: "")
        #expect(try StatsDocument.sample(from: Data(json.utf8)).cpu?.onlineCPUs == 2)
    }

    /// Podman 4.3's compatible one-shot stats (recorded, `--network none`): no `memory_stats.stats` (so memory
    /// used is the usage, page cache included), throttling and block I/O operations always 0, a made-up `network`
    /// interface; for a container that does not run, 200 with an empty body.
    @Test func podmanDocument() throws {
        let json = #"""
            {"read":"2026-12-02T06:30:50.783348482Z","preread":"0001-01-01T00:00:00Z","pids_stats":{"current":1},"blkio_stats":{"io_service_bytes_recursive":[],"io_serviced_recursive":null},"num_procs":0,"storage_stats":{},"cpu_stats":{"cpu_usage":{"total_usage":47505824,"percpu_usage":[37829240,9676584],"usage_in_kernelmode":20000000,"usage_in_usermode":27505824},"system_cpu_usage":20927141574034,"online_cpus":2,"cpu":0,"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}},"precpu_stats":{"cpu_usage":{"total_usage":0,"usage_in_kernelmode":0,"usage_in_usermode":0},"cpu":0,"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}},"memory_stats":{"usage":528384,"limit":25275990016},"name":"probe1","Id":"ee39","networks":{"network":{"rx_bytes":0,"rx_packets":0,"rx_errors":0,"rx_dropped":0,"tx_bytes":0,"tx_packets":0,"tx_errors":0,"tx_dropped":0}}}
            """#
        let sample = try StatsDocument.sample(from: Data(json.utf8), id: "ee39")
        #expect(sample.cpu?.totalNs == 47_505_824 && sample.cpu?.onlineCPUs == 2)
        #expect(sample.memory?.usage == 528_384 && sample.memory?.inactiveFile == 0 && sample.memory?.limit == 25_275_990_016)
        #expect(StatsInterval.between(nil, sample).memoryUsed == 528_384)
        #expect(sample.pids == 1)
        #expect(sample.networks.map(\.interface) == ["network"])
        for body in ["", "\n"] {
            #expect(throws: DockerError.containerNotRunning(id: "ee39")) { try StatsDocument.sample(from: Data(body.utf8), id: "ee39") }
        }
    }

    @Test func stoppedContainerIsNotRunning() {
        #expect(throws: DockerError.containerNotRunning(id: "635d")) {
            try StatsDocument.sample(from: Data(StatsFixtures.stopped.utf8), id: "635d")
        }
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
