import ArgumentParser
import Hub
import Logging
import Librato
import ServiceLifecycle
import UnixSignals

struct HubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub",
        abstract: "Receive frames from collectors, aggregate per period and submit to Librato (one per cluster).",
        discussion: """
            Binds a nanomsg PULL socket for data and a REP socket that answers each collector's request for its acknowledgement (collectors connect to both, so \
            the hub needs no route to the hosts), serves /healthz, /metrics and a status page over HTTP, and holds the \
            only Librato credential. With --state-dir it survives restarts without posting a period twice (except the \
            window documented in docs/ARCHITECTURE.md). SIGTERM closes the open periods and submits them before exiting.
            """
    )

    @OptionGroup var role: HubRole

    func run() async throws {
        try await CommandRunner.run(label: "hub") { settings, logger in
            let plan = try role.plan(settings, logger: Logger(label: "librato"))
            let sink = plan.librato.sink(logger: Logger(label: "librato"))
            let service = try HubService(settings: plan.hub, sink: sink, logger: logger)
            let group = ServiceGroup(
                configuration: .init(
                    services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
                    gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
            try await sink.shutdown()
        }
    }
}

/// Everything the hub is configured with (`hub` and `validate hub`): where it posts, what it binds.
struct HubRole: ParsableArguments {
    @OptionGroup(title: "Librato") var librato: LibratoOptions
    @OptionGroup(title: "Transport key") var key: KeyOptions
    @OptionGroup(title: "Hub") var hub: HubOptions

    /// What the hub runs with, from flags and variables; checks every value and reads the key and token files, but
    /// binds and sends nothing (`validate hub` checks the same).
    func plan(_ settings: Settings, logger: Logger) throws -> HubPlan {
        let librato = try self.librato.plan(settings, logger: logger)
        return HubPlan(librato: librato, hub: try hub.settings(settings, librato: self.librato, key: key, api: librato.configuration.api))
    }
}

/// The hub's resolved configuration: where it posts and what it binds.
struct HubPlan {
    var librato: LibratoPlan
    var hub: HubSettings
}
