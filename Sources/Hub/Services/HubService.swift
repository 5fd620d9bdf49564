public import Librato
public import Logging
import Nanomsg
public import ServiceLifecycle
import StatusHTTP
import Timekeeping
import WireFormat

/// The hub: a swift-service-lifecycle `Service` that runs its parts as services of one `ServiceGroup`, as
/// Hummingbird's `Application` does:
///
/// | service | what it does |
/// |---|---|
/// | ``StatusService`` | `/healthz`, `/metrics`, `/status.json`, the status page |
/// | ``ControlService`` | answers each collector's request for its acknowledgement (REP) |
/// | ``PeriodCloser`` | closes periods when they are due (sleeps until then on the injected clock) |
/// | ``AnnotationSender`` | posts the annotations of delivered periods |
/// | ``Flusher`` | submits closed periods to Librato, in order, when the closer says so |
/// | ``IngestService`` | frames from the PULL socket into the runtime |
///
/// A group shuts its services down in reverse order, so on SIGTERM the hub stops taking frames first, then the
/// flusher closes every open period and submits it (within ``HubSettings/shutdownFlushTimeout``), then the last
/// annotations go, and the control service answers one more round of requests with the final acks before its
/// socket closes.
public final class HubService: Service {
    /// The settings the hub runs with.
    public let settings: HubSettings
    let runtime: HubRuntime
    let logger: Logger
    let services: [any Service]
    let sink: any MetricsSink

    /// Binds the hub's sockets (so that address errors surface here, before `run`).
    /// - Parameter quietAboutMissingKey: standalone uses an in-process ipc socket, where no key is needed.
    public convenience init(settings: HubSettings, sink: any MetricsSink, logger: Logger, quietAboutMissingKey: Bool = false) throws {
        try self.init(settings: settings, sink: sink, logger: logger, quietAboutMissingKey: quietAboutMissingKey, clocks: .system)
    }

    /// As the public initializer, with the clocks injected: the wall clock for the time of day (period boundaries),
    /// the other for every sleep and timeout (tests pass a manual clock that moves both).
    package init(settings: HubSettings, sink: any MetricsSink, logger: Logger, quietAboutMissingKey: Bool = false, clocks: Clocks) throws {
        self.settings = settings
        self.sink = sink
        self.logger = logger
        let runtime = try HubRuntime(
            configuration: settings.configuration, store: HubStateStore(directory: settings.stateDirectory), key: settings.clusterKey,
            hostName: settings.hostName, logger: logger, wallClock: clocks.wall, dryRun: sink.isDryRun)
        self.runtime = runtime
        let status = try settings.httpListen.map { try StatusService(listen: $0, runtime: runtime, logger: logger) }
        let pull = try NanoSocket(.pull)
        try pull.setReceiveMaxSize(settings.maxFrameBytes)
        try pull.setReceiveBuffer(1 << 20)
        do {
            try pull.bind(settings.listen)
        } catch {
            throw HubStartError(variable: "HUB_LISTEN", address: settings.listen, reason: "\(error)")
        }
        let control: ControlService
        do {
            control = try ControlService(
                listen: settings.ackListen, board: runtime.board, key: settings.clusterKey, clocks: clocks, cluster: settings.configuration.selfCluster,
                hostName: settings.hostName, logger: logger, finalAckWindow: settings.finalAckWindow)
        } catch {
            pull.close()
            throw HubStartError(variable: "HUB_ACK_LISTEN", address: settings.ackListen, reason: "\(error)")
        }
        let naming = NamingScheme(
            mode: settings.naming, periodSeconds: Int(settings.configuration.periodMs / 1000), api: settings.api, selection: settings.selection)
        let annotations = AnnotationSender(sink: sink, runtime: runtime)
        let flusher = Flusher(
            runtime: runtime, sink: sink, naming: naming, postSelfMetrics: settings.naming == .standard, annotations: annotations,
            shutdownTimeout: settings.shutdownFlushTimeout, rateDeferral: settings.rateDeferral ?? .milliseconds(settings.configuration.periodMs),
            clocks: clocks, logger: logger)
        services = [status as (any Service)?, control, PeriodCloser(runtime: runtime, clocks: clocks), annotations, flusher,
            IngestService(pull: pull, runtime: runtime, key: settings.clusterKey, containers: settings.configuration.maxContainers, logger: logger),
        ].compactMap { $0 }
        if settings.clusterKey.isNull && !quietAboutMissingKey {
            logger.warning(
                "running WITHOUT a cluster key: anyone who can reach the hub's ports can inject data; set CLUSTER_KEY_FILE on the hub and the collectors")
        }
    }

    /// Runs the hub's services until a graceful shutdown (SIGTERM) or cancellation; throws when one of them fails
    /// (for instance the status server cannot bind `HTTP_LISTEN`).
    public func run() async throws {
        logger.info(
            "hub started",
            metadata: [
                "listen": "\(settings.listen)", "ack_listen": "\(settings.ackListen)", "http": "\(settings.httpListen ?? "off")",
                "period_ms": "\(settings.configuration.periodMs)", "naming": "\(settings.naming.rawValue)", "api": "\(settings.api.rawValue)",
                "sink": "\(type(of: sink))", "state_dir": "\(settings.stateDirectory ?? "none (in memory)")",
            ])
        if sink.isDryRun {
            let first = await runtime.firstCloseDue()
            logger.info(
                "dry run: nothing is printed until the first period closes (after the start-up grace, then at each period's end plus the grace)",
                metadata: [
                    "first_period_closes_in_s": "\(max(0, first.milliseconds - WallClock.system.now().milliseconds) / 1000)",
                    "startup_grace_s": "\(settings.configuration.startupGraceMs / 1000)", "period_s": "\(settings.configuration.periodMs / 1000)",
                ])
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) }, logger: logger))
        try await group.run()
        logger.info("hub stopped")
    }
}
