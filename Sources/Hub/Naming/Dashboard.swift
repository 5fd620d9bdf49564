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

    /// Container states counted per cluster. `running` is posted today; the others are being added (a chart on a
    /// metric without data is harmless and fills in once they are posted).
    package static let containerStates = ["running", "paused", "restarting", "exited", "dead"]

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
            ChartDefinition(
                name: "Cluster: container states", type: .stacked,
                streams: containerStates.map { s.stream("\(c).containers.\($0)", .cluster, name: $0, units: "containers") }),
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
            ChartDefinition(
                name: "Cluster: network",
                streams: [
                    s.stream("\(c).network.rx.bytes", .cluster, .sum, name: "received", units: "B"),
                    s.stream("\(c).network.tx.bytes", .cluster, .sum, name: "sent", units: "B"),
                ]),
            ChartDefinition(
                name: "Cluster: block I/O",
                streams: [
                    s.stream("\(c).blkio.read.bytes", .cluster, .sum, name: "read", units: "B"),
                    s.stream("\(c).blkio.write.bytes", .cluster, .sum, name: "written", units: "B"),
                ]),
            ChartDefinition(name: "Cluster: log lines", streams: [s.stream("\(c).logs.lines", .cluster, .sum, name: "lines", units: "lines")]),
            ChartDefinition(
                name: "Cluster: events", type: .stacked,
                streams: chartedEvents.map { s.stream("\(c).events.\($0)", .cluster, .sum, name: $0, units: "events") }),
            ChartDefinition(
                name: "Cluster: containers by image", type: .stacked,
                streams: [s.stream("\(c).containers.by_image", .perValue("image"), units: "containers")]),
            ChartDefinition(
                name: "Cluster: containers by service", type: .stacked,
                streams: [s.stream("\(c).containers.by_service", .perValue("service"), units: "containers")]),
        ]
    }

    static func hostCharts(_ s: Selector) -> [ChartDefinition] {
        let h = Rollups.hostPrefix
        return [
            ChartDefinition(name: "Hosts: running containers", streams: [s.stream("\(h).containers.running", .hosts, units: "containers")]),
            ChartDefinition(name: "Hosts: CPU %", streams: [s.stream("\(h).cpu.percent", .hosts, .sum, units: "%")]),
            ChartDefinition(name: "Hosts: memory used", streams: [s.stream("\(h).memory.used", .hosts, .sum, units: "B")]),
            ChartDefinition(
                name: "Hosts: network",
                streams: [
                    s.stream("\(h).network.rx.bytes", .hosts, .sum, name: "received", units: "B"),
                    s.stream("\(h).network.tx.bytes", .hosts, .sum, name: "sent", units: "B"),
                ]),
            ChartDefinition(
                name: "Hosts: block I/O",
                streams: [
                    s.stream("\(h).blkio.read.bytes", .hosts, .sum, name: "read", units: "B"),
                    s.stream("\(h).blkio.write.bytes", .hosts, .sum, name: "written", units: "B"),
                ]),
            ChartDefinition(name: "Hosts: log lines", streams: [s.stream("\(h).logs.lines", .hosts, .sum, units: "lines")]),
        ]
    }

    static func containerCharts(_ s: Selector) -> [ChartDefinition] {
        func gauge(_ g: ContainerGauge) -> String { ContainerNames.gauges.first { $0.0 == g }!.1 }
        func counter(_ k: ContainerCounter) -> String { ContainerNames.counters.first { $0.0 == k }!.1 }
        return [
            ChartDefinition(name: "Containers: CPU %", streams: [s.stream(gauge(.cpuPercent), .containers, units: "%")]),
            ChartDefinition(
                name: "Containers: memory used vs limit",
                streams: [
                    s.stream(gauge(.memoryUsed), .containers, name: "used", units: "B"),
                    s.stream(gauge(.memoryLimit), .containers, name: "limit", units: "B"),
                ]),
            ChartDefinition(
                name: "Containers: network",
                streams: [
                    s.stream(counter(.netRxBytes), .containers, .sum, name: "received", units: "B"),
                    s.stream(counter(.netTxBytes), .containers, .sum, name: "sent", units: "B"),
                ]),
            ChartDefinition(
                name: "Containers: block I/O",
                streams: [
                    s.stream(counter(.blkioReadBytes), .containers, .sum, name: "read", units: "B"),
                    s.stream(counter(.blkioWriteBytes), .containers, .sum, name: "written", units: "B"),
                ]),
            ChartDefinition(
                name: "Containers: log lines",
                streams: [
                    s.stream(ContainerNames.logLines(.stdout), .containers, .sum, name: "stdout", units: "lines"),
                    s.stream(ContainerNames.logLines(.stderr), .containers, .sum, name: "stderr", units: "lines"),
                ]),
            ChartDefinition(
                name: "Containers: restarts, deaths and OOM kills",
                streams: [
                    s.stream(ContainerNames.event("restart"), .containers, .sum, name: "restart", units: "events"),
                    s.stream(ContainerNames.event("die"), .containers, .sum, name: "die", units: "events"),
                    s.stream(counter(.memoryOOMKills), .containers, .sum, name: "OOM kills", units: "kills"),
                ]),
        ]
    }

    // MARK: seed naming

    static func seedCharts(_ s: Selector) -> [ChartDefinition] {
        func seed(_ g: ContainerGauge) -> String { SeedNames.gauges.first { $0.0 == g }!.1 }
        return [
            ChartDefinition(name: "Cluster: CPU % (all containers)", streams: [s.stream(seed(.cpuPercent), .seedCluster, units: "%")]),
            ChartDefinition(name: "Cluster: memory usage (all containers)", streams: [s.stream(seed(.memoryUsage), .seedCluster, units: "B")]),
            ChartDefinition(name: "Containers: CPU %", streams: [s.stream(seed(.cpuPercent), .seedContainers, units: "%")]),
            ChartDefinition(
                name: "Containers: memory usage vs limit",
                streams: [
                    s.stream(seed(.memoryUsage), .seedContainers, name: "usage", units: "B"),
                    s.stream(seed(.memoryLimit), .seedContainers, name: "limit", units: "B"),
                ]),
            ChartDefinition(
                name: "Containers: memory RSS and cache",
                streams: [
                    s.stream(seed(.memoryRSS), .seedContainers, name: "rss", units: "B"),
                    s.stream(seed(.memoryCache), .seedContainers, name: "cache", units: "B"),
                ]),
        ]
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
