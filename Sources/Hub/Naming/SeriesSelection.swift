public import Librato

/// Which series the hub posts: the knobs that cut volume when an account's limit or bill matters, and the order in
/// which series are served when the account's budget cannot take a whole period (docs/metrics.md, "Volume").
public struct SeriesSelection: Sendable, Equatable {
    /// Per-container metric groups (`LIBRATO_METRIC_GROUPS`).
    public enum Group: String, Sendable, CaseIterable {
        case cpu, memory, pids, network, blkio, logs, events, state, l2met
    }

    /// `LIBRATO_CONTAINER_SERIES`: post per-container series (roll-ups per cluster and host are always posted).
    public var containerSeries: Bool
    /// `LIBRATO_METRIC_GROUPS`: the per-container groups posted.
    public var groups: Set<Group>
    /// `LIBRATO_INTERFACE_SERIES`: per-interface network series for containers with more than one interface.
    public var interfaceSeries: Bool

    public init(containerSeries: Bool = true, groups: Set<Group> = Set(Group.allCases), interfaceSeries: Bool = true) {
        self.containerSeries = containerSeries
        self.groups = groups
        self.interfaceSeries = interfaceSeries
    }

    /// Everything (the default).
    public static let all = SeriesSelection()

    /// The metric group of a per-container measurement name (l2met names are the containers' own).
    static func group(ofContainerMetric name: String) -> Group {
        guard name.hasPrefix("docker.container.") else { return .l2met }
        let rest = name.dropFirst("docker.container.".count)
        if rest.hasPrefix("cpu.") { return .cpu }
        if rest.hasPrefix("memory.") { return .memory }
        if rest == "pids" { return .pids }
        if rest.hasPrefix("network.") { return .network }
        if rest.hasPrefix("blkio.") { return .blkio }
        if rest.hasPrefix("logs.") { return .logs }
        if rest.hasPrefix("events.") { return .events }
        if ["uptime", "restarts", "exit_code", "oom_killed", "health"].contains(rest) { return .state }
        return .l2met
    }

    /// Whether a per-container measurement is posted.
    func keeps(containerMetric name: String) -> Bool {
        guard containerSeries else { return false }
        if !interfaceSeries, name.hasPrefix("docker.container.network.interface.") { return false }
        return groups.contains(Self.group(ofContainerMetric: name))
    }

    /// Serving order under a budget, lowest first: the hub's own metrics, cluster roll-ups, host roll-ups, then
    /// container series — CPU, memory and pids before logs and events, before network and block I/O, before
    /// per-interface series and l2met measurements — so that a cut leaves every container its most useful series.
    static func rank(_ m: Measurement) -> Int {
        if m.tags["container"] != nil {
            if m.name.hasPrefix("docker.container.network.interface.") { return 30 + 3 }
            switch group(ofContainerMetric: m.name) {
            case .cpu, .memory, .pids: return 30
            case .logs, .events, .state: return 31
            case .network, .blkio: return 32
            case .l2met: return 34
            }
        }
        if m.name.hasPrefix("docker_librato.") { return 0 }
        if m.name.hasPrefix("docker.cluster.containers.by_") { return 11 }
        if m.name.hasPrefix("docker.cluster.") { return 10 }
        if m.name.hasPrefix("docker.host.") { return 20 }
        return 25
    }

    /// The class of a rank, for counting what was cut.
    static func className(ofRank r: Int) -> String {
        switch r {
        case ..<10: "self"
        case ..<20: "cluster"
        case ..<30: "host"
        default: "container"
        }
    }
}
