import ArgumentParser
import Collector
import DockerEngine

/// What a collector reads and how (the data side), shared by `collector` and `standalone`.
struct CollectorOptions: ParsableArguments {
    @Option(name: .customLong("cluster"), help: "The cluster this host belongs to. [env: CLUSTER_NAME] (default: docker)")
    var cluster: String?

    @Option(name: .customLong("host-name"), help: "Host name to report. [env: HOST_NAME] (default: the Docker engine's name)")
    var hostName: String?

    @Option(name: .customLong("stats-interval"), help: "Seconds between stats samples. [env: STATS_INTERVAL] (default: 10)")
    var statsInterval: String?

    @Option(
        name: .customLong("stats-source"),
        help: "auto (cgroup files when readable, costing dockerd nothing; else the Engine API), cgroup, or api. [env: STATS_SOURCE] (default: auto)")
    var statsSource: String?

    @Option(name: .customLong("docker-host"), help: "Docker endpoint: unix:///var/run/docker.sock or tcp://HOST:PORT (TLS with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, as the docker CLI). [env: DOCKER_HOST]")
    var dockerHost: String?

    @Option(name: .customLong("cgroup-root"), help: "The host's /sys/fs/cgroup as mounted here. [env: CGROUP_ROOT] (default: /sys/fs/cgroup)")
    var cgroupRoot: String?

    @Option(name: .customLong("proc-root"), help: "The host's /proc as mounted here (network counters from /proc/<pid>/net/dev). [env: PROC_ROOT] (default: /proc)")
    var procRoot: String?

    @Option(name: .customLong("include-names"), help: "Follow only containers whose name matches one of these comma-separated globs or /regex/. [env: INCLUDE_NAMES]")
    var includeNames: String?
    @Option(name: .customLong("exclude-names"), help: "Do not follow containers whose name matches. [env: EXCLUDE_NAMES]")
    var excludeNames: String?
    @Option(name: .customLong("include-images"), help: "Follow only containers whose image matches. [env: INCLUDE_IMAGES]")
    var includeImages: String?
    @Option(name: .customLong("exclude-images"), help: "Do not follow containers whose image matches. [env: EXCLUDE_IMAGES]")
    var excludeImages: String?
    @Option(name: .customLong("include-labels"), help: "Follow only containers with one of these labels (`key` or `key=glob`). [env: INCLUDE_LABELS]")
    var includeLabels: String?
    @Option(name: .customLong("exclude-labels"), help: "Do not follow containers with one of these labels. [env: EXCLUDE_LABELS]")
    var excludeLabels: String?

    @Option(
        name: .customLong("label-tags"),
        help: "Comma-separated labels that become tags (an allow-list). [env: LABEL_TAGS] (default: com.docker.compose.project, com.docker.compose.service, com.docker.swarm.service.name, com.docker.swarm.task.name, com.docker.stack.namespace)"
    )
    var labelTags: String?

    @Option(name: .customLong("collect-logs"), help: "Count log lines and bytes and parse l2met tokens: true or false. [env: COLLECT_LOGS] (default: true)")
    var collectLogs: String?

    @Option(name: .customLong("frame-interval"), help: "Seconds a frame may wait before it is sent. [env: FRAME_INTERVAL] (default: 1)")
    var frameInterval: String?

    @Option(name: .customLong("spool-memory"), help: "Spool kept in memory (e.g. 16MiB). [env: SPOOL_MEMORY] (default: 16MiB)")
    var spoolMemory: String?

    @Option(name: .customLong("spool-disk"), help: "Spool kept on disk under STATE_DIR before the oldest frames are dropped (counted and reported). [env: SPOOL_DISK] (default: 1GiB)")
    var spoolDisk: String?

    @Option(name: .customLong("heartbeat-interval"), help: "Seconds between heartbeats to the hub. [env: HEARTBEAT_INTERVAL] (default: 10)")
    var heartbeatInterval: String?

    /// The data-side part of a configuration; the transport part is filled by the command.
    func configuration(_ s: Settings, stateDirectory: String?) throws -> CollectorConfiguration {
        var c = CollectorConfiguration()
        c.cluster = s.string(cluster, "CLUSTER_NAME", default: "docker")
        c.hostName = s.string(hostName, "HOST_NAME")
        c.statsInterval = try s.seconds(statsInterval, "STATS_INTERVAL", default: 10, minimum: 0.1)
        c.statsSource = try s.choice(statsSource, "STATS_SOURCE", default: StatsSourceChoice.auto)
        c.docker = try DockerEndpoint.resolve(
            host: s.string(dockerHost, "DOCKER_HOST"), tlsVerify: s.string(nil, "DOCKER_TLS_VERIFY") != nil, tls: s.string(nil, "DOCKER_TLS") != nil,
            certPath: s.string(nil, "DOCKER_CERT_PATH"), home: s.string(nil, "HOME"))
        c.cgroupRoot = s.string(cgroupRoot, "CGROUP_ROOT", default: "/sys/fs/cgroup")
        c.procRoot = s.string(procRoot, "PROC_ROOT", default: "/proc")
        c.filters = ContainerFilters(
            includeNames: try patterns(s, includeNames, "INCLUDE_NAMES"), excludeNames: try patterns(s, excludeNames, "EXCLUDE_NAMES"),
            includeImages: try patterns(s, includeImages, "INCLUDE_IMAGES"), excludeImages: try patterns(s, excludeImages, "EXCLUDE_IMAGES"),
            includeLabels: try patterns(s, includeLabels, "INCLUDE_LABELS", labels: true),
            excludeLabels: try patterns(s, excludeLabels, "EXCLUDE_LABELS", labels: true))
        let tags = s.list(labelTags, "LABEL_TAGS")
        if !tags.isEmpty { c.labelTags = tags }
        c.collectLogs = try s.bool(collectLogs, "COLLECT_LOGS", default: true)
        c.frameInterval = try s.seconds(frameInterval, "FRAME_INTERVAL", default: 1, minimum: 0.01)
        c.spoolMemoryBytes = try s.bytes(spoolMemory, "SPOOL_MEMORY", default: 16 << 20)
        c.spoolDiskBytes = try s.bytes(spoolDisk, "SPOOL_DISK", default: 1 << 30)
        c.heartbeatInterval = try s.seconds(heartbeatInterval, "HEARTBEAT_INTERVAL", default: 10, minimum: 0.1)
        c.stateDirectory = stateDirectory
        return c
    }

    /// A filter list, each pattern checked now (a regular expression that does not compile names its setting).
    func patterns(_ s: Settings, _ flag: String?, _ variable: String, labels: Bool = false) throws(ConfigError) -> [String] {
        let list = s.list(flag, variable)
        for text in list {
            do {
                if labels { _ = try LabelPattern(text) } else { _ = try ContainerPattern(text) }
            } catch {
                throw ConfigError(variable: s.name(flag, variable), problem: "\(error)")
            }
        }
        return list
    }
}
