import ContainerMetrics
import Librato
import Testing
import WireFormat

@_spi(Benchmarks) @testable import Hub

/// Container states (health, restarts, uptime, exit code, OOM kill) and each engine's containers by state: the latest
/// of each period is posted, per container and rolled up per host and cluster, counted once however many collectors
/// report an engine.
@Suite("hub: container states and counts by state")
struct ContainerStateTests {
    let config = HubConfiguration(periodMs: 60_000, graceMs: 4_000, startupGraceMs: 0, takeoverAfterMs: 25_000)

    func counts(_ pairs: [ContainerStatus.State: UInt64], at t: Int64) -> HostStates {
        var h = HostStates(time: t)
        for (state, n) in pairs { h[state] = n }
        return h
    }

    func values(_ m: [Measurement], _ name: String) -> [String: Double] {
        var out: [String: Double] = [:]
        for x in m where x.name == name {
            if case .single(let v) = x.value { out[x.source ?? ""] = v }
        }
        return out
    }

    @Test func theLatestStateOfAPeriodIsPostedPerContainer() {
        var hub = HubCore(configuration: config, now: 0)
        var a = FakeCollector()
        hub.ingest(a.frame { $0.status(web, ContainerStatus(time: 70_000, state: .running, health: .starting, startedAt: 10_000)) }, now: 70_000)
        hub.ingest(
            a.frame { $0.status(web, ContainerStatus(time: 110_000, state: .running, health: .unhealthy, restartCount: 3, startedAt: 50_000)) },
            now: 110_000)
        // An older state arriving later (a retransmission) does not replace the newer one.
        hub.ingest(a.frame { $0.status(web, ContainerStatus(time: 80_000, state: .running, health: .healthy, startedAt: 10_000)) }, now: 111_000)
        let periods = hub.deliverAll(now: 124_000)
        #expect(container("web-1", in: periods)[0].status?.health == .unhealthy)
        let m = NamingScheme(mode: .standard, periodSeconds: 60).measurements(for: periods[0])
        let source = "c1:host-a:web-1"
        #expect(values(m, "docker.container.health")[source] == 0)
        #expect(values(m, "docker.container.restarts")[source] == 3)
        #expect(values(m, "docker.container.uptime")[source] == 60)
        #expect(values(m, "docker.container.exit_code")[source] == 0)
        #expect(values(m, "docker.container.oom_killed")[source] == 0)
        #expect(values(m, "docker.cluster.containers.unhealthy")["c1"] == 1)
        #expect(values(m, "docker.host.containers.unhealthy")["c1:host-a"] == 1)
        #expect(hub.counters[.statesApplied] == 3)
    }

    @Test func aStoppedContainerPostsItsExitCodeAndOOMKillButNoUptimeOrHealth() {
        var hub = HubCore(configuration: config, now: 0)
        var a = FakeCollector()
        hub.ingest(a.frame { $0.status(db, ContainerStatus(time: 65_000, state: .exited, exitCode: 137, oomKilled: true)) }, now: 65_000)
        let m = NamingScheme(mode: .standard, periodSeconds: 60).measurements(for: hub.deliverAll(now: 124_000)[0])
        let source = "c1:host-a:db"
        #expect(values(m, "docker.container.exit_code")[source] == 137)
        #expect(values(m, "docker.container.oom_killed")[source] == 1)
        #expect(values(m, "docker.container.uptime")[source] == nil)
        #expect(values(m, "docker.container.health")[source] == nil, "no HEALTHCHECK: no health series")
    }

