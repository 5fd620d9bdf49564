import ContainerMetrics
public import Librato
public import Logging
import Nanomsg
public import ServiceLifecycle
import Synchronization
import WireFormat

/// The hub as a swift-service-lifecycle `Service`: ingest (PULL), flush (Librato), acks (PUB) and the status server.
///
/// On graceful shutdown (SIGTERM) it stops taking frames, closes its open periods and submits them (bounded by
/// `shutdownFlushTimeout`), writes its state, publishes the final acks and closes its sockets.
public final class HubService: Service {
    public let settings: HubSettings
    public let engine: HubEngine
    let sink: any MetricsSink
    let logger: Logger
    let naming: NamingScheme
    let pull: NanoSocket
    let pub: NanoSocket
    private let shuttingDown = Mutex(false)

    /// Binds the hub's sockets (so that address errors surface here, before `run`).
    /// - Parameter quietAboutMissingKey: standalone uses an in-process ipc socket, where no key is needed.
    public init(
        settings: HubSettings, sink: any MetricsSink, logger: Logger, clock: @escaping @Sendable () -> Int64 = HubClock.nowMs,
        quietAboutMissingKey: Bool = false
    ) throws {
        self.settings = settings
        self.sink = sink
        self.logger = logger
        self.naming = NamingScheme(mode: settings.naming, periodSeconds: Int(settings.configuration.periodMs / 1000), api: settings.api)
        self.engine = try HubEngine(
            configuration: settings.configuration, store: HubStateStore(directory: settings.stateDirectory), key: settings.clusterKey,
            hostName: settings.hostName, logger: logger, clock: clock)
        pull = try NanoSocket(.pull)
        try pull.setReceiveMaxSize(settings.maxFrameBytes)
        try pull.setReceiveBuffer(1 << 20)
        try pull.bind(settings.listen)
        pub = try NanoSocket(.pub)
        try pub.setSendBuffer(1 << 20)
        try pub.bind(settings.ackListen)
        if settings.clusterKey.isNull && !quietAboutMissingKey {
            logger.warning(
                "running WITHOUT a cluster key: anyone who can reach the hub's ports can inject data; set CLUSTER_KEY_FILE on the hub and the collectors")
        }
    }

    public func run() async throws {
        logger.info(
            "hub started",
            metadata: [
                "listen": "\(settings.listen)", "ack_listen": "\(settings.ackListen)", "http": "\(settings.httpListen ?? "off")",
                "period_ms": "\(settings.configuration.periodMs)", "naming": "\(settings.naming.rawValue)", "api": "\(settings.api.rawValue)",
                "sink": "\(type(of: sink))", "state_dir": "\(settings.stateDirectory ?? "none (in memory)")",
            ])
        let (annotations, annotationQueue) = AsyncStream.makeStream(of: [Annotation].self, bufferingPolicy: .bufferingNewest(64))
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await self.ingestLoop() }
            group.addTask { await self.ackLoop() }
            group.addTask {
                while !Task.isCancelled {
                    await self.engine.tick()
                    try? await Task.sleep(for: .milliseconds(200))
                }
            }
            group.addTask {
                for await batch in annotations {
                    var sent = 0
                    for a in batch where await self.sink.annotate(a).isCreated { sent += 1 }
                    await self.engine.annotationsSent(sent)
                }
            }
            if let listen = settings.httpListen {
                group.addTask {
                    do {
                        try await StatusServer(listen: listen, engine: self.engine, logger: self.logger).run()
                    } catch is CancellationError {
                    } catch {
                        self.logger.error("status server failed", metadata: ["listen": "\(listen)", "error": "\(error)"])
                    }
                }
            }
            await withGracefulShutdownHandler {
                await self.flushLoop(annotations: annotationQueue)
            } onGracefulShutdown: {
                self.shuttingDown.withLock { $0 = true }
                self.pull.close()
            }
            annotationQueue.finish()
            await self.publishAcks()
            // nanomsg has no linger: give the last acks a moment on the wire before closing.
            try? await Task.sleep(for: .milliseconds(200))
            group.cancelAll()
        }
        pull.close()
        await pub.closeAndWait()
        logger.info("hub stopped")
    }

    private var isShuttingDown: Bool { shuttingDown.withLock { $0 } || Task.isCancelled }

    /// Frames in → engine, until the PULL socket closes.
    func ingestLoop() async {
        var opener = FrameOpener(key: settings.clusterKey)
        do {
            for try await bytes in pull.messages {
                do throws(WireError) {
                    let frame = try opener.open(bytes)
                    await engine.ingest(frame)
                } catch {
                    await engine.rejected(error, size: bytes.count, claimed: try? FrameOpener.peekHeader(bytes))
                }
            }
        } catch {
            if !(error is CancellationError) { logger.error("ingest stopped", metadata: ["error": "\(error)"]) }
        }
    }

    /// Acks every second (they are cumulative and repeated, so a lost one costs nothing).
    func ackLoop() async {
        while !Task.isCancelled {
            await publishAcks()
            try? await Task.sleep(for: .seconds(1))
        }
    }

    func publishAcks() async {
        for message in await engine.ackMessages() { _ = try? pub.trySend(message) }
    }

    /// Submits closed periods in time order; on shutdown, closes everything and submits it within the timeout.
    func flushLoop(annotations: AsyncStream<[Annotation]>.Continuation) async {
        while !isShuttingDown {
            if let period = await engine.nextToSubmit() {
                await submit(period, annotations: annotations)
            } else {
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        let deadline = ContinuousClock.now.advanced(by: settings.shutdownFlushTimeout)
        let drained = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                while let period = await self.engine.nextToSubmit(closingAll: true) {
                    await self.submit(period, annotations: annotations)
                    if ContinuousClock.now > deadline { return false }
                }
                return !(await self.engine.hasPending)
            }
            group.addTask {
                try? await Task.sleep(until: deadline)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        logger.info(drained ? "flushed all periods before stopping" : "stopping with periods not submitted; collectors keep their frames")
    }

    func submit(_ period: ClosedPeriod, annotations: AsyncStream<[Annotation]>.Continuation) async {
        let time = Int(period.start / 1000)
        var measurements = naming.measurements(for: period)
        if settings.naming == .standard {
            measurements += await engine.selfMetrics(time: time, period: naming.periodSeconds)
        }
        let started = ContinuousClock.now
        let report = measurements.isEmpty ? SubmitReport() : await sink.submit(measurements)
        let elapsed = started.duration(to: .now)
        for invalid in report.invalid.prefix(20) {
            logger.warning(
                "Librato rejected a measurement",
                metadata: ["name": "\(invalid.measurement.name)", "status": "\(invalid.status.map(String.init) ?? "client")", "message": "\(invalid.message)"])
        }
        if report.tooOld > 0 {
            logger.error("dropped measurements older than Librato accepts", metadata: ["count": "\(report.tooOld)", "period": "\(time)"])
        }
        do {
            try await engine.finished(
                period, report: report, measurements: measurements.count, durationMs: Int64(elapsed.components.seconds * 1000))
        } catch {
            logger.error("could not write the hub state file; acks are held back", metadata: ["error": "\(error)"])
            return
        }
        if report.isComplete {
            await publishAcks()
            let notes = naming.annotations(for: period)
            if !notes.isEmpty { annotations.yield(notes) }
        }
    }
}

extension AnnotationResult {
    var isCreated: Bool {
        if case .created = self { return true }
        return false
    }
}
