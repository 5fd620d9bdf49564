public import Logging

/// Where measurements and annotations go: the real ``LibratoClient``, or the ``DryRunSink`` that prints requests.
public protocol MetricsSink: Sendable {
    /// The API whose request format is used.
    var api: LibratoAPI { get }

    /// Delivers `measurements` and returns when every one of them is accepted, rejected as invalid, or dropped as
    /// too old — retrying internally as long as that takes. Cancelling the calling task ends it early; the report
    /// then lists what was not delivered.
    func submit(_ measurements: [Measurement]) async -> SubmitReport

    /// ``submit(_:)``, calling `whenAccepted` as soon as Librato has accepted every one of `measurements` in one
    /// request — on the HTTP client's thread, before the response has reached any task — or not at all (the list
    /// went in several requests, or some of it was rejected, or none of it was accepted). The hub journals there what
    /// the request delivered.
    func submit(_ measurements: [Measurement], whenAccepted: @escaping @Sendable () -> Void) async -> SubmitReport

    /// Creates an annotation, retrying transient failures until the configured deadline.
    func annotate(_ annotation: Annotation) async -> AnnotationResult

    /// Releases resources (HTTP connections). Call once, after the last submit.
    func shutdown() async throws

    /// The account's measurement budget as the latest response described it; nil when unknown (no response yet, or
    /// a sink that sends nowhere).
    var rateBudget: RateBudget? { get }

    /// True for a sink that sends nothing (the dry run): the hub says so on its status pages and in its log.
    var isDryRun: Bool { get }

    /// Most measurements one request carries: a caller that wants to know what each request delivered (the hub's
    /// progress journal) hands in lists of at most this many, and each is then one request (unless its body would
    /// pass the byte limit, or a 400 splits it).
    var measurementsPerRequest: Int { get }

    /// How many requests the sink has in flight at once: how many submits a caller with small lists runs together
    /// to keep the sink busy (more just wait for a permit).
    var concurrentRequests: Int { get }
}

extension MetricsSink {
    /// Calls `whenAccepted` once the submit has returned with everything accepted: for sinks without a request of
    /// their own to watch.
    public func submit(_ measurements: [Measurement], whenAccepted: @escaping @Sendable () -> Void) async -> SubmitReport {
        let report = await submit(measurements)
        if report.accepted == measurements.count { whenAccepted() }
        return report
    }

    public var rateBudget: RateBudget? { nil }
    public var isDryRun: Bool { false }
    public var measurementsPerRequest: Int { api.maxMeasurementsPerRequest }
    public var concurrentRequests: Int { 1 }
}

/// Builds the sink for a configuration: the real client when a credential is configured, the dry-run sink
/// (printing to `dryRunOutput`) otherwise — the default for trying the product out.
public func makeMetricsSink(
    configuration: LibratoConfiguration,
    credentials: LibratoCredentials?,
    dryRunOutput: DryRunSink.Output = .standardOutput,
    dryRunFormat: DryRunSink.Format = .compact,
    logger: Logger
) -> any MetricsSink {
    if let credentials {
        return LibratoClient(configuration: configuration, credentials: credentials, logger: logger)
    }
    logger.notice(
        "No Librato credential configured (LIBRATO_EMAIL + LIBRATO_TOKEN or LIBRATO_TOKEN_FILE): dry run, printing requests instead of sending them",
        metadata: ["librato.api": "\(configuration.api.rawValue)"]
    )
    return DryRunSink(configuration: configuration, output: dryRunOutput, format: dryRunFormat, logger: logger)
}
