@_spi(Simulation) import Collector
import ContainerMetrics
import DockerEngine
import DockerLibratoTesting
import Testing

/// The cgroup source over fixture directories laid out as Docker lays them out on v1 and v2 hosts.
@Suite struct CgroupFixtureTests {
    static let pid: Int32 = 4242
    static let memTotal: UInt64 = 24_684_092 * 1024

    func withTrees<T>(_ cgroup: [String: String], cgroupLine: String = "", _ body: (String, String) throws -> T) throws -> T {
        let cg = try FixtureDirectory("cgroup", files: cgroup)
        defer { cg.remove() }
        let proc = try FixtureDirectory("proc", files: Fixture.procTree(pid: Self.pid, cgroup: cgroupLine))
        defer { proc.remove() }
        return try body(cg.path, proc.path)
    }

    func info(version: String, driver: String) -> SystemInfo {
        SystemInfo(
            engineID: "E",
            name: "h",
            cgroupVersion: version,
            cgroupDriver: driver,
            ncpu: 2,
            memTotal: Self.memTotal,
            serverVersion: "",
            dockerRootDir: ""
        )
    }

    var target: StatsTarget { StatsTarget(id: Fixture.id, pid: Self.pid, networkMode: "bridge") }

    static let v2Expected = StatsSample(
        time: 0,
        cpu: .init(
            totalNs: 51_234_567_000,
            userNs: 50_000_000_000,
            kernelNs: 1_234_567_000,
            systemNs: Fixture.procStatSystemNs,
            onlineCPUs: 2,
            periods: 100,
            throttledPeriods: 5,
            throttledNs: 123_456_000
        ),
        memory: .init(usage: 73_400_320, limit: memTotal, rss: 52_428_800, cache: 16_777_216, inactiveFile: 8_388_608, oomKills: 1),
        pids: 12,
        blockIO: .init(readBytes: 1_049_088, writeBytes: 2_097_152, readOps: 41, writeOps: 80),
        networks: [
            .init(
                interface: "eth0",
                rxBytes: 1_234_567,
                rxPackets: 8_910,
                rxErrors: 1,
                rxDropped: 2,
                txBytes: 7_654_321,
                txPackets: 1_098,
                txErrors: 4,
                txDropped: 5
            )
        ]
    )

    static let v1Expected = StatsSample(
        time: 0,
        cpu: .init(
            totalNs: 4_734_409_170,
            userNs: 4_650_000_000,
            kernelNs: 70_000_000,
            systemNs: Fixture.procStatSystemNs,
            onlineCPUs: 2,
            periods: 120,
            throttledPeriods: 7,
            throttledNs: 350_000_000
        ),
        memory: .init(usage: 1_658_880, limit: memTotal, rss: 61_440, cache: 1_081_344, inactiveFile: 1_048_576, oomKills: 2),
        pids: 3,
        blockIO: .init(readBytes: 4_196, writeBytes: 8_192, readOps: 6, writeOps: 2),
        networks: v2Expected.networks
    )

    func expectSample(_ source: CgroupStatsSource, _ expected: StatsSample, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = DockerTestHelper.wallClockMilliseconds()
        var sample = try source.read(target)
        #expect(sample.time >= before && sample.time <= DockerTestHelper.wallClockMilliseconds(), sourceLocation: sourceLocation)
        sample.time = 0
        #expect(sample == expected, sourceLocation: sourceLocation)
    }

    @Test(arguments: [("systemd", "system.slice/docker-\(Fixture.id).scope"), ("cgroupfs", "docker/\(Fixture.id)")])
    func v2(driver: String, relative: String) throws {
        try withTrees(Fixture.v2Tree(relative)) { cg, proc in
            let source = try CgroupStatsSource.detect(info: info(version: "2", driver: driver), cgroupRoot: cg + "/", procRoot: proc)
            #expect(source.layout == CgroupLayout(version: .v2, driver: driver == "systemd" ? .systemd : .cgroupfs, root: cg))
            try expectSample(source, Self.v2Expected)
        }
    }

    /// Rootful Podman names its containers' cgroups `libpod-<id>`: under `libpod_parent` (cgroupfs manager) or as
    /// `machine.slice/libpod-<id>.scope` (systemd), found without `/proc/<pid>/cgroup` (empty here).
    @Test(arguments: [("systemd", "machine.slice/libpod-\(Fixture.id).scope"), ("cgroupfs", "libpod_parent/libpod-\(Fixture.id)")])
    func v2Podman(driver: String, relative: String) throws {
        try withTrees(Fixture.v2Tree(relative)) { cg, proc in
            var podman = info(version: "2", driver: driver)
            podman.isPodman = true
            let source = try CgroupStatsSource.detect(info: podman, cgroupRoot: cg, procRoot: proc)
            #expect(source.layout.podman)
            try expectSample(source, Self.v2Expected)
        }
    }

