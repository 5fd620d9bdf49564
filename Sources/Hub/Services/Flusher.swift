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
    /// How long the part of a period over the account's budget may wait for the budget's next window.
    let rateDeferral: Duration
    let pacer = RatePacer()
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

    /// Containers per slice of a streamed submission: ~40 measurements each, so a slice is ~40 k measurements and a
    /// few MiB however large the fleet (a period built whole held ~2 KiB per measurement: 6 GiB at 100 k containers).
    static let containersPerSlice = 1_000

    func submit(_ period: ClosedPeriod) async {
        let time = Int(period.start / 1000)
        var head = naming.rollups(for: period)
        if postSelfMetrics {
            head += await runtime.selfMetrics(time: time, period: naming.periodSeconds)
        }
        let started = ContinuousClock.now
        let (report, deferred, cut, count) = await streamed(period, head: head, time: time)
        let elapsed = started.duration(to: .now)
        for invalid in report.invalid.prefix(20) {
            logger.warning(
                "Librato rejected a measurement",
                metadata: ["name": "\(invalid.measurement.name)", "status": "\(invalid.status.map(String.init) ?? "client")", "message": "\(invalid.message)"])
        }
        let requests = report.requestsByStatus.values.reduce(0, +)
        if sink.isDryRun {
            logger.info(
                "dry run: period printed, not sent",
                metadata: ["period": "\(time)", "containers": "\(period.containers.count)", "measurements": "\(count)", "requests": "\(requests)"])
        } else {
            logger.info(
                "period submitted",
                metadata: [
                    "period": "\(time)", "containers": "\(period.containers.count)", "measurements": "\(count)",
                    "accepted": "\(report.accepted)", "requests": "\(requests)",
                ])
        }
        if report.tooOld > 0 {
            logger.error("dropped measurements older than Librato accepts", metadata: ["count": "\(report.tooOld)", "period": "\(time)"])
        }
        do {
            try await runtime.finished(
                period, report: report, measurements: count, durationMs: elapsed.components.seconds * 1000, deferred: deferred,
                rateLimited: cut, budget: sink.rateBudget)
        } catch {
            logger.error("could not write the hub state file; acks are held back", metadata: ["error": "\(error)"])
            return
        }
        // The runtime put the new acks on the board when it recorded the delivery.
        if report.isComplete { annotations.send(naming.annotations(for: period)) }
    }
}

extension Flusher {
    /// Submits a period: when the account's budget surely takes it all (or none is known), as a stream — `head`
    /// (roll-ups, the hub's own metrics) first, then the containers' measurements a slice at a time, each built just
    /// before it is sent; otherwise, or once a slice would overrun the budget, what is left is built whole and
    /// ``paced(_:time:)``. Returns the report, what was deferred and cut, and how many measurements there were.
    func streamed(_ period: ClosedPeriod, head: [Measurement], time: Int) async -> (SubmitReport, deferred: Int, cut: Int, count: Int) {
        let allowance = pacer.allowance(sink.rateBudget, now: clocks.wall.now().seconds, periodSeconds: Double(naming.periodSeconds))
        let slices = stride(from: 0, to: period.containers.count, by: Self.containersPerSlice).map {
            $0..<min($0 + Self.containersPerSlice, period.containers.count)
        }
        var report = SubmitReport()
        var sent = 0
        var next = 0
        var batch = head
        if allowance >= naming.estimatedCount(period) + head.count {
            while true {
                if sent + batch.count > allowance { break }
                if !batch.isEmpty { report.merge(await sink.submit(batch)) }
                sent += batch.count
                batch = []
                guard next < slices.count else { return (report, 0, 0, sent) }
                if Task.isCancelled {
                    // Shutdown: the rest stays undelivered (the period stays pending, its frames with the collectors).
                    report.undelivered += naming.containerMeasurements(period.containers[slices[next]], periodStart: period.start)
                    return (report, 0, 0, sent)
                }
                batch = naming.containerMeasurements(period.containers[slices[next]], periodStart: period.start)
                next += 1
            }
        }
        // Over (or near) the budget: the rest as one list, served by priority.
        var rest = batch
        for r in slices[next...] { rest += naming.containerMeasurements(period.containers[r], periodStart: period.start) }
        let (paced, deferred, cut) = await paced(rest, time: time)
        report.merge(paced)
        return (report, deferred, cut, sent + rest.count)
    }

    /// Submits `measurements` within the account's budget (``RatePacer``): everything when it fits (so a load that
    /// fits never meets a 429); otherwise the highest-priority part (``SeriesSelection/rank(_:)``) now, the rest when
    /// the budget's window resets if that is within ``rateDeferral``, and what still does not fit is dropped —
    /// counted and logged, never silently. A graceful shutdown that interrupts the wait leaves the rest undelivered
    /// (the period stays pending and its frames with the collectors).
    func paced(_ measurements: [Measurement], time: Int) async -> (SubmitReport, deferred: Int, cut: Int) {
        guard !measurements.isEmpty else { return (SubmitReport(), 0, 0) }
        let period = Double(naming.periodSeconds)
        let first = pacer.allowance(sink.rateBudget, now: clocks.wall.now().seconds, periodSeconds: period)
        if first >= measurements.count { return (await sink.submit(measurements), 0, 0) }
        var queue = SeriesSelection.prioritized(measurements)[...]
        var report = SubmitReport()
        var deferred = 0
        let deadline = clocks.wall.now().seconds + rateDeferral.seconds
        var allowance = first
        while true {
            let n = min(allowance, queue.count)
            if n > 0 {
                report.merge(await sink.submit(Array(queue.prefix(n))))
                queue = queue.dropFirst(n)
            }
            if queue.isEmpty { break }
            // Wait for the budget's next window when it comes within the deferral bound.
            guard let reset = sink.rateBudget?.resetAt, reset <= deadline, !Task.isCancelled else { break }
            if deferred == 0 {
                deferred = queue.count
                logger.notice(
                    "Librato budget: holding part of a period for the next rate-limit window",
                    metadata: ["period": "\(time)", "held": "\(queue.count)", "of": "\(measurements.count)", "window_resets_in_s": "\(Int(reset - clocks.wall.now().seconds))"])
            }
            do { try await clocks.sleep(untilWall: WallTime(seconds: reset + 1)) } catch { break }
            allowance = pacer.allowance(sink.rateBudget, now: clocks.wall.now().seconds, periodSeconds: period)
        }
        if Task.isCancelled {
            report.undelivered += queue
            return (report, deferred, 0)
        }
        if !queue.isEmpty {
            var byClass: [String: Int] = [:]
            for m in queue { byClass[SeriesSelection.className(ofRank: SeriesSelection.rank(m)), default: 0] += 1 }
            let budget = sink.rateBudget
            logger.warning(
                "Librato budget exceeded: dropped the lowest-priority measurements of a period (cut volume with LIBRATO_CONTAINER_SERIES, LIBRATO_METRIC_GROUPS, LIBRATO_INTERFACE_SERIES, or raise the account's limit)",
                metadata: [
                    "period": "\(time)", "dropped": "\(queue.count)", "of": "\(measurements.count)",
                    "dropped_by_class": "\(byClass.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))",
                    "limit": "\(budget?.limit ?? 0)", "remaining": "\(budget?.remaining ?? 0)",
                ])
        }
        return (report, deferred, queue.count)
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
