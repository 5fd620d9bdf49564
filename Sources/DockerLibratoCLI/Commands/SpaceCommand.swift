import ArgumentParser
import Hub
import Librato
import Logging

struct SpaceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "space",
        abstract: "Create or update the cluster's Librato Space: charts for the cluster, its hosts and its containers.",
        discussion: """
            Charts for the cluster (container states, CPU, memory, network, block I/O, log lines, events, containers by \
            image and by service), one line per host and one line per container (CPU, memory used vs limit, network, \
            block I/O, log lines, restarts and OOM kills), over the metric names the hub posts with LIBRATO_NAMING — \
            with LIBRATO_NAMING=seed, the original's five gauges — and selected by source patterns (LIBRATO_API=legacy, \
            e.g. CLUSTER:*:*) or by tags (LIBRATO_API=tagged). docs/metrics.md lists the charts.

            Idempotent by name: it finds the space named --name (created when missing) and each chart by its name in it; \
            a chart that differs is updated in place, a missing one created, nothing is deleted (charts of your own stay), \
            and a second run sends no write. Run it again after an upgrade to get new charts.

            Without LIBRATO_EMAIL and LIBRATO_TOKEN(_FILE) it prints the requests it would send to an account without \
            the space (method, URL, headers with the credential redacted, JSON body) and exits 0. \
            Exit status 1 when Librato refuses a request; the message says which and why.
            """
    )

    @OptionGroup(title: "Librato") var account: LibratoAccountOptions

    @Option(name: .customLong("cluster"), help: "The cluster whose metrics the charts show. [env: CLUSTER_NAME] (default: docker)")
    var cluster: String?

    @Option(name: .customLong("name"), help: "The space's name. [env: LIBRATO_SPACE_NAME] (default: docker-librato CLUSTER)")
    var name: String?

    func run() async throws {
        try await CommandRunner.run(label: "librato", announces: false) { settings, logger in
            let configuration = try account.configuration(settings)
            let credentials = try account.credentials(settings, logger: logger)
            let space = Dashboard.space(
                name: try spaceName(settings), cluster: settings.string(cluster, "CLUSTER_NAME", default: "docker"),
                naming: try account.namingMode(settings), api: configuration.api)
            guard let credentials else {
                logger.notice(
                    "No Librato credential configured (LIBRATO_EMAIL + LIBRATO_TOKEN or LIBRATO_TOKEN_FILE): dry run, printing the requests that create the space on an account without it",
                    metadata: ["librato.space": "\(space.name)", "librato.charts": "\(space.charts.count)"])
                DryRunSink(configuration: configuration, logger: logger).emitSpacePlan(space)
                return
            }
            let client = LibratoClient(configuration: configuration, credentials: credentials, logger: logger)
            do {
                let report = try await client.syncSpace(space)
                try await client.shutdown()
                print(
                    "space \"\(space.name)\" (id \(report.spaceID)): \(report.spaceCreated ? "created" : "found"); charts: "
                        + "\(report.chartsCreated.count) created, \(report.chartsUpdated.count) updated, \(report.chartsUnchanged.count) unchanged")
            } catch {
                try? await client.shutdown()
                throw error
            }
        }
    }

    /// `--name` / `LIBRATO_SPACE_NAME`, else `docker-librato CLUSTER`.
    func spaceName(_ s: Settings) throws -> String {
        let cluster = s.string(cluster, "CLUSTER_NAME", default: "docker")
        guard let raw = s.string(name, "LIBRATO_SPACE_NAME") else { return Dashboard.defaultName(cluster: cluster) }
        let value = raw.trimmingSpaces
        guard !value.isEmpty, value.count <= 255 else {
            throw ConfigError(variable: "LIBRATO_SPACE_NAME", value: raw, expected: "a space name of 1 to 255 characters")
        }
        return value
    }
}
