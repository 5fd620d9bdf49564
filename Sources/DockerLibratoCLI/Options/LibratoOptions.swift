import Glibc
import ArgumentParser
import Hub
import Librato
import Logging

/// The Librato account, the API and the naming scheme: what every command that talks to Librato needs (`hub`,
/// `standalone`, `space`).
struct LibratoAccountOptions: ParsableArguments {
    @Option(name: .customLong("librato-email"), help: "Librato account e-mail. [env: LIBRATO_EMAIL]")
    var email: String?

    @Option(
        name: .customLong("librato-token-file"),
        help: "File holding the Librato API token (a Docker/Swarm secret). The token itself is read from LIBRATO_TOKEN only, never from a flag. [env: LIBRATO_TOKEN_FILE]"
    )
    var tokenFile: String?

    @Option(name: .customLong("api-url"), help: "Librato API base URL. [env: LIBRATO_API_URL] (default: https://metrics-api.librato.com)")
    var apiURL: String?

    @Option(name: .customLong("api"), help: "Librato API: legacy (/v1/metrics, sources) or tagged (/v1/measurements, tags). [env: LIBRATO_API] (default: legacy)")
    var api: String?

    @Option(
        name: .customLong("naming"),
        help: "Metric names: default (docker.container.cpu.percent …, roll-ups) or seed (the original docker-librato's five gauges and CLUSTER:image:name sources). [env: LIBRATO_NAMING] (default: default)"
    )
    var naming: String?

    @Option(name: .customLong("librato-timeout"), help: "Seconds before a Librato request is abandoned and retried. [env: LIBRATO_TIMEOUT] (default: 20)")
    var timeout: String?

    func namingMode(_ s: Settings) throws -> NamingMode {
        try s.choice(naming, "LIBRATO_NAMING", default: NamingMode.standard)
    }

    /// The API, its URL and the request timeout.
    func configuration(_ s: Settings) throws -> LibratoConfiguration {
        var configuration = try LibratoConfiguration.resolve(api: s.string(api, "LIBRATO_API"), baseURL: s.string(apiURL, "LIBRATO_API_URL"))
        configuration.requestTimeout = try s.seconds(timeout, "LIBRATO_TIMEOUT", default: 20, minimum: 0.1)
        return configuration
    }

    /// The credential; nil when none is configured (dry run).
    func credentials(_ s: Settings, logger: Logger) throws -> LibratoCredentials? {
        try LibratoCredentials.resolve(
            email: s.string(email, "LIBRATO_EMAIL"), tokenFile: s.string(tokenFile, "LIBRATO_TOKEN_FILE"), token: s.string(nil, "LIBRATO_TOKEN"),
            logger: logger)
    }
}

/// Where measurements go: Librato (with a credential) or the dry-run sink (without one).
struct LibratoOptions: ParsableArguments {
    @OptionGroup var account: LibratoAccountOptions

    @Option(name: .customLong("period"), help: "Aggregation and flush period in milliseconds, as the original. [env: LIBRATO_PERIOD] (default: 60000)")
    var period: String?

    @Option(
        name: .customLong("dry-run-output"),
        help: "Without a Librato credential, append each request that would be sent (auth redacted) to this file instead of stdout. [env: DRY_RUN_OUTPUT]"
    )
    var dryRunOutput: String?

    @Option(
        name: .customLong("dry-run-format"),
        help: "How the dry run prints bodies: pretty (indented) or compact (one line, the exact bytes). [env: DRY_RUN_FORMAT] (default: pretty on a terminal, else compact)")
    var dryRunFormat: String?

    @Option(
        name: .customLong("container-series"),
        help: "Post per-container series: true or false (roll-ups per cluster and host are always posted). [env: LIBRATO_CONTAINER_SERIES] (default: true)")
    var containerSeries: String?

