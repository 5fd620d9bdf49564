public import DockerEngine
public import WireFormat

/// Everything a collector needs to run. The CLI fills it from flags and environment variables (names listed by `docker-librato collector --help`); tests build it directly.
public struct CollectorConfiguration: Sendable {
    /// `CLUSTER_NAME`: the cluster this host belongs to.
    public var cluster: String
    /// `HOST_NAME`: overrides the host name reported (default: the engine's `/info` Name).
    public var hostName: String?
    /// `STATS_INTERVAL`: time between stats samples (default 10 s).
    public var statsInterval: Duration
    /// `DOCKER_HOST`, `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`.
    public var docker: DockerEndpoint
    /// `HUB_ADDRESS`: the hub's PULL address (`tcp://hub:5555`, `ipc:///run/hub.ipc`).
    public var hubAddress: String
    /// `HUB_ACK_ADDRESS`: the hub's control (REP) address (default: `hubAddress` with port + 1).
    public var hubAckAddress: String
    /// `CLUSTER_KEY_FILE` / `CLUSTER_KEY`, or ``ClusterKey/none`` when explicitly running without one.
    public var clusterKey: ClusterKey
    /// `STATE_DIR`: where id, epoch, spool and log checkpoints survive restarts (nil: in memory only).
    public var stateDirectory: String?
    /// `STATS_SOURCE`: where stats come from.
    public var statsSource: StatsSourceChoice
    /// `CGROUP_ROOT` and `PROC_ROOT`: the host's /sys/fs/cgroup and /proc as mounted into the collector.
    public var cgroupRoot: String
    public var procRoot: String
    /// Which containers to follow.
    public var filters: ContainerFilters
    /// `LABEL_TAGS`: labels that become tags (an allow-list; the defaults are compose and swarm service labels).
    public var labelTags: [String]
    /// `COLLECT_LOGS`: follow logs (line/byte counters, l2met).
    public var collectLogs: Bool
    /// A log bucket (one second of one stream) is closed this long after its second when no later line came.
    public var logCloseDelay: Duration
    /// A frame is sent when it is this old or ``frameMaxBytes`` big, whichever comes first.
    public var frameInterval: Duration
    public var frameMaxBytes: Int
    /// Spool bounds: memory, then disk (only with a state directory), then drop-oldest.
    public var spoolMemoryBytes: Int
    public var spoolDiskBytes: Int
    /// Time between heartbeats (self-metrics) to the hub.
    public var heartbeatInterval: Duration

    public static let defaultLabelTags = [
        "com.docker.compose.project", "com.docker.compose.service", "com.docker.swarm.service.name",
        "com.docker.swarm.task.name", "com.docker.stack.namespace",
    ]

    public init(
        cluster: String = "docker", hostName: String? = nil, statsInterval: Duration = .seconds(10),
        docker: DockerEndpoint = .default, hubAddress: String = "tcp://127.0.0.1:5555", hubAckAddress: String? = nil,
        clusterKey: ClusterKey = .none, stateDirectory: String? = nil, statsSource: StatsSourceChoice = .auto,
        cgroupRoot: String = "/sys/fs/cgroup", procRoot: String = "/proc", filters: ContainerFilters = ContainerFilters(),
        labelTags: [String] = CollectorConfiguration.defaultLabelTags, collectLogs: Bool = true,
        logCloseDelay: Duration = .seconds(2), frameInterval: Duration = .seconds(1), frameMaxBytes: Int = 256 * 1024,
        spoolMemoryBytes: Int = 64 << 20, spoolDiskBytes: Int = 1 << 30, heartbeatInterval: Duration = .seconds(10)
    ) {
        self.cluster = cluster
        self.hostName = hostName
        self.statsInterval = statsInterval
        self.docker = docker
        self.hubAddress = hubAddress
        self.hubAckAddress = hubAckAddress ?? (CollectorConfiguration.ackAddress(for: hubAddress) ?? hubAddress)
        self.clusterKey = clusterKey
        self.stateDirectory = stateDirectory
        self.statsSource = statsSource
        self.cgroupRoot = cgroupRoot
        self.procRoot = procRoot
        self.filters = filters
        self.labelTags = labelTags
        self.collectLogs = collectLogs
        self.logCloseDelay = logCloseDelay
        self.frameInterval = frameInterval
        self.frameMaxBytes = frameMaxBytes
        self.spoolMemoryBytes = spoolMemoryBytes
        self.spoolDiskBytes = spoolDiskBytes
        self.heartbeatInterval = heartbeatInterval
    }

    /// The default ack address: the data address with port + 1 (`tcp://hub:5555` → `tcp://hub:5556`); for ipc://
    /// the path with `.ack` appended.
    public static func ackAddress(for dataAddress: String) -> String? {
        if dataAddress.hasPrefix("ipc://") { return dataAddress + ".ack" }
        guard dataAddress.hasPrefix("tcp://"), let colon = dataAddress.lastIndex(of: ":"),
            let port = Int(dataAddress[dataAddress.index(after: colon)...]), port < 65535
        else { return nil }
        return String(dataAddress[..<colon]) + ":\(port + 1)"
    }
}

/// `STATS_SOURCE`.
public enum StatsSourceChoice: String, Sendable, CaseIterable {
    /// cgroup files when readable (costs dockerd nothing), else the Engine API.
    case auto
    case cgroup
    case api
}

/// Include/exclude filters by name, image and label. Patterns are globs (`web-*`, `*/nginx:*`) or regular
/// expressions between slashes (`/^api-[0-9]+$/`); a label pattern is `key` (present) or `key=valueglob`.
/// A container is followed when it matches every non-empty include list and no exclude list.
public struct ContainerFilters: Sendable, Equatable {
    public var includeNames: [String]
    public var excludeNames: [String]
    public var includeImages: [String]
    public var excludeImages: [String]
    public var includeLabels: [String]
    public var excludeLabels: [String]

    public init(
        includeNames: [String] = [], excludeNames: [String] = [], includeImages: [String] = [], excludeImages: [String] = [],
        includeLabels: [String] = [], excludeLabels: [String] = []
    ) {
        self.includeNames = includeNames
        self.excludeNames = excludeNames
        self.includeImages = includeImages
        self.excludeImages = excludeImages
        self.includeLabels = includeLabels
        self.excludeLabels = excludeLabels
    }
}
