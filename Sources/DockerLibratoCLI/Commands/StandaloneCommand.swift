import ArgumentParser
import Collector
import Glibc
import Hub
import Librato
import Logging
import ServiceLifecycle
import UnixSignals
import WireFormat

struct StandaloneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "standalone",
        abstract: "Collector and hub in one process: the drop-in replacement for the original octoblu/docker-librato.",
        discussion: """
            Takes the original's environment (LIBRATO_EMAIL, LIBRATO_TOKEN, CLUSTER_NAME, LIBRATO_PERIOD in ms, \
            STATS_INTERVAL): `docker run -v /var/run/docker.sock:/var/run/docker.sock -e LIBRATO_EMAIL -e LIBRATO_TOKEN \
            -e CLUSTER_NAME image standalone` works as the original did; LIBRATO_NAMING=seed keeps its metric names and \
            sources. The two halves talk over an ipc:// socket (no cluster key needed) with the same delivery guarantee. \
            Without a Librato credential it prints the requests it would send.
            """
    )

    @OptionGroup var role: StandaloneRole

    func run() async throws {
        try await CommandRunner.run(label: "standalone") { s, logger in
            let plan = try role.plan(s, logger: Logger(label: "librato"))
            if let state = plan.stateDirectory {
                for sub in ["", "/hub", "/collector"] { mkdir(state + sub, 0o755) }
            }
            let sink = plan.librato.sink(logger: Logger(label: "librato"))
            // No final-ack window: the collector has stopped by the time the hub shuts down (nobody is left to ask).
            var hubSettings = plan.hub
            hubSettings.finalAckWindow = .zero
            let hub = try HubService(settings: hubSettings, sink: sink, logger: Logger(label: "hub"), quietAboutMissingKey: true)
            let collectorService = CollectorService(configuration: plan.collector, logger: Logger(label: "collector"))
            // Shut down in reverse order: the collector hands over what it holds, then the hub flushes to Librato.
            let group = ServiceGroup(
                configuration: .init(
                    services: [
                        .init(service: hub, successTerminationBehavior: .gracefullyShutdownGroup),
                        .init(service: collectorService, successTerminationBehavior: .gracefullyShutdownGroup),
                    ], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
            try await sink.shutdown()
            unlink(String(plan.hub.listen.dropFirst(6)))
            unlink(String(plan.hub.ackListen.dropFirst(6)))
        }
    }
}

/// Everything standalone is configured with (`standalone` and `validate standalone`).
struct StandaloneRole: ParsableArguments {
    @OptionGroup(title: "Librato") var librato: LibratoOptions
    @OptionGroup(title: "Containers and stats") var collector: CollectorOptions

    @Option(name: .customLong("state-dir"), help: "Directory for the hub's state (STATE_DIR/hub) and the collector's spool (STATE_DIR/collector). [env: STATE_DIR]")
    var stateDir: String?

    @Option(name: .customLong("http-listen"), help: "HOST:PORT for /healthz, /metrics and the status page; `off` disables. [env: HTTP_LISTEN] (default: 127.0.0.1:8080)")
    var httpListen: String?

    /// What both halves run with, from flags and variables; checks every value and reads the token file, but creates,
    /// binds and sends nothing (`validate standalone` checks the same). The halves meet on an ipc:// socket under
    /// STATE_DIR (or /tmp) named after this process.
    func plan(_ s: Settings, logger: Logger) throws -> StandalonePlan {
        let state = s.string(stateDir, "STATE_DIR")
        let ipc = "ipc://\(state ?? "/tmp")/docker-librato-\(getpid()).ipc"
        let librato = try self.librato.plan(s, logger: logger)
        var collectorConfig = try collector.configuration(s, stateDirectory: state.map { $0 + "/collector" })
        collectorConfig.hubAddress = ipc
        collectorConfig.hubAckAddress = ipc + ".ack"
        collectorConfig.clusterKey = .none
        var hubConfig = HubConfiguration(periodMs: try self.librato.periodMs(s))
        hubConfig.selfCluster = collectorConfig.cluster
        let http = try s.listen(httpListen, "HTTP_LISTEN", default: "127.0.0.1:8080")
        let hub = HubSettings(
            listen: ipc, ackListen: ipc + ".ack", httpListen: http, clusterKey: .none,
            stateDirectory: state.map { $0 + "/hub" }, hostName: HostName.current(), naming: try self.librato.namingMode(s),
            api: librato.configuration.api, selection: try self.librato.selection(s), rateDeferral: try self.librato.rateDeferral(s),
            configuration: hubConfig)
        return StandalonePlan(librato: librato, collector: collectorConfig, hub: hub, stateDirectory: state)
    }
}

/// Both halves' resolved configuration.
struct StandalonePlan {
    var librato: LibratoPlan
    var collector: CollectorConfiguration
    var hub: HubSettings
    /// `STATE_DIR`: the hub's state goes to `hub/`, the collector's to `collector/`.
    var stateDirectory: String?
}
