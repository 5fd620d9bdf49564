@_spi(Simulation) import Collector
import ContainerMetrics
import DockerEngine
import DockerLibratoTesting
import Testing

/// Both sources against the real dockerd and the host's /sys/fs/cgroup: they must give the same numbers, and
/// those numbers must be `docker stats`'. Fails (never skips) without a running dockerd.
@Suite(.dockerDaemon) struct LiveAgreementTests {
    func withSources<T>(_ body: (DockerClient, APIStatsSource, CgroupStatsSource) async throws -> T) async throws -> T {
        try await DockerTestHelper.withClient { client in
            let cgroup = try CgroupStatsSource.detect(info: try await client.info(), includeLoopback: true)
            return try await body(client, APIStatsSource(client: client), cgroup)
        }
    }

    /// Two samples from each source over the same ~2 s window.
    func window(_ target: StatsTarget, _ api: APIStatsSource, _ cgroup: CgroupStatsSource) async throws -> (api: StatsInterval, cgroup: StatsInterval)
    {
        let a0 = try await api.sample(target)
        let c0 = try await cgroup.sample(target)
        try await Task.sleep(for: .seconds(2))  // the measurement window itself, not a synchronisation
        let a1 = try await api.sample(target)
        let c1 = try await cgroup.sample(target)
        return (StatsInterval.between(a0, a1), StatsInterval.between(c0, c1))
    }

    func relativeDifference(_ a: Double, _ b: Double) -> Double {
        abs(a - b) / max(abs(a), abs(b), 1e-9)
    }

    /// `docker stats --no-stream`'s CPU % for the container (the CLI's own computation from the streamed API).
    static func dockerStatsCPU(_ id: String) async throws -> Double {
        let text = try await DockerTestHelper.docker(["stats", "--no-stream", "--format", "{{.CPUPerc}}", id])
        return try #require(Double(text.replacing("%", with: "")))
    }

    @Test func busyContainerSameNumbersFromBothSources() async throws {
        let container = try await TestContainer.run("stats-busy", command: ["sh", "-c", "yes > /dev/null"])
        defer { container.remove() }
        try await withSources { client, api, cgroup in
            let target = StatsTarget(try await client.inspect(id: container.id))
            // Wait until `yes` is actually burning CPU (the shell forks it after start).
            let busy = try await DockerTestHelper.waitUntil {
                let s0 = try await cgroup.sample(target)
                try await Task.sleep(for: .milliseconds(200))
                return (StatsInterval.between(s0, try await cgroup.sample(target)).cpuPercent ?? 0) > 50
            }
            #expect(busy, "yes never got busy")

            // This host is shared (other test runs, builds): `yes` gets a whole core only when the machine is not
            // saturated. Each attempt measures one window with both sources while `docker stats` (the CLI's own
            // computation from the Engine API) measures alongside; the accuracy bounds are checked on the first
            // window in which all three saw the core available (≥ 85 %). docker stats' window is not ours, so one
            // of them alone seeing the core proves nothing about the other two (a CI run saw docker stats 86 % in
            // a window where both sources, agreeing, saw 82 %). Never finding such a window fails the test, so
            // sources that read low never pass.
            var seen: [String] = []
            var measured: (api: StatsInterval, cgroup: StatsInterval)?
            for _ in 0..<6 {
                let cli = Task { try await Self.dockerStatsCPU(container.id) }
                let (viaAPI, viaCgroup) = try await window(target, api, cgroup)
                let reference = try await cli.value
                let apiCPU = try #require(viaAPI.cpuPercent)
                let cgroupCPU = try #require(viaCgroup.cpuPercent)
                seen.append("API \(apiCPU) %, cgroup \(cgroupCPU) %, docker stats \(reference) %")
                print("busy: \(seen.last!)")
                guard min(reference, apiCPU, cgroupCPU) >= 85 else { continue }
                #expect(relativeDifference(apiCPU, cgroupCPU) <= 0.05, "CPU % API \(apiCPU) vs cgroup \(cgroupCPU)")
                #expect(abs(apiCPU - 100) <= 15, "yes should use one core: API says \(apiCPU)")
                #expect(abs(cgroupCPU - 100) <= 15, "yes should use one core: cgroup says \(cgroupCPU)")
                #expect(abs(cgroupCPU - reference) <= 15, "docker stats \(reference) vs cgroup \(cgroupCPU)")
                #expect(abs(apiCPU - reference) <= 15, "docker stats \(reference) vs API \(apiCPU)")
                measured = (viaAPI, viaCgroup)
                break
            }
            guard let (viaAPI, viaCgroup) = measured else {
                Issue.record("the machine never let `yes` have a core; windows: \(seen.joined(separator: "; "))")
                return
            }
            #expect(relativeDifference(try #require(viaAPI.memoryUsed), try #require(viaCgroup.memoryUsed)) <= 0.05)
            #expect(viaAPI.memoryLimit == viaCgroup.memoryLimit)
            #expect(viaAPI.pids == viaCgroup.pids)
            #expect(viaCgroup.pids == 1)  // busybox sh execs `yes` in place
            #expect((viaCgroup.cpuUserPercent ?? 0) > (viaCgroup.cpuKernelPercent ?? 0))
        }
    }

