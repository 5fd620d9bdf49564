import ArgumentParser
import Collector
import Hub
import Librato
import Logging

struct ValidateCommand: AsyncParsableCommand {
    static let exitStatuses = """
        Exit status: 0 when nothing failed (warnings allowed); otherwise the first failed area in this order: \
        2 configuration (a value that does not parse, an address this host cannot listen on), 3 Docker (the engine or \
        the stats source), 4 hub (the collector cannot reach its hub, or the keys differ), 5 Librato (the credential \
        is refused, or Librato does not answer). 64: the command line itself is wrong.
        """

    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a role's whole configuration and everything it must reach, without starting it.",
        discussion: """
            `docker-librato validate collector|hub|standalone` (standalone when no role is given) reads the same flags \
            and variables as that command, with the same checks, then tries what the role needs — the Docker engine, \
            the stats source, a sample of one running container and the containers the filters admit (collector, \
            standalone); the hub and its key, on the control path (collector); free listen ports and the Librato \
            credential, with a read-only request (hub, standalone). It prints one line per check: ok, WARN, FAIL or \
            skip, with what to do under a failure. Nothing is posted to Librato and no data frame is sent to the hub; \
            the token is never printed. First thing on a new host: `docker-librato validate collector`.

            \(exitStatuses)
            """,
        subcommands: [ValidateStandaloneCommand.self, ValidateCollectorCommand.self, ValidateHubCommand.self],
        defaultSubcommand: ValidateStandaloneCommand.self
    )
}

struct ValidateCollectorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collector",
        abstract: "Check a collector: its configuration, the Docker engine and stats source, and its hub (key included).",
        usage: "docker-librato validate collector [<options>] [--json] [--timeout <seconds>]",
        discussion: ValidateCommand.exitStatuses
    )

    @OptionGroup var role: CollectorRole
    @OptionGroup(title: "Validation") var validation: ValidationOptions

    func run() async throws {
        let pending: [(String, Check.Area)] = [
            ("docker", .docker), ("stats source", .docker), ("containers", .docker), ("sample", .docker), ("http listen", .configuration),
            ("hub", .hub), ("hub data", .hub),
        ]
        try await Validator.run(role: "collector", options: validation, pending: pending) { settings, _ in
            let plan = try role.plan(settings)
            let c = plan.configuration
            return (
                plan,
                Validator.summary(c) + ", hub \(c.hubAddress) (control \(c.hubAckAddress)), \(Validator.key(c.clusterKey)), \(Validator.state(c.stateDirectory))"
            )
        } reach: { plan, timeout, logger in
            let (engine, info) = await EngineChecks.run(plan.configuration, timeout: timeout, logger: logger)
            let http = ListenCheck.http("http listen", variable: "HTTP_LISTEN", listen: plan.httpListen, role: "collector")
            return engine + [http] + (await HubCheck.run(plan.configuration, info: info, timeout: timeout, logger: logger))
        }
    }
}

struct ValidateHubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub",
        abstract: "Check a hub: its configuration, its listen ports, and the Librato credential (read-only).",
        usage: "docker-librato validate hub [<options>] [--json] [--timeout <seconds>]",
        discussion: ValidateCommand.exitStatuses
    )

    @OptionGroup var role: HubRole
    @OptionGroup(title: "Validation") var validation: ValidationOptions

    func run() async throws {
        let pending: [(String, Check.Area)] = [
            ("hub listen", .configuration), ("ack listen", .configuration), ("http listen", .configuration), ("librato", .librato),
        ]
        try await Validator.run(role: "hub", options: validation, pending: pending) { settings, _ in
            let plan = try role.plan(settings, logger: Logger(label: "librato"))
            let h = plan.hub
            return (
                plan,
                "HUB_LISTEN \(h.listen), HUB_ACK_LISTEN \(h.ackListen), HTTP_LISTEN \(h.httpListen ?? "off"), period \(Validator.period(h.configuration.periodMs)), "
                    + "LIBRATO_API \(h.api.rawValue), LIBRATO_NAMING \(h.naming.rawValue), \(Validator.key(h.clusterKey)), \(Validator.state(h.stateDirectory))"
            )
        } reach: { plan, timeout, logger in
            [
                ListenCheck.nanomsg("hub listen", variable: "HUB_LISTEN", address: plan.hub.listen),
                ListenCheck.nanomsg("ack listen", variable: "HUB_ACK_LISTEN", address: plan.hub.ackListen),
                ListenCheck.http("http listen", variable: "HTTP_LISTEN", listen: plan.hub.httpListen),
                await LibratoCheck.run(plan.librato, timeout: timeout, logger: Logger(label: "librato")),
            ]
        }
    }
}

struct ValidateStandaloneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "standalone",
        abstract: "Check standalone: its configuration, the Docker engine and stats source, its HTTP port and the Librato credential.",
        usage: "docker-librato validate [standalone] [<options>] [--json] [--timeout <seconds>]",
        discussion: ValidateCommand.exitStatuses
    )

    @OptionGroup var role: StandaloneRole
    @OptionGroup(title: "Validation") var validation: ValidationOptions

    func run() async throws {
        let pending: [(String, Check.Area)] = [
            ("docker", .docker), ("stats source", .docker), ("containers", .docker), ("sample", .docker), ("http listen", .configuration),
            ("librato", .librato),
        ]
        try await Validator.run(role: "standalone", options: validation, pending: pending) { settings, _ in
            let plan = try role.plan(settings, logger: Logger(label: "librato"))
            return (
                plan,
                Validator.summary(plan.collector) + ", period \(Validator.period(plan.hub.configuration.periodMs)), LIBRATO_API \(plan.hub.api.rawValue), "
                    + "LIBRATO_NAMING \(plan.hub.naming.rawValue), HTTP_LISTEN \(plan.hub.httpListen ?? "off"), \(Validator.state(plan.stateDirectory))"
            )
        } reach: { plan, timeout, logger in
            let (engine, _) = await EngineChecks.run(plan.collector, timeout: timeout, logger: logger)
            let http = ListenCheck.http("http listen", variable: "HTTP_LISTEN", listen: plan.hub.httpListen, role: "standalone docker-librato")
            return engine + [http, await LibratoCheck.run(plan.librato, timeout: timeout, logger: Logger(label: "librato"))]
        }
    }
}
