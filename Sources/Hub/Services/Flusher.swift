import Librato
import Logging
import ServiceLifecycle
import Timekeeping

/// Submits closed periods to Librato in time order: waits for the runtime's ``HubRuntime/closedPeriods`` signal,
/// then submits every pending period. On graceful shutdown (after ingest has stopped) it closes every open period
/// and submits what the hub holds, for at most `shutdownTimeout` on the injected clock; what is left stays with the
/// collectors (unacknowledged) and is sent again after a restart.
struct Flusher: Service {
    let runtime: HubRuntime
    let sink: any MetricsSink
    let naming: NamingScheme
    let postSelfMetrics: Bool
    let annotations: AnnotationSender
    let shutdownTimeout: Duration
    let clocks: Clocks
    let logger: Logger

    func run() async {
        for await _ in runtime.closedPeriods.cancelOnGracefulShutdown() {
            while let period = await runtime.nextToSubmit() {
                await submit(period)
            }
        }
        let drained = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                while let period = await runtime.nextToSubmit(closingAll: true) {
                    await submit(period)
                    if Task.isCancelled { return false }
                }
                return !(await runtime.hasPending)
            }
            group.addTask {
                try? await clocks.sleep(for: shutdownTimeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        annotations.finish()
        logger.info(drained ? "flushed all periods before stopping" : "stopping with periods not submitted; collectors keep their frames")
    }

    func submit(_ period: ClosedPeriod) async {
        let time = Int(period.start / 1000)
        var measurements = naming.measurements(for: period)
        if postSelfMetrics {
            measurements += await runtime.selfMetrics(time: time, period: naming.periodSeconds)
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
            try await runtime.finished(period, report: report, measurements: measurements.count, durationMs: elapsed.components.seconds * 1000)
        } catch {
            logger.error("could not write the hub state file; acks are held back", metadata: ["error": "\(error)"])
            return
        }
        // The runtime put the new acks on the board when it recorded the delivery.
        if report.isComplete { annotations.send(naming.annotations(for: period)) }
    }
}

/// Posts the annotations of delivered periods, one batch at a time, off the flusher's path. Its queue is bounded
/// (the newest 64 batches); the flusher finishes it on shutdown and this service sends what is left.
struct AnnotationSender: Service {
    let sink: any MetricsSink
    let runtime: HubRuntime
    private let stream: AsyncStream<[Annotation]>
    private let queue: AsyncStream<[Annotation]>.Continuation

    init(sink: any MetricsSink, runtime: HubRuntime) {
        self.sink = sink
        self.runtime = runtime
        (stream, queue) = AsyncStream.makeStream(of: [Annotation].self, bufferingPolicy: .bufferingNewest(64))
    }

    func send(_ batch: [Annotation]) {
        if !batch.isEmpty { queue.yield(batch) }
    }

    func finish() { queue.finish() }

    func run() async {
        // Not cancelled on graceful shutdown: it ends when the flusher, shut down before it, finishes the queue.
        for await batch in stream {
            var sent = 0
            for a in batch where await sink.annotate(a).isCreated { sent += 1 }
            await runtime.annotationsSent(sent)
        }
    }
}

extension AnnotationResult {
    var isCreated: Bool {
        if case .created = self { return true }
        return false
    }
}