    @Test func twoCollectorsOnOneEngineCountItsContainersOnceAndHostsAddUpToTheCluster() {
        var hub = HubCore(configuration: config, now: 0)
        var a = FakeCollector()
        var b = FakeCollector()  // the same engine as A
        var c = FakeCollector()
        c.engine = "ENGINE-C"
        c.host = "host-c"
        hub.ingest(a.frame { $0.hostStates.append(counts([.running: 4, .exited: 2], at: 70_000)) }, now: 70_000)
        hub.ingest(b.frame { $0.hostStates.append(counts([.running: 5, .exited: 2], at: 80_000)) }, now: 80_000)
        hub.ingest(a.frame { $0.hostStates.append(counts([.running: 3, .exited: 3], at: 75_000)) }, now: 81_000)  // older: ignored
        hub.ingest(c.frame { $0.hostStates.append(counts([.running: 1, .paused: 1, .dead: 1], at: 71_000)) }, now: 71_000)
        let m = NamingScheme(mode: .standard, periodSeconds: 60).measurements(for: hub.deliverAll(now: 124_000)[0])
        #expect(values(m, "docker.host.containers.running") == ["c1:host-a": 5, "c1:host-c": 1])
        #expect(values(m, "docker.host.containers.exited") == ["c1:host-a": 2, "c1:host-c": 0])
        #expect(values(m, "docker.cluster.containers.running") == ["c1": 6])
        #expect(values(m, "docker.cluster.containers.exited") == ["c1": 2])
        #expect(values(m, "docker.cluster.containers.paused") == ["c1": 1])
        #expect(values(m, "docker.cluster.containers.dead") == ["c1": 1])
        #expect(values(m, "docker.cluster.containers.restarting") == ["c1": 0])
        #expect(values(m, "docker.cluster.containers.created") == ["c1": 0])
    }

    @Test func anEngineWithoutCountsIsCountedByItsContainersWithStats() {
        // An older collector sends no counts: its containers with stats count as running, as before.
        var hub = HubCore(configuration: config, now: 0)
        var a = FakeCollector()
        var old = FakeCollector()
        old.engine = "ENGINE-OLD"
        old.host = "host-old"
        hub.ingest(a.frame { $0.hostStates.append(counts([.running: 2, .exited: 1], at: 70_000)) }, now: 70_000)
        hub.ingest(old.frame { $0.stats(db, sample(at: 70_000)) }, now: 70_000)
        let m = NamingScheme(mode: .standard, periodSeconds: 60).measurements(for: hub.deliverAll(now: 124_000)[0])
        #expect(values(m, "docker.cluster.containers.running") == ["c1": 3])
        #expect(values(m, "docker.host.containers.running") == ["c1:host-a": 2, "c1:host-old": 1])
        #expect(values(m, "docker.host.containers.exited") == ["c1:host-a": 1], "an engine without counts posts running only")
    }

    @Test func statesForAClosedPeriodAreDroppedAndCounted() {
        var hub = HubCore(configuration: config, now: 0)
        var a = FakeCollector()
        hub.ingest(a.frame { $0.stats(web, sample(at: 70_000)) }, now: 70_000)
        _ = hub.deliverAll(now: 124_000)
        hub.ingest(a.frame { $0.status(web, ContainerStatus(time: 70_000, state: .running)) }, now: 125_000)
        hub.ingest(a.frame { $0.hostStates.append(counts([.running: 1], at: 70_000)) }, now: 125_000)
        #expect(hub.counters[.lateStates] == 2)
        #expect(hub.deliverAll(now: 250_000).isEmpty)
    }

    @Test func stateSeriesFollowTheMetricGroupsKnob() {
        var hub = HubCore(configuration: config, now: 0)
        var a = FakeCollector()
        hub.ingest(a.frame { $0.status(web, ContainerStatus(time: 70_000, state: .running, health: .healthy, startedAt: 10_000)) }, now: 70_000)
        let period = hub.deliverAll(now: 124_000)[0]
        var groups = Set(SeriesSelection.Group.allCases)
        groups.remove(.state)
        let without = NamingScheme(mode: .standard, periodSeconds: 60, selection: SeriesSelection(groups: groups)).measurements(for: period)
        #expect(!without.contains { $0.name.hasPrefix("docker.container.") })
        #expect(values(without, "docker.cluster.containers.healthy") == ["c1": 1], "roll-ups stay")
    }
}
