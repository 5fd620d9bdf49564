import DockerEngine
public import Logging
public import ServiceLifecycle
import WireFormat

/// The collector as a swift-service-lifecycle `Service`: waits for the Docker engine, then runs the data side
/// (``CollectorPipeline``) into the delivery side (``FrameDeliverer``).
///
/// On graceful shutdown (SIGTERM) the data side stops first and submits what it holds, then the deliverer lets
/// in-flight frames leave, writes its spool and state, and closes its sockets.
public final class CollectorService: Service {
    public let configuration: CollectorConfiguration
    public let metrics: CollectorMetrics
    let logger: Logger
    let deliveryOptions: FrameDeliverer.Options

    public init(
        configuration: CollectorConfiguration, metrics: CollectorMetrics = CollectorMetrics(), logger: Logger,
        deliveryOptions: FrameDeliverer.Options = FrameDeliverer.Options()
    ) {
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        self.deliveryOptions = deliveryOptions
    }

    public func run() async throws {
        let lock = try configuration.stateDirectory.map { try StateDirectoryLock(directory: $0) }
        defer { lock?.release() }
        let client = try DockerClient(endpoint: configuration.docker, logger: logger)
        defer { Task { try? await client.shutdown() } }
        guard let info = await waitForDocker(client) else { return }
        let host = configuration.hostName ?? info.name
        let deliverer = try FrameDeliverer(
            configuration: configuration, engineID: info.engineID, host: host, metrics: metrics, logger: logger, options: deliveryOptions)
        let pipeline = try CollectorPipeline(configuration: configuration, client: client, sink: deliverer, metrics: metrics, logger: logger)
        logger.info(
            "collector started",
            metadata: [
                "collector_id": "\(deliverer.collectorID)", "epoch": "\(deliverer.epoch)", "cluster": "\(configuration.cluster)",
                "host": "\(host)", "engine": "\(info.engineID)", "hub": "\(configuration.hubAddress)", "acks": "\(configuration.hubAckAddress)",
                "state_dir": "\(configuration.stateDirectory ?? "none (memory only)")",
                "cluster_key": configuration.clusterKey.isNull ? "NONE (unauthenticated)" : "set",
            ])
        // The deliverer runs detached from the graceful-shutdown signal: it must outlive the data side's last submit.
        let delivery = Task.detached { try await deliverer.run() }
        let data = Task { try await pipeline.run() }
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                _ = await data.result
            } onCancel: {
                data.cancel()
            }
        } onGracefulShutdown: {
            data.cancel()
        }
        delivery.cancel()
        _ = await delivery.result
        try await client.shutdown()
        logger.info("collector stopped")
    }

    /// `/info`, retried with backoff until the engine answers (nil when cancelled first).
    func waitForDocker(_ client: DockerClient) async -> SystemInfo? {
        var delay = Duration.milliseconds(500)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                return try await client.info()
            } catch {
                metrics.add(.dockerErrors)
                logger.warning("Docker engine not reachable; retrying", metadata: ["endpoint": "\(configuration.docker)", "error": "\(error)", "retry_in": "\(delay)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(10))
            }
        }
        return nil
    }
}
