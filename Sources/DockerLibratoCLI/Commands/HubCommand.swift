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

    @OptionGroup(title: "Librato") var librato: LibratoOptions
    @OptionGroup(title: "Transport key") var key: KeyOptions
    @OptionGroup(title: "Hub") var hub: HubOptions

    func run() async throws {
        try await CommandRunner.run(label: "hub") { settings, logger in
            let (sink, api) = try librato.sink(settings, logger: Logger(label: "librato"))
            let hubSettings = try hub.settings(settings, librato: librato, key: key, api: api)
            let service = try HubService(settings: hubSettings, sink: sink, logger: logger)
            let group = ServiceGroup(
                configuration: .init(
                    services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
                    gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
            try await sink.shutdown()
        }
    }
}