    @Option(
        name: .customLong("metric-groups"),
        help: "Per-container metric groups to post, comma-separated: cpu, memory, pids, network, blkio, logs, events, state, l2met. [env: LIBRATO_METRIC_GROUPS] (default: all)")
    var metricGroups: String?

    @Option(
        name: .customLong("interface-series"),
        help: "Post per-interface network series for containers with several interfaces: true or false. [env: LIBRATO_INTERFACE_SERIES] (default: true)")
    var interfaceSeries: String?

    @Option(
        name: .customLong("rate-defer"),
        help: "Seconds the part of a period over the Librato account's rate limit may wait for the next window before it is dropped (counted). [env: LIBRATO_RATE_DEFER] (default: one period)")
    var rateDefer: String?

    func periodMs(_ s: Settings) throws -> Int64 {
        Int64(try s.int(period, "LIBRATO_PERIOD", default: 60_000, range: 1_000...3_600_000, unit: " of milliseconds"))
    }

    func namingMode(_ s: Settings) throws -> NamingMode { try account.namingMode(s) }

    /// Where measurements go, resolved from flags and variables without sending anything (also `validate`'s check).
    func plan(_ s: Settings, logger: Logger) throws -> LibratoPlan {
        let configuration = try account.configuration(s)
        let credentials = try account.credentials(s, logger: logger)
        let output: DryRunSink.Output = s.string(dryRunOutput, "DRY_RUN_OUTPUT").map { .file(path: $0) } ?? .standardOutput
        // Pretty on a terminal, compact (the exact bytes) into a file or a pipe.
        let terminal: DryRunSink.Format = { if case .standardOutput = output, isatty(1) == 1 { return .pretty } else { return .compact } }()
        let format = try s.choice(dryRunFormat, "DRY_RUN_FORMAT", default: terminal)
        return LibratoPlan(configuration: configuration, credentials: credentials, dryRunOutput: output, dryRunFormat: format)
    }

    /// `LIBRATO_CONTAINER_SERIES`, `LIBRATO_METRIC_GROUPS`, `LIBRATO_INTERFACE_SERIES`.
    func selection(_ s: Settings) throws -> SeriesSelection {
        var selection = SeriesSelection()
        selection.containerSeries = try s.bool(containerSeries, "LIBRATO_CONTAINER_SERIES", default: true)
        selection.interfaceSeries = try s.bool(interfaceSeries, "LIBRATO_INTERFACE_SERIES", default: true)
        let groups = s.list(metricGroups, "LIBRATO_METRIC_GROUPS")
        if !groups.isEmpty {
            var set = Set<SeriesSelection.Group>()
            for g in groups {
                guard let group = SeriesSelection.Group(rawValue: g.lowercased()) else {
                    throw s.error(
                        metricGroups, "LIBRATO_METRIC_GROUPS", value: g,
                        expected: "a comma-separated list of " + SeriesSelection.Group.allCases.map(\.rawValue).joined(separator: ", "))
                }
                set.insert(group)
            }
            selection.groups = set
        }
        return selection
    }

    /// `LIBRATO_RATE_DEFER`, nil when unset (one period).
    func rateDeferral(_ s: Settings) throws -> Duration? {
        guard s.string(rateDefer, "LIBRATO_RATE_DEFER") != nil else { return nil }
        return try s.seconds(rateDefer, "LIBRATO_RATE_DEFER", default: 0, minimum: 0)
    }
}

/// Where measurements go, as the flags and variables say: the API, and the credential (nil: the dry run, into
/// `dryRunOutput`).
struct LibratoPlan {
    var configuration: LibratoConfiguration
    var credentials: LibratoCredentials?
    var dryRunOutput: DryRunSink.Output
    var dryRunFormat: DryRunSink.Format

    /// The sink: `LibratoClient`, or `DryRunSink` without a credential.
    func sink(logger: Logger) -> any MetricsSink {
        makeMetricsSink(configuration: configuration, credentials: credentials, dryRunOutput: dryRunOutput, dryRunFormat: dryRunFormat, logger: logger)
    }
}