    @Test func v2WithALimitAndLoopback() throws {
        try withTrees(Fixture.v2Tree("docker/\(Fixture.id)", max: "536870912")) { cg, proc in
            let source = try CgroupStatsSource.detect(
                info: info(version: "2", driver: "cgroupfs"),
                cgroupRoot: cg,
                procRoot: proc,
                includeLoopback: true
            )
            let sample = try source.read(target)
            #expect(sample.memory?.limit == 536_870_912)
            #expect(sample.networks.map(\.interface) == ["eth0", "lo"])
        }
    }

    @Test(arguments: [("cgroupfs", "docker/\(Fixture.id)"), ("systemd", "system.slice/docker-\(Fixture.id).scope")])
    func v1(driver: String, relative: String) throws {
        try withTrees(Fixture.v1Tree(relative)) { cg, proc in
            let source = try CgroupStatsSource.detect(info: info(version: "1", driver: driver), cgroupRoot: cg, procRoot: proc)
            try expectSample(source, Self.v1Expected)
        }
    }

    @Test func v1CustomCgroupParentFoundThroughProc() throws {
        let relative = "ci-jobs/\(Fixture.id)"
        try withTrees(Fixture.v1Tree(relative), cgroupLine: "4:memory:/\(relative)\n0::/\(relative)\n") { cg, proc in
            let source = try CgroupStatsSource.detect(info: info(version: "1", driver: "cgroupfs"), cgroupRoot: cg, procRoot: proc)
            try expectSample(source, Self.v1Expected)
        }
    }

    @Test func hostNetworkHasNoOwnCounters() throws {
        try withTrees(Fixture.v2Tree("docker/\(Fixture.id)")) { cg, proc in
            let source = try CgroupStatsSource.detect(info: info(version: "2", driver: "cgroupfs"), cgroupRoot: cg, procRoot: proc)
            #expect(try source.read(StatsTarget(id: Fixture.id, pid: Self.pid, networkMode: "host")).networks.isEmpty)
        }
    }

    @Test func wrongHierarchyIsReportedAtStartup() throws {
        try withTrees(Fixture.v1Tree("docker/\(Fixture.id)")) { cg, proc in
            let error = #expect(throws: StatsSourceError.self) {
                try CgroupStatsSource.detect(info: info(version: "2", driver: "systemd"), cgroupRoot: cg, procRoot: proc)
            }
            #expect(error?.description.contains("looks like a cgroup v1 hierarchy") == true)
        }
    }

    @Test func wrongProcRootIsNotAGoneContainer() throws {
        try withTrees(Fixture.v2Tree("docker/\(Fixture.id)")) { cg, _ in
            let source = try CgroupStatsSource.detect(info: info(version: "2", driver: "cgroupfs"), cgroupRoot: cg, procRoot: "/nonexistent/proc")
            #expect(throws: StatsSourceError.unreadable(path: "/nonexistent/proc/stat", reason: "no such file; is the host's /proc mounted there?")) {
                try source.read(target)
            }
        }
    }

    @Test func unknownAndVanishedContainers() throws {
        try withTrees(Fixture.v2Tree("docker/\(Fixture.id)")) { cg, proc in
            let source = try CgroupStatsSource.detect(info: info(version: "2", driver: "cgroupfs"), cgroupRoot: cg, procRoot: proc)
            let error = #expect(throws: StatsSourceError.self) { try source.read(StatsTarget(id: "feedface", pid: 0)) }
            guard case .cgroupNotFound(let id, let tried)? = error else {
                Issue.record("expected cgroupNotFound, got \(String(describing: error))")
                return
            }
            #expect(id == "feedface")
            #expect(tried == ["\(cg)/docker/feedface", "\(cg)/system.slice/docker-feedface.scope"])
            // The directory is still there but its files went away with the container.
            let emptied = try FixtureDirectory("cgroup-empty", files: ["cgroup.controllers": "cpu memory\n"])
            defer { emptied.remove() }
            try emptied.makeDirectory("docker/\(Fixture.id)")
            let gone = CgroupStatsSource(
                layout: CgroupLayout(version: .v2, driver: .cgroupfs, root: emptied.path),
                procRoot: proc,
                hostMemTotal: Self.memTotal
            )
            #expect(throws: StatsSourceError.containerGone(id: Fixture.id)) { try gone.read(target) }
        }
    }
}