    @Test func idleContainerNearZeroInBothSources() async throws {
        let container = try await TestContainer.run("stats-idle", command: ["sleep", "300"])
        defer { container.remove() }
        try await withSources { client, api, cgroup in
            let target = StatsTarget(try await client.inspect(id: container.id))
            let (viaAPI, viaCgroup) = try await window(target, api, cgroup)
            let apiCPU = try #require(viaAPI.cpuPercent)
            let cgroupCPU = try #require(viaCgroup.cpuPercent)
            print("idle: CPU % via API \(apiCPU), via cgroup \(cgroupCPU)")
            #expect(apiCPU < 1 && cgroupCPU < 1)
            #expect(relativeDifference(try #require(viaAPI.memoryUsed), try #require(viaCgroup.memoryUsed)) <= 0.05)
            #expect(viaAPI.pids == 1 && viaCgroup.pids == 1)
        }
    }

    /// Network counters of the container's own namespace: `--network none` still has `lo`.
    @Test func loopbackTrafficIsCounted() async throws {
        let container = try await TestContainer.run("stats-net", command: ["sleep", "300"])
        defer { container.remove() }
        try await withSources { client, _, cgroup in
            let target = StatsTarget(try await client.inspect(id: container.id))
            let before = try await cgroup.sample(target)
            #expect(before.networks.map(\.interface) == ["lo"])
            try await DockerTestHelper.docker(["exec", container.id, "ping", "-c", "3", "127.0.0.1"])
            let after = try await cgroup.sample(target)
            let delta = try #require(StatsInterval.between(before, after).networkTotal)
            #expect(delta.rxPackets >= 6)  // 3 requests and 3 replies, all received on lo
            #expect(delta.txPackets == delta.rxPackets)
            // Without loopback (the default), a `--network none` container has no counters, like the API.
            let plain = CgroupStatsSource(layout: cgroup.layout, hostMemTotal: cgroup.hostMemTotal)
            #expect(try await plain.sample(target).networks.isEmpty)
        }
    }

    /// An OOM kill inside the container shows up in the cgroup source's counter.
    @Test func oomKillsAreCounted() async throws {
        let container = try await TestContainer.run(
            "stats-oom",
            options: ["--memory", "16m", "--memory-swap", "16m"],
            // The hog raises its own oom_score_adj so the kernel never picks the container's PID 1 instead (seen once
            // under load in CI: the container then exited and its cgroup was gone before the counter was read).
            command: ["sh", "-c", "(echo 1000 > /proc/self/oom_score_adj; head -c 64m /dev/zero | tail > /dev/null); sleep 300"]
        )
        defer { container.remove() }
        try await withSources { client, _, cgroup in
            let target = StatsTarget(try await client.inspect(id: container.id))
            let killed = try await DockerTestHelper.waitUntil { (try await cgroup.sample(target).memory?.oomKills ?? 0) >= 1 }
            #expect(killed)
            #expect(try await cgroup.sample(target).memory?.limit == 16 * 1024 * 1024)
        }
    }

    @Test func goneContainersAreReportedAsGone() async throws {
        let container = try await TestContainer.run("stats-gone", command: ["sleep", "300"])
        defer { container.remove() }
        try await withSources { client, api, cgroup in
            let target = StatsTarget(try await client.inspect(id: container.id))
            await container.removeNow()
            await #expect(throws: StatsSourceError.containerGone(id: container.id)) { try await api.sample(target) }
            await #expect(throws: StatsSourceError.containerGone(id: container.id)) { try await cgroup.sample(target) }
        }
    }
}
