import ContainerMetrics
import DockerLibratoTesting
import Logging
import Testing

@_spi(Benchmarks) @testable import Hub
@testable import Librato

@Suite("dashboard: the space's charts draw what the naming scheme posts")
struct DashboardTests {
    static let combinations: [(NamingMode, LibratoAPI)] = NamingMode.allCases.flatMap { n in LibratoAPI.allCases.map { (n, $0) } }

    /// One period in which two containers on two hosts did everything the hub names: every gauge and counter, log
    /// lines, every charted event, a compose service, every health state; the engines' counts of every state.
    static func busyPeriod(cluster: String) -> ClosedPeriod {
        func container(_ name: String, host: String, image: String, health: ContainerStatus.Health) -> ContainerPeriod {
            var c = ContainerPeriod(
                identity: ContainerIdentity(id: name, name: name, image: image, labels: ["com.docker.compose.service": "web"]), cluster: cluster,
                host: host, engineID: host)
            for g in ContainerGauge.allCases { c.add(g, 10) }
            for k in ContainerCounter.allCases { c.add(k, 5) }
            c.samples = 1
            c.events = Dashboard.chartedEvents.enumerated().map { LifecycleEvent(timeNano: Int64(60 + $0.offset) * 1_000_000_000, action: $0.element) }
            c.status = ContainerStatus(time: 61_000, state: .running, health: health, restartCount: 2, startedAt: 1_000)
            return c
        }
        let counts = HostStates(time: 61_000, counts: ContainerStatus.State.allCases.map { _ in 1 })
        return ClosedPeriod(
            start: 60_000,
            containers: [
                container("web-1", host: "node-1", image: "octoblu/meshblu:v2", health: .healthy),
                container("db", host: "node-2", image: "postgres:16", health: .unhealthy),
                container("cache", host: "node-2", image: "redis:7", health: .starting),
            ],
            hosts: [HostPeriod(cluster: cluster, host: "node-1", states: counts), HostPeriod(cluster: cluster, host: "node-2", states: counts)])
    }

    /// A glob as Librato's source patterns read it: `*` matches any run of characters (`:` included).
    static func glob(_ pattern: String, _ s: String) -> Bool {
        var p = Substring(pattern)
        var t = Substring(s)
        guard let star = p.firstIndex(of: "*") else { return pattern.lowercased() == s.lowercased() }
        let head = p[..<star]
        guard t.lowercased().hasPrefix(head.lowercased()) else { return false }
        t = t.dropFirst(head.count)
        p = p[p.index(after: star)...]
        return (0...t.count).contains { glob(String(p), String(t.dropFirst($0))) }
    }

    /// Whether a stream's series selects `m` (its source, or its tags).
    static func selects(_ series: StreamDefinition.Series, _ m: Librato.Measurement, api: LibratoAPI) -> Bool {
        guard case .valid(let clean, _) = Sanitiser.measurement(m, for: api) else { return false }
        switch series {
        case .source(let pattern): return clean.source.map { glob(pattern, $0) } ?? false
        case .tags(let filters):
            return filters.allSatisfy { f in clean.tags[f.name].map { v in f.values.contains { glob($0, v) } } ?? false }
        }
    }

    @Test("every stream's metric is posted, and its source pattern or tag filter selects the cluster's series", arguments: combinations)
    func streamsSelectPostedSeries(naming: NamingMode, api: LibratoAPI) {
        for cluster in ["prod", "my cluster"] {
            let posted = NamingScheme(mode: naming, periodSeconds: 60, api: api).measurements(for: Self.busyPeriod(cluster: cluster))
            let other = NamingScheme(mode: naming, periodSeconds: 60, api: api).measurements(for: Self.busyPeriod(cluster: "prod-eu"))
            let space = Dashboard.space(name: "s", cluster: cluster, naming: naming, api: api)
            #expect(space.charts.count == (naming == .seed ? 5 : 23))
            #expect(SpacePlanner.problems(space).isEmpty)
            for chart in space.charts {
                for stream in chart.streams {
                    let series = posted.filter { $0.name == stream.metric }
                    #expect(!series.isEmpty, "\(chart.name): \(stream.metric) is not posted with \(naming) naming")
                    #expect(series.contains { Self.selects(stream.series, $0, api: api) }, "\(chart.name): \(stream.metric) selects none of \(cluster)'s series")
                    // Never another cluster's series.
                    #expect(!other.contains { $0.name == stream.metric && Self.selects(stream.series, $0, api: api) }, "\(chart.name) \(stream.metric)")
                    switch (stream.series, api) {
                    case (.source, .legacy), (.tags, .tagged): break
                    default: Issue.record("\(chart.name): a \(api) space needs \(api == .legacy ? "source" : "tag")-based streams")
                    }
                }
            }
        }
    }

    @Test("seed mode charts only the original's five gauges")
    func seedCharts() {
        let metrics = Set(Dashboard.space(name: "s", cluster: "c", naming: .seed, api: .legacy).charts.flatMap(\.streams).map(\.metric))
        #expect(metrics == Set(SeedNames.gauges.map(\.1)))
    }

    @Test("per-host and per-container charts draw a line each; cluster charts the cluster's series (legacy sources)")
    func legacyPatterns() {
        let streams = Dashboard.space(name: "s", cluster: "my cluster", naming: .standard, api: .legacy).charts.flatMap(\.streams)
        func source(_ metric: String) -> StreamDefinition? { streams.first { $0.metric == metric } }
        #expect(source("docker.cluster.cpu.percent")?.series == .source("my_cluster"))
        #expect(source("docker.host.cpu.percent")?.series == .source("my_cluster:*"))
        #expect(source("docker.host.cpu.percent")?.groupFunction == .breakout)
        #expect(source("docker.container.cpu.percent")?.series == .source("my_cluster:*:*"))
        #expect(source("docker.container.cpu.percent")?.groupFunction == .breakout)
        let tagged = Dashboard.space(name: "s", cluster: "my cluster", naming: .standard, api: .tagged).charts.flatMap(\.streams)
        #expect(tagged.first { $0.metric == "docker.container.cpu.percent" }?.series == .tags([
            StreamTag(name: "cluster", values: ["my cluster"]), StreamTag(name: "host", values: ["*"], grouped: true),
            StreamTag(name: "container", values: ["*"], grouped: true),
        ]))
    }

    @Test("the space is accepted by the strict fake, for both APIs and both namings", arguments: combinations)
    func acceptedByTheFake(naming: NamingMode, api: LibratoAPI) async throws {
        let fake = try await FakeLibrato.start()
        let client = LibratoClient(
            configuration: LibratoConfiguration(baseURL: fake.baseURL, api: api),
            credentials: LibratoCredentials(email: fake.configuration.email, token: fake.configuration.token),
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let space = Dashboard.space(name: Dashboard.defaultName(cluster: "prod"), cluster: "prod", naming: naming, api: api)
        let result: Result<SpaceSyncReport, SpaceSyncError>
        do throws(SpaceSyncError) {
            result = .success(try await client.syncSpace(space))
        } catch {
            result = .failure(error)
        }
        try await client.shutdown()
        try await fake.shutdown()
        let report = try result.get()
        #expect(report.chartsCreated.count == space.charts.count && report.attempts == 1)
        #expect(fake.spaces.map(\.name) == ["docker-librato prod"])
        #expect(fake.spaces.first?.charts.map(\.name) == space.charts.map(\.name))
    }
}
