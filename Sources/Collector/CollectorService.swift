import DockerEngine
public import Logging
public import ServiceLifecycle
import Timekeeping
import WireFormat

/// The collector as a swift-service-lifecycle `Service`: waits for the Docker engine, then runs the delivery side
/// (``FrameDeliverer``) and the data side (``CollectorPipeline``) as the two services of one `ServiceGroup`.
///
/// A group shuts its services down in reverse order: on SIGTERM the data side stops first and submits what it
/// holds, then the deliverer lets in-flight frames leave, writes its spool and state, and closes its sockets. When
/// either fails (for instance `STATS_SOURCE=cgroup` with unreadable cgroup files) the group stops and ``run()``
/// throws that error, so the process exits non-zero with the reason.
public final class CollectorService: Service {
    /// What the collector runs with.
    public let configuration: CollectorConfiguration
    /// Its self-metrics (the `/healthz` and `/metrics` endpoints read them).
    public let metrics: CollectorMetrics
    /// Whether its data reaches the hub (`/healthz`).
    public let health: CollectorHealth
    let logger: Logger
    let deliveryOptions: FrameDeliverer.Options
    let clocks: Clocks
    let reconnectBackoff: Backoff

    /// A collector with the default delivery settings and the real clocks.
    public convenience init(
        configuration: CollectorConfiguration, metrics: CollectorMetrics = CollectorMetrics(), health: CollectorHealth = CollectorHealth(), logger: Logger
    ) {
        self.init(configuration: configuration, metrics: metrics, health: health, logger: logger, deliveryOptions: FrameDeliverer.Options())
    }

    package init(
        configuration: CollectorConfiguration, metrics: CollectorMetrics = CollectorMetrics(), health: CollectorHealth = CollectorHealth(),
        logger: Logger, deliveryOptions: FrameDeliverer.Options, clocks: Clocks = .system, reconnectBackoff: Backoff = Backoff()
    ) {
        self.configuration = configuration
        self.metrics = metrics
        self.health = health
        self.logger = logger
        self.deliveryOptions = deliveryOptions
        self.clocks = clocks
        self.reconnectBackoff = reconnectBackoff
    }

    /// Runs until a graceful shutdown or cancellation; throws what stopped it otherwise.
    public func run() async throws {
        let lock = try configuration.stateDirectory.map { try StateDirectoryLock(directory: $0) }
        defer { lock?.release() }
        let client = try DockerClient(endpoint: configuration.docker, logger: logger)
        do {
            try await runServices(client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        logger.info("collector stopped")
    }

    private func runServices(_ client: DockerClient) async throws {
        guard let info = await waitForDocker(client) else { return }
        let host = configuration.hostName ?? info.name
        let deliverer = try FrameDeliverer(
            configuration: configuration, engineID: info.engineID, host: host, metrics: metrics, logger: logger, options: deliveryOptions,
            clocks: clocks, health: health)
        let pipeline = try CollectorPipeline(
            configuration: configuration, client: client, sink: deliverer, metrics: metrics, logger: logger, reconnectBackoff: reconnectBackoff,
            clocks: clocks)
        logger.info(
            "collector started",
            metadata: [
                "collector_id": "\(deliverer.collectorID)", "epoch": "\(deliverer.epoch)", "cluster": "\(configuration.cluster)",
                "host": "\(host)", "engine": "\(info.engineID)", "hub": "\(configuration.hubAddress)", "acks": "\(configuration.hubAckAddress)",
                "state_dir": "\(configuration.stateDirectory ?? "none (memory only)")",
                "cluster_key": configuration.clusterKey.isNull ? "NONE (unauthenticated)" : "set",
            ])
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: deliverer, successTerminationBehavior: .gracefullyShutdownGroup),
                    .init(service: pipeline, successTerminationBehavior: .gracefullyShutdownGroup),
                ], logger: logger))
        try await group.run()
    }

    /// `/info`, retried with backoff (jittered, on the injected clock) until the engine answers; nil when a shutdown
    /// or cancellation comes first.
    func waitForDocker(_ client: DockerClient) async -> SystemInfo? {
        var backoff = reconnectBackoff
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                return try await client.info()
            } catch {
                metrics.add(.dockerErrors)
                let delay = backoff.next()
                logger.warning(
                    "Docker engine not reachable; retrying",
                    metadata: ["endpoint": "\(configuration.docker)", "error": "\(error)", "retry_in": "\(delay)"])
                do {
                    try await cancelWhenGracefulShutdown { try await self.clocks.sleep(for: delay) }
                } catch {
                    return nil
                }
            }
        }
        return nil
    }
}
