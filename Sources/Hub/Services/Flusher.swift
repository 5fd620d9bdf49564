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
                // HUB_SHUTDOWN_TIMEOUT: the flush gets this long (on the injected clock), then what is left stays with the collectors.
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

    /// Containers per slice of a streamed submission: ~30 measurements each, so a slice is ~30 k measurements and a
    /// few MiB however large the fleet (a period built whole held ~2 KiB per measurement: 6 GiB at 100 k containers).
    static let containersPerSlice = 1_000

    func submit(_ period: ClosedPeriod) async {
        let time = Int(period.start / 1000)
        // A hub that stopped in the middle of this period delivered its head, or part of it, already (DeliveryProgress).
        let headDone = await runtime.deliveredHead(period.start)
        var head = headDone.all ? [] : naming.rollups(for: period)
        if postSelfMetrics && !headDone.all {
            head += await runtime.selfMetrics(time: time, period: naming.periodSeconds)
        }
        if !headDone.series.isEmpty { head.removeAll { !headDone.keeps($0) } }
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
    /// ``paced(_:build:time:)`` for measurements held in one list (one part).
    func paced(_ measurements: [Measurement], time: Int) async -> (SubmitReport, deferred: Int, cut: Int) {
        await paced(ServingOrder(parts: [measurements]), build: { _ in measurements }, time: time)
    }

    /// Submits a period's measurements, in the parts `build` makes and counted in `order`, within the account's
    /// budget (``RatePacer``): everything when it fits (so a load that fits never meets a 429); otherwise the
    /// highest-priority part (``ServingOrder``) now, the rest when the budget's window resets if that is within
    /// ``rateDeferral``, and what still does not fit is dropped — counted and logged, never silently. Each step builds
    /// the parts it takes from again rather than holding the period. A graceful shutdown that interrupts the wait leaves
    /// the rest undelivered (the period stays pending and its frames with the collectors). Nothing is journalled on
    /// this path: a crash in the middle of a paced period posts its sent part again.
    func paced(_ order: ServingOrder, build: (Int) -> [Measurement], time: Int) async -> (SubmitReport, deferred: Int, cut: Int) {
        guard order.total > 0 else { return (SubmitReport(), 0, 0) }
        let period = Double(naming.periodSeconds)
        var report = SubmitReport()
        var deferred = 0
        var next = 0
        let deadline = clocks.wall.now().seconds + rateDeferral.seconds
        var allowance = pacer.allowance(sink.rateBudget, now: clocks.wall.now().seconds, periodSeconds: period)
        while true {
            let n = min(allowance, order.total - next)
            if n > 0 {
                for (part, ordinals) in order.take(next..<next + n) {
                    report.merge(await sink.submit(ServingOrder.select(build(part), ordinals)))
                }
                next += n
            }
            if next == order.total { break }
            // Wait for the budget's next window when it comes within the deferral bound.
            guard let reset = sink.rateBudget?.resetAt, reset <= deadline, !Task.isCancelled else { break }
            if deferred == 0 {
                deferred = order.total - next
                logger.notice(
                    "Librato budget: holding part of a period for the next rate-limit window",
                    metadata: ["period": "\(time)", "held": "\(deferred)", "of": "\(order.total)", "window_resets_in_s": "\(Int(reset - clocks.wall.now().seconds))"])
            }
            // Until the account's rate-limit window resets (a second past it), on the injected clock.
            do { try await clocks.sleep(untilWall: WallTime(seconds: reset + 1)) } catch { break }
            allowance = pacer.allowance(sink.rateBudget, now: clocks.wall.now().seconds, periodSeconds: period)
        }
        let rest = next..<order.total
        if Task.isCancelled {
            for (part, ordinals) in order.take(rest) { report.undelivered += ServingOrder.select(build(part), ordinals) }
            return (report, deferred, 0)
        }
        if !rest.isEmpty {
            let budget = sink.rateBudget
            logger.warning(
                "Librato budget exceeded: dropped the lowest-priority measurements of a period (cut volume with LIBRATO_CONTAINER_SERIES, LIBRATO_METRIC_GROUPS, LIBRATO_INTERFACE_SERIES, or raise the account's limit)",
                metadata: [
                    "period": "\(time)", "dropped": "\(rest.count)", "of": "\(order.total)",
                    "dropped_by_class": "\(order.classes(rest).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))",
                    "limit": "\(budget?.limit ?? 0)", "remaining": "\(budget?.remaining ?? 0)",
                ])
        }
        return (report, deferred, rest.count)
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
        // The queue can end before the group has seen the flusher return (with nothing queued, at once): returning
        // then is "a service finished unexpectedly" to the ServiceGroup, and the hub would exit with an error after a
        // clean SIGTERM. So it returns when the group shuts it down, after the flusher.
        try? await gracefulShutdown()
    }
}

extension AnnotationResult {
    var isCreated: Bool {
        if case .created = self { return true }
        return false
    }
}
