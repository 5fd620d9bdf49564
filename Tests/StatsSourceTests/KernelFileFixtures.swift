/// Kernel file contents as the kernel writes them (cgroup v1 and v2 per Documentation/admin-guide/cgroup-v1 and
/// cgroup-v2.rst; v1 values captured on this project's development host, kernel 6.x, cgroupfs driver).
enum Fixture {
    static let id = "8c64c12717a494143cfe63a98da7d70631f28774dc454fdeec290f3ab92424cc"

    // MARK: /proc

    static let procStat = """
        cpu  57880 0 10567 95964 610 0 71 88 0 0
        cpu0 27384 0 4759 50303 61 0 9 46 0 0
        cpu1 30496 0 5808 45660 548 0 62 41 0 0
        intr 4455212 0 9 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
        ctxt 9022321
        btime 1795574821
        processes 30813
        procs_running 2
        procs_blocked 0
        softirq 2148190 0 288133 30 156318 0 0 11 886331 0 817367

        """
    /// (57880 + 0 + 10567 + 95964 + 610 + 0 + 71) ticks × 10 ms.
    static let procStatSystemNs: UInt64 = 165_092 * 10_000_000

    static let netDev = """
        Inter-|   Receive                                                |  Transmit
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
            lo:     336       4    0    0    0     0          0         0      336       4    0    0    0     0       0          0
          eth0: 1234567    8910    1    2    0     0          0         3   7654321    1098    4    5    0     0       0          0

        """

    static let meminfo = """
        MemTotal:       24684092 kB
        MemFree:        20123456 kB
        MemAvailable:   22000000 kB

        """

    // MARK: cgroup v1

    static let v1MemoryStat = """
        cache 1081344
        rss 61440
        rss_huge 0
        shmem 0
        mapped_file 0
        dirty 0
        writeback 0
        swap 0
        pgpgin 837
        pgpgout 822
        pgfault 1155
        pgmajfault 0
        inactive_anon 57344
        active_anon 4096
        inactive_file 1048576
        active_file 32768
        unevictable 0
        hierarchical_memory_limit 9223372036854771712
        hierarchical_memsw_limit 9223372036854771712
        total_cache 1081344
        total_rss 61440
        total_rss_huge 0
        total_shmem 0
        total_mapped_file 0
        total_dirty 0
        total_writeback 0
        total_swap 0
        total_pgpgin 837
        total_pgpgout 822
        total_pgfault 1155
        total_pgmajfault 0
        total_inactive_anon 57344
        total_active_anon 4096
        total_inactive_file 1048576
        total_active_file 32768
        total_unevictable 0

        """
    static let v1OOMControl = "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"
    static let v1CPUAcctStat = "user 465\nsystem 7\n"
    static let v1CPUStat = "nr_periods 120\nnr_throttled 7\nthrottled_time 350000000\nnr_bursts 0\nburst_time 0\n"
    static let v1BlkioBytes = """
        8:0 Read 4096
        8:0 Write 8192
        8:0 Sync 12288
        8:0 Async 0
        8:0 Discard 0
        8:0 Total 12288
        8:16 Read 100
        8:16 Write 0
        8:16 Total 100
        Total 12388

        """
    static let v1BlkioOps = "8:0 Read 1\n8:0 Write 2\n8:0 Total 3\n8:16 Read 5\n8:16 Write 0\n8:16 Total 5\nTotal 8\n"

    /// A v1 container directory tree relative to the cgroup root, for `relative` (`docker/<id>` or
    /// `system.slice/docker-<id>.scope`).
    static func v1Tree(_ relative: String, limit: String = "9223372036854771712") -> [String: String] {
        [
            "cpuacct/\(relative)/cpuacct.usage": "4734409170\n",
            "cpuacct/\(relative)/cpuacct.stat": v1CPUAcctStat,
            "cpu/\(relative)/cpu.stat": v1CPUStat,
            "memory/\(relative)/memory.usage_in_bytes": "1658880\n",
            "memory/\(relative)/memory.limit_in_bytes": limit + "\n",
            "memory/\(relative)/memory.stat": v1MemoryStat,
            "memory/\(relative)/memory.oom_control": v1OOMControl,
            "pids/\(relative)/pids.current": "3\n",
            "blkio/\(relative)/blkio.throttle.io_service_bytes_recursive": v1BlkioBytes,
            "blkio/\(relative)/blkio.throttle.io_serviced_recursive": v1BlkioOps,
        ]
    }

    // MARK: cgroup v2

    static let v2CPUStat = """
        usage_usec 51234567
        user_usec 50000000
        system_usec 1234567
        core_sched.force_idle_usec 0
        nr_periods 100
        nr_throttled 5
        throttled_usec 123456
        nr_bursts 0
        burst_usec 0

        """
    static let v2MemoryStat = """
        anon 52428800
        file 16777216
        kernel 1310720
        kernel_stack 196608
        pagetables 262144
        sec_pagetables 0
        percpu 1440
        sock 0
        vmalloc 0
        shmem 0
        zswap 0
        zswapped 0
        file_mapped 4194304
        file_dirty 0
        file_writeback 0
        swapcached 0
        anon_thp 0
        file_thp 0
        shmem_thp 0
        inactive_anon 11468800
        active_anon 40960000
        inactive_file 8388608
        active_file 8388608
        unevictable 0
        slab_reclaimable 524288
        slab_unreclaimable 524288
        slab 1048576
        workingset_refault_anon 0
        workingset_refault_file 0
        workingset_activate_anon 0
        workingset_activate_file 0
        workingset_restore_anon 0
        workingset_restore_file 0
        workingset_nodereclaim 0
        pgscan 0
        pgsteal 0
        pgscan_kswapd 0
        pgscan_direct 0
        pgsteal_kswapd 0
        pgsteal_direct 0
        pgfault 25000
        pgmajfault 3
        pgrefill 0
        pgactivate 0
        pgdeactivate 0
        pglazyfree 0
        pglazyfreed 0
        zswpin 0
        zswpout 0
        thp_fault_alloc 0
        thp_collapse_alloc 0

        """
    static let v2MemoryEvents = "low 0\nhigh 0\nmax 17\noom 3\noom_kill 1\noom_group_kill 0\n"
    static let v2IOStat = """
        259:0 rbytes=1048576 wbytes=2097152 rios=40 wios=80 dbytes=0 dios=0
        253:1 rbytes=512 wbytes=0 rios=1 wios=0 dbytes=0 dios=0

        """

    /// A v2 container directory (unified hierarchy) relative to the root.
    static func v2Tree(_ relative: String, max: String = "max") -> [String: String] {
        [
            "cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma misc\n",
            "\(relative)/cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma misc\n",
            "\(relative)/cpu.stat": v2CPUStat,
            "\(relative)/memory.current": "73400320\n",
            "\(relative)/memory.max": max + "\n",
            "\(relative)/memory.stat": v2MemoryStat,
            "\(relative)/memory.events": v2MemoryEvents,
            "\(relative)/io.stat": v2IOStat,
            "\(relative)/pids.current": "12\n",
        ]
    }

    /// A /proc tree with `stat`, `meminfo` and a process `pid` with `net/dev` and `cgroup`.
    static func procTree(pid: Int32, cgroup: String) -> [String: String] {
        ["stat": procStat, "meminfo": meminfo, "\(pid)/net/dev": netDev, "\(pid)/cgroup": cgroup]
    }
}
