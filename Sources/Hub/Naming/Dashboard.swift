import ContainerMetrics
import Librato

/// The Librato Space `docker-librato space` keeps for a cluster: charts over the names this naming scheme posts,
/// with source patterns (legacy API) or tag filters (tagged API) that select the cluster's series. docs/metrics.md
/// ("Dashboards") lists the charts.
///
/// `default` naming: the cluster (container states, CPU, memory, network, block I/O, log lines, events, containers by
/// image and service), one line per host, one line per container. `seed` naming has only the original's five
/// gauges, so its space shows those, per container and summed over the cluster.
package enum Dashboard {
    /// The space's name unless one is given: `docker-librato <cluster>`.
    package static func defaultName(cluster: String) -> String { "docker-librato \(cluster)" }

    /// Container states counted per cluster (of `docker.cluster.containers.<state>`; `created` is posted, not charted).
    package static let containerStates = ["running", "paused", "restarting", "exited", "dead"]
    /// Health states charted (of `docker.cluster.containers.<health>`).
    package static let healthStates = ["healthy", "unhealthy", "starting"]

    /// Lifecycle events charted (of `docker.{cluster,container}.events.<action>`).
    static let chartedEvents = ["start", "die", "restart", "oom", "kill", "health_status"]

    package static func space(name: String, cluster: String, naming: NamingMode, api: LibratoAPI) -> SpaceDefinition {
        let s = Selector(cluster: cluster, api: api)
        switch naming {
        case .standard: return SpaceDefinition(name: name, charts: clusterCharts(s) + hostCharts(s) + containerCharts(s))
        case .seed: return SpaceDefinition(name: name, charts: seedCharts(s))
        }
    }

    // MARK: default naming

    static func clusterCharts(_ s: Selector) -> [ChartDefinition] {
        let c = Rollups.clusterPrefix
        return [
            chart("Cluster: container states", s, .cluster, type: .stacked, units: "containers", containerStates.map { ("\(c).containers.\($0)", $0) }),
            chart("Cluster: container health", s, .cluster, type: .stacked, units: "containers", healthStates.map { ("\(c).containers.\($0)", $0) }),
            ChartDefinition(
                name: "Cluster: CPU %",
                streams: [
                    s.stream("\(c).cpu.percent", .cluster, .sum, name: "all containers", units: "%"),
                    s.stream("\(c).cpu.percent", .cluster, .max, name: "busiest container", units: "%"),
                ]),
            ChartDefinition(
                name: "Cluster: memory used",
                streams: [
                    s.stream("\(c).memory.used", .cluster, .sum, name: "all containers", units: "B"),
                    s.stream("\(c).memory.used", .cluster, .max, name: "largest container", units: "B"),
                ]),
        ] + traffic(s, prefix: c, title: "Cluster", .cluster) + [
            chart("Cluster: events", s, .cluster, .sum, type: .stacked, units: "events", chartedEvents.map { ("\(c).events.\($0)", $0) }),
            chart("Cluster: containers by image", s, .perValue("image"), type: .stacked, units: "containers", [("\(c).containers.by_image", nil)]),
            chart("Cluster: containers by service", s, .perValue("service"), type: .stacked, units: "containers", [("\(c).containers.by_service", nil)]),
        ]
    }

    static func hostCharts(_ s: Selector) -> [ChartDefinition] {
        let h = Rollups.hostPrefix
        return [
            chart("Hosts: running containers", s, .hosts, units: "containers", [("\(h).containers.running", nil)]),
            chart("Hosts: CPU %", s, .hosts, .sum, units: "%", [("\(h).cpu.percent", nil)]),
            chart("Hosts: memory used", s, .hosts, .sum, units: "B", [("\(h).memory.used", nil)]),
        ] + traffic(s, prefix: h, title: "Hosts", .hosts)
    }

    /// Network, block I/O and log lines of a roll-up (`docker.cluster`, `docker.host`): totals per period.
    static func traffic(_ s: Selector, prefix p: String, title: String, _ scope: Scope) -> [ChartDefinition] {
        [
            chart("\(title): network", s, scope, .sum, units: "B", [("\(p).network.rx.bytes", "received"), ("\(p).network.tx.bytes", "sent")]),
            chart("\(title): block I/O", s, scope, .sum, units: "B", [("\(p).blkio.read.bytes", "read"), ("\(p).blkio.write.bytes", "written")]),
            chart("\(title): log lines", s, scope, .sum, units: "lines", [("\(p).logs.lines", "lines")]),
        ]
    }

    static func containerCharts(_ s: Selector) -> [ChartDefinition] {
        func gauge(_ g: ContainerGauge) -> String { ContainerNames.gauges.first { $0.0 == g }!.1 }
        func counter(_ k: ContainerCounter) -> String { ContainerNames.counters.first { $0.0 == k }!.1 }
        return [
            chart("Containers: CPU %", s, .containers, units: "%", [(gauge(.cpuPercent), nil)]),
            chart("Containers: memory used vs limit", s, .containers, units: "B", [(gauge(.memoryUsed), "used"), (gauge(.memoryLimit), "limit")]),
            chart("Containers: network", s, .containers, .sum, units: "B", [(counter(.netRxBytes), "received"), (counter(.netTxBytes), "sent")]),
            chart(
                "Containers: block I/O", s, .containers, .sum, units: "B", [(counter(.blkioReadBytes), "read"), (counter(.blkioWriteBytes), "written")]),
            chart(
                "Containers: log lines", s, .containers, .sum, units: "lines",
                [(ContainerNames.logLines(.stdout), "stdout"), (ContainerNames.logLines(.stderr), "stderr")]),
            chart(
                "Containers: restarts, deaths and OOM kills", s, .containers, .sum, units: "events",
                [(ContainerNames.event("restart"), "restart"), (ContainerNames.event("die"), "die"), (counter(.memoryOOMKills), "OOM kills")]),
            chart("Containers: health (1 healthy, 0.5 starting, 0 unhealthy)", s, .containers, units: "", [("docker.container.health", nil)]),
        ]
    }

    // MARK: seed naming

    static func seedCharts(_ s: Selector) -> [ChartDefinition] {
        func seed(_ g: ContainerGauge) -> String { SeedNames.gauges.first { $0.0 == g }!.1 }
        return [
            chart("Cluster: CPU % (all containers)", s, .seedCluster, units: "%", [(seed(.cpuPercent), nil)]),
            chart("Cluster: memory usage (all containers)", s, .seedCluster, units: "B", [(seed(.memoryUsage), nil)]),
            chart("Containers: CPU %", s, .seedContainers, units: "%", [(seed(.cpuPercent), nil)]),
            chart(
                "Containers: memory usage vs limit", s, .seedContainers, units: "B", [(seed(.memoryUsage), "usage"), (seed(.memoryLimit), "limit")]),
            chart("Containers: memory RSS and cache", s, .seedContainers, units: "B", [(seed(.memoryRSS), "rss"), (seed(.memoryCache), "cache")]),
        ]
    }

    /// A chart whose streams share a scope, a summary function and units: one per (metric, legend name).
    static func chart(
        _ name: String, _ s: Selector, _ scope: Scope, _ summary: StreamDefinition.SummaryFunction = .average,
        type: ChartDefinition.Kind = .line, units: String, _ streams: [(metric: String, name: String?)]
    ) -> ChartDefinition {
        ChartDefinition(name: name, type: type, streams: streams.map { s.stream($0.metric, scope, summary, name: $0.name, units: units) })
    }

    // MARK: selecting series

    /// Which series of a metric a stream draws, and how they combine.
    enum Scope {
        /// The cluster's one series (source `CLUSTER`; tag `cluster`).
        case cluster
        /// One line per value of a roll-up's second part (source `CLUSTER:*`; tag `cluster` + grouped `tag`).
        case perValue(String)
        /// One line per host (source `CLUSTER:*`; tags `cluster` + grouped `host`).
        case hosts
        /// One line per container (source `CLUSTER:*:*`; tags `cluster` + grouped `host`, `container`).
        case containers
        /// Seed naming: every container of the cluster summed (source `CLUSTER:*:*`; tag `cluster`).
        case seedCluster
        /// Seed naming: one line per container (source `CLUSTER:*:*`; tags `cluster` + grouped `container`).
        case seedContainers
    }

    /// Builds streams for one cluster and API: sources as the sanitiser makes them (legacy), tag filters as the tags
    /// are posted (tagged).
    struct Selector {
        var source: String
        var tag: String
        var api: LibratoAPI

        init(cluster: String, api: LibratoAPI) {
            self.source = Sanitiser.source(cluster) ?? cluster
            self.tag = Sanitiser.tagValue(cluster) ?? cluster
            self.api = api
        }

        func stream(
            _ metric: String, _ scope: Scope, _ summary: StreamDefinition.SummaryFunction = .average, name: String? = nil,
            units: String? = nil
        ) -> StreamDefinition {
            let series: StreamDefinition.Series
            let group: StreamDefinition.GroupFunction
            switch api {
            case .legacy:
                switch scope {
                case .cluster: (series, group) = (.source(source), .sum)
                case .perValue, .hosts: (series, group) = (.source("\(source):*"), .breakout)
                case .containers, .seedContainers: (series, group) = (.source("\(source):*:*"), .breakout)
                case .seedCluster: (series, group) = (.source("\(source):*:*"), .sum)
                }
            case .tagged:
                let cluster = StreamTag(name: "cluster", values: [tag])
                func each(_ names: String...) -> [StreamTag] { names.map { StreamTag(name: $0, values: ["*"], grouped: true) } }
                group = .sum
                switch scope {
                case .cluster, .seedCluster: series = .tags([cluster])
                case .perValue(let tag): series = .tags([cluster] + each(tag))
                case .hosts: series = .tags([cluster] + each("host"))
                case .containers: series = .tags([cluster] + each("host", "container"))
                case .seedContainers: series = .tags([cluster] + each("container"))
                }
            }
            return StreamDefinition(metric: metric, series: series, groupFunction: group, summaryFunction: summary, name: name, unitsShort: units)
        }
    }
}
