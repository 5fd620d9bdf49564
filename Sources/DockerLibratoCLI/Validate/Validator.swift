import ArgumentParser
import Collector
import Logging
import WireFormat

/// How every `validate` subcommand runs: logging as the role would set it up, the role's own configuration code
/// (a failure there is the `config` check, and everything after it is skipped), then the role's reachability
/// checks; the report goes to standard output, and the exit status names the first failed area.
enum Validator {
    static func run<Plan>(
        role: String, options: ValidationOptions, pending: [(String, Check.Area)],
        resolve: (Settings, Logger) throws -> (plan: Plan, summary: String),
        reach: (Plan, Duration, Logger) async -> [Check]
    ) async throws {
        let settings = Settings()
        var report = ValidationReport(role: role)
        var loggingError: ConfigError?
        do {
            try LogfmtHandler.bootstrap(settings: settings)
        } catch {
            loggingError = error
            LoggingSystem.bootstrap { LogfmtHandler(label: $0, format: .logfmt, logLevel: .info) }
        }
        let logger = Logger(label: "validate")
        do {
            if let loggingError { throw loggingError }
            let timeout = try settings.seconds(options.timeout, "VALIDATE_TIMEOUT", default: 5, minimum: 0.1)
            let (plan, summary) = try resolve(settings, logger)
            report.checks.append(.ok("config", .configuration, "every setting parses", note: summary))
            report.checks += await reach(plan, timeout, logger)
        } catch {
            report.checks.append(.fail("config", .configuration, "\(error)", fix: "correct that setting (the first problem found) and run validate again"))
            report.checks += pending.map { .skip($0.0, $0.1, "not checked: the configuration has an error") }
        }
        for check in report.checks {
            logger.debug(
                "validate check", metadata: ["check": "\(check.name)", "status": "\(check.status.rawValue)", "summary": "\(check.summary)"])
        }
        print(options.json ? report.json() : report.text(), terminator: "")
        if report.exitStatus != 0 { throw ExitCode(report.exitStatus) }
    }

    static func summary(_ c: CollectorConfiguration) -> String {
        "cluster \(c.cluster), DOCKER_HOST \(c.docker), STATS_SOURCE \(c.statsSource.rawValue) every \(Format.seconds(c.statsInterval))"
    }

    static func key(_ key: ClusterKey) -> String { key.isNull ? "no cluster key (unauthenticated)" : "cluster key set" }

    static func state(_ directory: String?) -> String { "STATE_DIR \(directory ?? "none")" }

    static func period(_ ms: Int64) -> String { Format.seconds(.milliseconds(ms)) }
}

/// `validate`'s own options.
struct ValidationOptions: ParsableArguments {
    @Flag(name: .customLong("json"), help: "Print the report as one JSON document (role, ok, exit_status, failed, checks).")
    var json = false

    @Option(
        name: .customLong("timeout"),
        help: "Seconds each reachability check may take (Docker engine, hub, Librato). [env: VALIDATE_TIMEOUT] (default: 5)")
    var timeout: String?
}
