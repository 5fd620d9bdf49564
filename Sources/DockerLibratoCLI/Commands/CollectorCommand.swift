import ArgumentParser
import Collector
import Logging
import ServiceLifecycle
import UnixSignals

struct CollectorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collector",
        abstract: "Follow every container of the local Docker engine and stream stats, log counters and events to the hub.",
        discussion: """
            One per Docker host (two for availability: the hub takes each container's series from one collector at a \
            time). Connects a nanomsg PUSH to HUB_ADDRESS and a REQ to HUB_ACK_ADDRESS (asking for its acknowledgement every second, every 4 s while nothing is missing); keeps every frame until the hub \
            acknowledges that Librato accepted its data — in memory, then under STATE_DIR, then dropping the oldest \
            (counted and reported). Needs the Docker socket (root or the socket's group; add --privileged on hosts where \
            SELinux/AppArmor deny it) and, for the cgroup stats source, the host's /sys/fs/cgroup.
            """
    )

    @OptionGroup var role: CollectorRole

    func run() async throws {
        try await CommandRunner.run(label: "collector") { s, logger in
            let plan = try role.plan(s)
            let health = CollectorHealth(maxAckAge: plan.maxAckAge)
            let service = CollectorService(configuration: plan.configuration, health: health, logger: logger)
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
                .init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)
            ]
            if let listen = plan.httpListen {
                services.insert(.init(service: HealthServer(listen: listen, metrics: service.metrics, health: service.health, logger: logger)), at: 0)
            }
            let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        }
    }
}

/// Everything the collector is configured with (`collector` and `validate collector`): what it reads, where it sends.
struct CollectorRole: ParsableArguments {
    @OptionGroup(title: "Containers and stats") var collector: CollectorOptions
    @OptionGroup(title: "Transport key") var key: KeyOptions

    @Option(name: .customLong("hub-address"), help: "The hub's PULL address. [env: HUB_ADDRESS] (default: tcp://127.0.0.1:5555)")
    var hubAddress: String?

    @Option(name: .customLong("hub-ack-address"), help: "The hub's control address (its HUB_ACK_LISTEN). [env: HUB_ACK_ADDRESS] (default: HUB_ADDRESS with port + 1)")
    var hubAckAddress: String?

    @Option(name: .customLong("state-dir"), help: "Directory for the collector's id, epoch, spool and log checkpoints; a restarted collector resumes from it. [env: STATE_DIR]")
    var stateDir: String?

    @Option(
        name: .customLong("health-max-ack-age"),
        help: "Seconds frames may wait for the hub's acknowledgement before /healthz says unhealthy (with the likely cause). [env: HEALTH_MAX_ACK_AGE] (default: 300)")
    var healthMaxAckAge: String?

    @Option(name: .customLong("http-listen"), help: "HOST:PORT for /healthz; off by default. [env: HTTP_LISTEN]")
    var httpListen: String?

    /// What the collector runs with, from flags and variables; checks every value and reads the key file, but
    /// connects to nothing (`validate collector` checks the same).
    func plan(_ s: Settings) throws -> CollectorPlan {
        var c = try collector.configuration(s, stateDirectory: s.string(stateDir, "STATE_DIR"))
        c.hubAddress = try s.address(hubAddress, "HUB_ADDRESS", default: "tcp://127.0.0.1:5555")
        if s.string(hubAckAddress, "HUB_ACK_ADDRESS") != nil {
            c.hubAckAddress = try s.address(hubAckAddress, "HUB_ACK_ADDRESS", default: "")
        } else if let derived = CollectorConfiguration.ackAddress(for: c.hubAddress) {
            c.hubAckAddress = derived
        } else {
            throw s.error(hubAddress, "HUB_ADDRESS", value: c.hubAddress, expected: "tcp://HOST:PORT or ipc://PATH (or set HUB_ACK_ADDRESS explicitly)")
        }
        c.clusterKey = try key.key(s)
        return CollectorPlan(
            configuration: c, maxAckAge: try s.seconds(healthMaxAckAge, "HEALTH_MAX_ACK_AGE", default: 300, minimum: 1),
            httpListen: try s.listen(httpListen, "HTTP_LISTEN", default: nil))
    }
}

/// The collector's resolved configuration: what it reads, where it sends, and its health endpoint.
struct CollectorPlan {
    var configuration: CollectorConfiguration
    /// `HEALTH_MAX_ACK_AGE`.
    var maxAckAge: Duration
    /// `HTTP_LISTEN`, nil when off.
    var httpListen: String?
}
