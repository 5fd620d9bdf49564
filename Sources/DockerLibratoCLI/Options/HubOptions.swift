import ArgumentParser
import Hub
import Librato

/// The hub's own options (addresses, state, bounds).
struct HubOptions: ParsableArguments {
    @Option(name: .customLong("listen"), help: "nanomsg PULL address collectors push to. [env: HUB_LISTEN] (default: tcp://*:5555)")
    var listen: String?

    @Option(name: .customLong("ack-listen"), help: "nanomsg REP address of the control path: each collector asks for its acknowledgement here. [env: HUB_ACK_LISTEN] (default: tcp://*:5556)")
    var ackListen: String?

    @Option(
        name: .customLong("http-listen"),
        help: "HOST:PORT for /healthz, /metrics (Prometheus) and the status page; `off` disables it. [env: HTTP_LISTEN] (default: 0.0.0.0:8080)")
    var httpListen: String?

    @Option(
        name: .customLong("state-dir"),
        help: "Directory for the hub's state file (high-water marks and watermarks); without it a restarted hub may post a period twice. [env: STATE_DIR]")
    var stateDir: String?

    @Option(name: .customLong("cluster"), help: "Cluster name the hub's own metrics are posted under. [env: CLUSTER_NAME] (default: docker)")
    var cluster: String?

    @Option(name: .customLong("host-name"), help: "Host name the hub reports. [env: HOST_NAME] (default: the machine's host name)")
    var hostName: String?

    @Option(name: .customLong("grace"), help: "Seconds after a period's end before it is closed and submitted. [env: HUB_GRACE] (default: 4)")
    var grace: String?

    @Option(
        name: .customLong("startup-grace"),
        help: "Seconds after start before any period is closed, so collectors can retransmit first. [env: HUB_STARTUP_GRACE] (default: 15)")
    var startupGrace: String?

    @Option(
        name: .customLong("takeover-after"),
        help: "Seconds without samples from a container's current collector before another collector of the same engine takes over. [env: HUB_TAKEOVER_AFTER] (default: 25)"
    )
    var takeoverAfter: String?

    @Option(name: .customLong("max-containers"), help: "Bound on live container series; more are dropped and counted. [env: HUB_MAX_CONTAINERS] (default: 20000)")
    var maxContainers: String?

    @Option(
        name: .customLong("max-pending-periods"),
        help: "Closed periods held while Librato is unavailable before the hub refuses new frames (collectors keep them). [env: HUB_MAX_PENDING_PERIODS] (default: 150)"
    )
    var maxPendingPeriods: String?

    @Option(name: .customLong("max-frame-bytes"), help: "Largest frame accepted (NN_RCVMAXSIZE). [env: HUB_MAX_FRAME_BYTES] (default: 1MiB)")
    var maxFrameBytes: String?

    @Option(
        name: .customLong("health-periods"),
        help: "/healthz turns unhealthy when a closed period has waited this many periods for Librato (or under back-pressure). [env: HUB_HEALTH_PERIODS] (default: 3)")
    var healthPeriods: String?

    @Option(name: .customLong("shutdown-timeout"), help: "Seconds to flush open periods on SIGTERM. [env: HUB_SHUTDOWN_TIMEOUT] (default: 20)")
    var shutdownTimeout: String?

    func settings(_ s: Settings, librato: LibratoOptions, key: KeyOptions, api: LibratoAPI) throws -> HubSettings {
        let periodMs = try librato.periodMs(s)
        var c = HubConfiguration(periodMs: periodMs)
        c.graceMs = Int64(try s.seconds(grace, "HUB_GRACE", default: 4, minimum: 0).milliseconds)
        c.startupGraceMs = Int64(try s.seconds(startupGrace, "HUB_STARTUP_GRACE", default: 15, minimum: 0).milliseconds)
        c.takeoverAfterMs = Int64(try s.seconds(takeoverAfter, "HUB_TAKEOVER_AFTER", default: 25, minimum: 0.1).milliseconds)
        c.maxContainers = try s.int(maxContainers, "HUB_MAX_CONTAINERS", default: 20_000)
        c.maxPendingPeriods = try s.int(maxPendingPeriods, "HUB_MAX_PENDING_PERIODS", default: 150)
        c.selfCluster = s.string(cluster, "CLUSTER_NAME", default: "docker")
        c.healthPeriods = try s.int(healthPeriods, "HUB_HEALTH_PERIODS", default: 3)
        return HubSettings(
            listen: try s.address(listen, "HUB_LISTEN", default: "tcp://*:5555"),
            ackListen: try s.address(ackListen, "HUB_ACK_LISTEN", default: "tcp://*:5556"),
            httpListen: try s.listen(httpListen, "HTTP_LISTEN", default: "0.0.0.0:8080"),
            clusterKey: try key.key(s),
            stateDirectory: s.string(stateDir, "STATE_DIR"),
            maxFrameBytes: try s.bytes(maxFrameBytes, "HUB_MAX_FRAME_BYTES", default: 1 << 20),
            hostName: s.string(hostName, "HOST_NAME") ?? HostName.current(),
            naming: try librato.namingMode(s),
            api: api,
            shutdownFlushTimeout: try s.seconds(shutdownTimeout, "HUB_SHUTDOWN_TIMEOUT", default: 20, minimum: 0),
            selection: try librato.selection(s),
            rateDeferral: try librato.rateDeferral(s),
            configuration: c)
    }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
