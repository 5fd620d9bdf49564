@_spi(Simulation) import Collector
import ContainerMetrics
import DockerEngine
import DockerLibratoTesting
import Foundation
import Testing

/// The cgroup files and Engine API stats of real containers on the cgroup-v2 test host, both drivers, copied from
/// its guests (scripts/test-hosts/scenarios/collector.sh records them; Fixtures/v2-<driver>/<workload>/): what
/// each finding on that host rests on, kept as data.
///
/// - cpu: `--cpus` quota, throttled (`cpu.stat` nr_throttled/throttled_usec), `memory.max` 64 MiB, `pids.max` `max`
///   on cgroupfs but systemd's TasksMax (a number) on systemd;
/// - writer: `io.stat` with the fsync'd writes (`wbytes=33554432`) and direct reads, page cache in `inactive_file`;
/// - procs: 21 pids under `--pids-limit 64`;
/// - oom: `memory.events` oom_kill 1.
@Suite struct GuestFixtureTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    static let pid: Int32 = 4242

    struct Captured {
        let driver: String
        let workload: String
        /// file name → content, as the guest's kernel wrote them.
        let files: [String: String]
        let memTotal: UInt64

        init(_ driver: String, _ workload: String) throws {
            self.driver = driver
            self.workload = workload
            let dir = "\(GuestFixtureTests.fixtures)/v2-\(driver)/\(workload)"
            var files: [String: String] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
                files[name] = try String(contentsOfFile: "\(dir)/\(name)", encoding: .utf8)
            }
            self.files = files
            let meta = try String(contentsOfFile: "\(GuestFixtureTests.fixtures)/v2-\(driver)/meta.txt", encoding: .utf8)
            memTotal = meta.split(separator: "\n").compactMap { line -> UInt64? in
                let f = line.split(separator: " ")
                return f.count == 2 && f[0] == "mem_total" ? UInt64(f[1]) : nil
            }.first ?? 0
        }

        /// The container's directory, relative to the cgroup root, as the guest had it.
        var relative: String {
            let path = files["cgroup-path"]!.trimmingCharacters(in: .whitespacesAndNewlines)
            return String(path.dropFirst("/sys/fs/cgroup/".count))
        }
        var id: String {
            let last = relative.split(separator: "/").last.map(String.init) ?? ""
            return last.replacing("docker-", with: "").replacing(".scope", with: "")
        }

        /// Reads the captured files through the cgroup stats source (laid out where the driver puts them).
        func sample() throws -> StatsSample {
            var tree = ["cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma misc\n"]
            for (name, content) in files where name.contains(".") && !name.hasSuffix(".json") { tree["\(relative)/\(name)"] = content }
            let cg = try FixtureDirectory("guest-cgroup", files: tree)
            defer { cg.remove() }
            let proc = try FixtureDirectory("guest-proc", files: Fixture.procTree(pid: GuestFixtureTests.pid, cgroup: "0::/\(relative)\n"))
            defer { proc.remove() }
            let info = SystemInfo(
                engineID: "E", name: "v2host-\(driver)", cgroupVersion: "2", cgroupDriver: driver, ncpu: 1, memTotal: memTotal, serverVersion: "20.10.24",
                dockerRootDir: "/var/lib/docker")
            let source = try CgroupStatsSource.detect(info: info, cgroupRoot: cg.path, procRoot: proc.path)
            return try source.read(StatsTarget(id: id, pid: GuestFixtureTests.pid, networkMode: "none"))
        }

        /// The Engine API's one-shot stats of the same container, frozen, decoded as the API source does.
        func apiSample() throws -> StatsSample {
            try StatsDocument.sample(from: Data(files["api.json"]!.utf8), id: id)
        }
    }

    static let drivers = ["cgroupfs", "systemd"]

    @Test(arguments: drivers)
    func throttlingOfAQuotaContainer(driver: String) throws {
        let cpu = try Captured(driver, "cpu")
        let sample = try cpu.sample()
        let stat = cpu.files["cpu.stat"]!
        func value(_ key: String) -> UInt64 {
            stat.split(separator: "\n").compactMap { line -> UInt64? in
                let f = line.split(separator: " ")
                return f.count == 2 && f[0] == key ? UInt64(f[1]) : nil
            }.first!
        }
        #expect(value("nr_throttled") > 0, "the capture shows throttling")
        #expect(sample.cpu?.throttledPeriods == value("nr_throttled"))
        #expect(sample.cpu?.throttledNs == value("throttled_usec") * 1000)
        #expect(sample.cpu?.totalNs == value("usage_usec") * 1000)
        #expect(sample.memory?.limit == 64 << 20)
        // dockerd reads the same files: the API's numbers are the cgroup source's.
        let api = try cpu.apiSample()
        #expect(api.cpu?.throttledPeriods == sample.cpu?.throttledPeriods)
        #expect(api.cpu?.throttledNs == sample.cpu?.throttledNs)
        #expect(api.memory?.limit == sample.memory?.limit)
    }

    /// pids.max is `max` with the cgroupfs driver and systemd's TasksMax (a number) with systemd; the collector
    /// reports pids.current either way and does not read the limit.
    @Test(arguments: drivers)
    func pidsWhateverPidsMaxSays(driver: String) throws {
        let cpu = try Captured(driver, "cpu")
        let procs = try Captured(driver, "procs")
        let pidsMax = cpu.files["pids.max"]!.trimmingCharacters(in: .whitespacesAndNewlines)
        if driver == "cgroupfs" { #expect(pidsMax == "max") } else { #expect(UInt64(pidsMax) != nil, "\(pidsMax)") }
        #expect(procs.files["pids.max"]?.trimmingCharacters(in: .whitespacesAndNewlines) == "64")
        #expect(try procs.sample().pids == 21)
        #expect(try procs.apiSample().pids == 21)
        #expect(try cpu.sample().pids == 1)
    }

    /// The fsync'd writer: io.stat sums (bytes and operations), v2 memory.stat names (anon, file, inactive_file),
    /// no max_usage anywhere; the Engine API has the same bytes but no operation counts on cgroup v2.
    @Test(arguments: drivers)
    func blockIOAndMemoryOfAWriter(driver: String) throws {
        let writer = try Captured(driver, "writer")
        #expect(writer.files["io.stat"]?.contains("wbytes=33554432") == true)
        let sample = try writer.sample()
        // Operations as the block layer merged them (30-35 writes of 1 MiB blocks here): the file's own count.
        let wios = writer.files["io.stat"]!.split(separator: " ").first { $0.hasPrefix("wios=") }.flatMap { UInt64($0.dropFirst(5)) }
        #expect((wios ?? 0) > 0)
        #expect(sample.blockIO == StatsSample.BlockIO(readBytes: 25_165_824, writeBytes: 33_554_432, readOps: 24, writeOps: wios ?? 0))
        let memory = try #require(sample.memory)
        #expect(memory.inactiveFile >= 32 << 20, "the written file stays in the page cache, inactive")
        #expect(memory.limit == writer.memTotal, "unlimited: the host's RAM, as dockerd reports it")
        #expect(StatsInterval.memoryUsedNoCache(memory) < 4_194_304)
        #expect(writer.files["api.json"]?.contains("max_usage") == false)

        let api = try writer.apiSample()
        #expect(api.blockIO?.writeBytes == 33_554_432 && api.blockIO?.readBytes == 25_165_824)
        #expect(api.blockIO?.writeOps == 0 && api.blockIO?.readOps == 0, "dockerd 20.10 reports no io_serviced_recursive on v2")
        #expect(writer.files["api.json"]?.contains("\"io_serviced_recursive\":null") == true)
        #expect(api.memory?.inactiveFile == memory.inactiveFile && api.memory?.limit == memory.limit)
    }

    @Test(arguments: drivers)
    func oomKillFromMemoryEvents(driver: String) throws {
        let oom = try Captured(driver, "oom")
        #expect(oom.files["memory.events"]?.contains("oom_kill 1") == true)
        #expect(try oom.sample().memory?.oomKills == 1)
        #expect(try oom.apiSample().memory?.oomKills == nil, "not in the Engine API's stats")
    }

    /// A container whose cgroup goes away between the listing and the read: its directory still there but its
    /// files gone (removal in progress), or the directory gone with its process.
    @Test func aCgroupThatDisappearsIsAGoneContainer() throws {
        let cpu = try Captured("systemd", "cpu")
        let info = SystemInfo(
            engineID: "E", name: "h", cgroupVersion: "2", cgroupDriver: "systemd", ncpu: 1, memTotal: cpu.memTotal, serverVersion: "", dockerRootDir: "")
        let half = try FixtureDirectory(
            "guest-gone", files: ["cgroup.controllers": "cpu io memory pids\n", "\(cpu.relative)/cpu.stat": cpu.files["cpu.stat"]!])
        defer { half.remove() }
        let proc = try FixtureDirectory("guest-gone-proc", files: ["stat": Fixture.procStat, "meminfo": Fixture.meminfo])
        defer { proc.remove() }
        let source = try CgroupStatsSource.detect(info: info, cgroupRoot: half.path, procRoot: proc.path)
        #expect(throws: StatsSourceError.containerGone(id: cpu.id)) { try source.read(StatsTarget(id: cpu.id, pid: Self.pid)) }
        // No directory and no process (pid not in /proc): gone, not "no cgroup found".
        #expect(throws: StatsSourceError.containerGone(id: String(repeating: "f", count: 64))) {
            try source.read(StatsTarget(id: String(repeating: "f", count: 64), pid: Self.pid))
        }
    }
}
