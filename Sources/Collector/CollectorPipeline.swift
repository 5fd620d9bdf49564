import ContainerMetrics
import DockerEngine
import Logging
import ServiceLifecycle
import Synchronization
import Timekeeping
import WireFormat

/// The collector's data side: follows every container of one Docker engine and turns stats, logs and lifecycle
/// events into records, handed in ``WireFormat/Batch``es to a ``RecordSink``.
///
/// ```
/// ContainerTracker (/containers/json + /events, reconnect) ──┬─ LogFollower per container (/logs → LogBucketer) ─┐
///                                                            ├─ lifecycle events ─────────────────────────────────┤
/// StatsPoller (every STATS_INTERVAL, cgroup or API) ─────────┼────────────────────────────────────────────────────┤
/// StatusReporter (every STATS_INTERVAL: states, counts) ─────┴────────────────────────────────────────────────────┴─▶
///   RecordQueue (bounded) ─▶ BatchBuilder (frameMaxBytes / frameInterval) ─▶ RecordSink.submit ─▶ checkpoints
/// ```
///
/// As a swift-service-lifecycle `Service`, ``run()`` runs until a graceful shutdown or cancellation, then stops the
/// readers, submits what is queued — open log buckets stay open: their lines are read again after a restart, from
/// the checkpoints — writes the checkpoints and returns. In ``CollectorService``'s group it stops before the
/// delivery side, so its last batch is spooled.
package final class CollectorPipeline: Service, Sendable {
    /// What to follow and how (filters, intervals, state directory, …).
    package let configuration: CollectorConfiguration
    /// The engine's client; the pipeline does not shut it down.
    package let client: DockerClient
    /// Where batches go (the delivery side).
    package let sink: any RecordSink
    /// Self-metrics the pipeline updates (containers, samples, log lines and buckets, events, docker errors and
    /// reconnects, record queue depth).
    package let metrics: CollectorMetrics
    /// Startup summary (stats source, network counters, own container), dockerd loss and reconnection.
    package let logger: Logger
    let matcher: ContainerMatcher
    let checkpoints: CheckpointStore
    let own: OwnContainer
    let queueCapacity: Int
    let reconnectBackoff: Backoff
    let clocks: Clocks
    private let following = Mutex(false)

    /// Whether the pipeline is connected to dockerd and following its containers: true once the first listing is
    /// done (containers created from then on are followed from their creation), false while it reconnects and
    /// after ``run()`` returned. For health checks, and for tests that must not race the first listing.
    package var isFollowing: Bool { following.withLock { $0 } }

    /// - Parameters:
    ///   - ownContainer: the collector's own container, excluded; nil detects it (``OwnContainer/detect(procRoots:hostname:)``).
    ///   - queueCapacity: records held between the readers and the batch builder before readers wait.
    ///   - reconnectBackoff: delays between attempts to reach dockerd (0.5 s doubling up to 10 s by default).
    /// - Throws: ``ContainerFilterError`` for a malformed filter, ``CheckpointError`` when the state directory
    ///   cannot be used.
    package init(
        configuration: CollectorConfiguration,
        client: DockerClient,
        sink: any RecordSink,
        metrics: CollectorMetrics,
        logger: Logger = Logger(label: "docker-librato.collector"),
        ownContainer: OwnContainer? = nil,
        queueCapacity: Int = 10_000,
        reconnectBackoff: Backoff = Backoff(),
        clocks: Clocks = .system
    ) throws {
        self.configuration = configuration
        self.client = client
        self.sink = sink
        self.metrics = metrics
        self.logger = logger
        self.matcher = try ContainerMatcher(configuration.filters)
        self.checkpoints = try CheckpointStore(stateDirectory: configuration.stateDirectory)
        self.own = ownContainer ?? OwnContainer.detect(procRoots: ["/proc", configuration.procRoot])
        self.queueCapacity = queueCapacity
        self.reconnectBackoff = reconnectBackoff
        self.clocks = clocks
    }

    /// Runs until a graceful shutdown or cancellation; returns normally then.
    /// - Throws: ``StatsSourceError`` when `STATS_SOURCE=cgroup` was asked for and the cgroup files are unusable.
    package func run() async throws {
        try await cancelWhenGracefulShutdown { try await self.runUntilCancelled() }
    }

    /// ``run()`` without the graceful-shutdown hook: runs until the task is cancelled.
    package func runUntilCancelled() async throws {
        let startNs = clocks.wall.now().nanoseconds
        guard let info = await connect() else { return }
        let source = try statsSource(info)
        logger.info(
            "collector data side starting",
            metadata: [
                "engine": "\(info.engineID)", "host": "\(configuration.hostName ?? info.name)", "stats_source": "\(source)",
                "stats_interval": "\(configuration.statsInterval)", "logs": "\(configuration.collectLogs)",
                "own_container": "\(own.id ?? own.hostnamePrefix.map { "\($0)… (host name)" } ?? "none")",
                "checkpoints": "\(checkpoints.path ?? "in memory (no STATE_DIR)")",
            ]
        )

        let queue = RecordQueue(capacity: queueCapacity, metrics: metrics)
        let builder = Task { await buildBatches(queue) }
        let registry = ContainerRegistry(metrics: metrics)
        let (spawns, spawner) = AsyncStream.makeStream(of: (@Sendable () async -> Void).self)
        let context = FollowerContext(
            client: client,
            queue: queue,
            metrics: metrics,
            logger: logger,
            closeDelay: configuration.logCloseDelay,
            spawn: { spawner.yield($0) },
            clocks: clocks
        )
        let tracker = ContainerTracker(
            client: client,
            settings: .init(
                matcher: matcher,
                own: own,
                labelTags: configuration.labelTags,
                collectLogs: configuration.collectLogs,
                collectorStartNs: startNs,
                backoff: reconnectBackoff,
                following: { [self] value in self.following.withLock { $0 = value } }
            ),
            registry: registry,
            checkpoints: checkpoints,
            followerContext: context,
            queue: queue,
            metrics: metrics,
            logger: logger
        )
        let poller = StatsPoller(
            source: source,
            interval: configuration.statsInterval,
            registry: registry,
            queue: queue,
            metrics: metrics,
            logger: logger,
            clocks: clocks,
            watchingSinceNs: startNs
        )
        let reporter = StatusReporter(
            client: client, matcher: matcher, own: own, interval: configuration.statsInterval, registry: registry, queue: queue,
            metrics: metrics, logger: logger, clocks: clocks)
        let tick = tickInterval
        let clocks = self.clocks

        await withDiscardingTaskGroup { group in
            group.addTask { await tracker.run() }
            group.addTask { await poller.run() }
            group.addTask { await reporter.run() }
            group.addTask {
                while !Task.isCancelled {
                    // The data side's clock tick: frame age and log bucket closing are checked this often.
                    try? await clocks.sleep(for: tick)
                    queue.tick()
                    let nowNs = clocks.wall.now().nanoseconds
                    let now = clocks.monotonicNow()
                    for follower in registry.followers { follower.tick(nowNs: nowNs, now: now) }
                }
            }
            // Log sessions run here too, so that cancelling the pipeline cancels them. The stream ends when the
            // task is cancelled.
            for await session in spawns {
                group.addTask { await session() }
            }
            group.cancelAll()
        }
        following.withLock { $0 = false }
        spawner.finish()
        queue.finish()
        await builder.value
        do {
            try checkpoints.save()
        } catch {
            logger.error("could not write log checkpoints", metadata: ["error": "\(error)"])
        }
        logger.info("collector data side stopped")
    }

    /// How often time-based rules are checked (frame age, bucket close).
    var tickInterval: Duration {
        let shortest = min(configuration.frameInterval, configuration.logCloseDelay, .seconds(1))
        return min(max(shortest / 4, .milliseconds(50)), .milliseconds(250))
    }

    /// `/info`, retried with backoff until dockerd answers; nil when cancelled first.
    func connect() async -> SystemInfo? {
        var backoff = reconnectBackoff
        var warned = false
        while !Task.isCancelled {
            do {
                return try await client.info()
            } catch {
                metrics.add(.dockerErrors)
                if !warned {
                    logger.warning("dockerd unreachable; retrying with backoff", metadata: ["error": "\(error)"])
                    warned = true
                }
            }
            do {
                // Reconnect backoff (jittered) before asking the engine again, on the injected clock.
                try await clocks.sleep(for: backoff.next())
            } catch {
                return nil
            }
        }
        return nil
    }

    /// The stats source `STATS_SOURCE` asks for; `auto` prefers the cgroup files (see ``StatsSourceSelection``).
    func statsSource(_ info: SystemInfo) throws -> any StatsSource {
        let selection = try StatsSourceSelection(configuration, info: info, client: client, wallClock: clocks.wall)
        if let reason = selection.fallbackReason {
            if case .remoteEngine = reason {
                logger.info("using the Engine API for stats", metadata: ["reason": "\(reason)"])
            } else {
                logger.info("cgroup files not usable, using the Engine API for stats", metadata: ["reason": "\(reason)"])
            }
        }
        return selection.source
    }

    // MARK: batching

    /// Drains the queue into batches and submits them one at a time, in order; ends when the queue is finished.
    func buildBatches(_ queue: RecordQueue) async {
        var builder = BatchBuilder(maxBytes: configuration.frameMaxBytes, maxAge: configuration.frameInterval)
        for await item in queue.items {
            queue.consumed(item)
            switch item {
            case .record(let record):
                if let full = builder.add(record, now: clocks.monotonicNow()) { await submit(full, queue) }
            case .tick:
                if let due = builder.due(now: clocks.monotonicNow()) { await submit(due, queue) }
            }
        }
        if let rest = builder.take() { await submit(rest, queue) }
    }

    /// Submits one batch, retrying with backoff while the sink fails (readers wait meanwhile: nothing is dropped
    /// here). Log checkpoints advance once the sink took the batch. At shutdown a failing sink gets three tries.
    func submit(_ batch: Batch, _ queue: RecordQueue) async {
        var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5))
        while true {
            do {
                try await sink.submit(batch)
                checkpoints.commit(batch)
                do {
                    try checkpoints.save()
                } catch {
                    logger.error("could not write log checkpoints", metadata: ["error": "\(error)"])
                }
                return
            } catch {
                if queue.isFinished && backoff.attempt >= 2 {
                    logger.error(
                        "record sink failed at shutdown; batch not delivered (its log lines are read again after a restart)",
                        metadata: ["error": "\(error)", "records": "\(batch.recordCount)"]
                    )
                    return
                }
                logger.warning("record sink failed; retrying", metadata: ["error": "\(error)", "records": "\(batch.recordCount)"])
                // Backoff (jittered) before handing the batch over again, on the injected clock.
                try? await clocks.sleep(for: backoff.next())
            }
        }
    }
}
