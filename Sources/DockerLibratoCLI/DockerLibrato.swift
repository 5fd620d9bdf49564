import ArgumentParser
import Librato

/// `docker-librato`: container metrics for Librato across fleets of Docker hosts.
@main
struct DockerLibrato: AsyncParsableCommand {
    static let version = LibratoClient.version

    static let configuration = CommandConfiguration(
        commandName: "docker-librato",
        abstract: "Container metrics for Librato Metrics across fleets of Docker hosts.",
        discussion: """
            A collector on every Docker host reads container stats, log streams and lifecycle events from the Docker \
            Engine API and streams them over nanomsg to one hub, which authenticates and deduplicates them, aggregates \
            per container and per CLUSTER_NAME, holds the only Librato credential and submits in batches. `standalone` \
            runs both in one process, as a drop-in replacement for the original octoblu/docker-librato. `space` gives the \
            cluster a Librato Space with charts for it, its hosts and its containers. `validate` checks a role's configuration \
            and what it must reach without starting it (first thing on a new host: `docker-librato validate collector`).

            Every option is also an environment variable (shown as [env: NAME]); a flag wins over its variable. \
            Without LIBRATO_EMAIL and LIBRATO_TOKEN(_FILE) the hub prints the requests it would send (dry run).

            Logging: LOG_LEVEL (trace, debug, info, notice, warning, error; default info) and LOG_FORMAT (logfmt or json).
            Documentation: README.md, docs/ARCHITECTURE.md, docs/metrics.md, deploy/README.md.
            """,
        version: version,
        subcommands: [
            StandaloneCommand.self, HubCommand.self, CollectorCommand.self, SpaceCommand.self, KeygenCommand.self, StatusCommand.self,
            HealthcheckCommand.self, ValidateCommand.self, VersionCommand.self,
        ]
    )
}
