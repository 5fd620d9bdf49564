import Librato
import Logging
import Synchronization
import Timekeeping

extension Flusher {
    /// Submits a period as a stream of parts — `head` (roll-ups, the hub's own metrics), then the containers'
    /// measurements a slice at a time, each built just before it is sent — so that what the hub holds at once is
    /// bounded by a slice, not by the fleet. When the account's budget might not take it (it is below an upper bound
    /// counted without building anything), the period is counted first (each slice built and dropped: exact, where an
    /// estimate per container sent periods that fit down the paced path and built them whole). If the budget takes it
    /// all, or none is known, it goes one request per part (``submitParts(_:build:accepted:)``), cut on container
    /// boundaries, and each part is journalled the moment its request is accepted (``HubRuntime/journalRecord(_:containers:)``,
    /// ``HubRuntime/partDelivered(_:headSeries:containers:journalled:)``) so that a crash later does not post it again;
    /// otherwise the period is ``paced(_:build:time:)`` by priority. Returns the report, what was deferred and cut,
    /// and how many measurements there were.
    func streamed(_ period: ClosedPeriod, head: [Measurement], time: Int) async -> (SubmitReport, deferred: Int, cut: Int, count: Int) {
        let slices = stride(from: 0, to: period.containers.count, by: Self.containersPerSlice).map {
            $0..<min($0 + Self.containersPerSlice, period.containers.count)
        }
        // Part 0 is the head; part i > 0 is slice i - 1.
        let build = { (part: Int) -> [Measurement] in
            part == 0 ? head : naming.containerMeasurements(period.containers[slices[part - 1]], periodStart: period.start)
        }
        let parts = 0...slices.count
        let allowance = pacer.allowance(sink.rateBudget, now: clocks.wall.now().seconds, periodSeconds: Double(naming.periodSeconds))
        // Counted only when a known budget might not take it (ranks only when it does not: they cost more).
        let fits = allowance >= head.count + naming.containerMeasurementsBound(period.containers[...])
        let total = fits ? nil : parts.reduce(0) { $0 + build($1).count }
        if let total, allowance < total {
            let order = ServingOrder(counts: parts.map { ServingOrder.rankCounts(build($0)) })
            let (report, deferred, cut) = await paced(order, build: build, time: time)
            return (report, deferred, cut, order.total)
        }
        let perRequest = max(1, sink.measurementsPerRequest)
        do {
            try await runtime.beginJournal(period)
        } catch {
            logger.warning("could not begin the delivery progress journal; a crash now may post part of this period again", metadata: ["error": "\(error)"])
        }
        let headParts = stride(from: 0, to: head.count, by: perRequest).map { $0..<min($0 + perRequest, head.count) }
        let headSeries = head.map(DeliveryProgress.seriesHash)
        var report = await submitParts(headParts.count) { i in
            (Array(head[headParts[i]]), DeliveryProgressCodec.headSeries(Array(headSeries[headParts[i]])))
        } accepted: { i, journalled in
            await runtime.partDelivered(period, headSeries: Array(headSeries[headParts[i]]), journalled: journalled)
        }
        var sent = head.count
        for slice in slices {
            // Something is left undelivered (a shutdown): the period stays pending, its frames with the collectors.
            guard report.undelivered.isEmpty else { break }
            var ends: [Int] = []
            let measurements = naming.containerMeasurements(period.containers[slice], periodStart: period.start, ends: &ends)
            let cuts = Self.requestParts(ends: ends, limit: perRequest)
            let containers = { (i: Int) in (slice.lowerBound + cuts[i].containers.lowerBound)..<(slice.lowerBound + cuts[i].containers.upperBound) }
            report.merge(
                await submitParts(cuts.count) { i in
                    (Array(measurements[cuts[i].measurements]), await runtime.journalRecord(period, containers: containers(i)))
                } accepted: { i, journalled in
                    await runtime.partDelivered(period, containers: containers(i), journalled: journalled)
                })
            sent += measurements.count
        }
        return (report, 0, 0, total ?? sent)
    }

    /// Cuts a slice's measurements into parts of whole containers, each at most `limit` measurements (a container
    /// with more has a part of its own): `ends[i]` is where container i's measurements end. A container is journalled
    /// once its part is accepted, so one split over two requests would be posted again if the hub died between them.
    static func requestParts(ends: [Int], limit: Int) -> [(containers: Range<Int>, measurements: Range<Int>)] {
        var parts: [(containers: Range<Int>, measurements: Range<Int>)] = []
        var first = 0
        var from = 0
        for i in ends.indices where i > first && ends[i] - from > limit {
            parts.append((first..<i, from..<ends[i - 1]))
            first = i
            from = ends[i - 1]
        }
        if let last = ends.last, first < ends.count { parts.append((first..<ends.count, from..<last)) }
        return parts
    }

    /// Submits `count` parts (each built by `build` just before it goes, at most one request's worth, with the journal
    /// record that says it was delivered), with one more in flight than the sink's concurrency so that encoding the
    /// next overlaps the requests. The record is appended the moment Librato accepts the part's request (on the HTTP
    /// client's thread: ``MetricsSink/submit(_:whenAccepted:)``); `accepted` is then called with each part whose
    /// measurements were all delivered, and whether its record is in the journal already. Once the task is
    /// cancelled, the parts not yet sent are reported undelivered.
    func submitParts(
        _ count: Int, build: (Int) async -> (batch: [Measurement], record: [UInt8]), accepted: (Int, _ journalled: Bool) async -> Void
    ) async -> SubmitReport {
        let width = max(1, sink.concurrentRequests) + 1
        let sink = self.sink
        let store = runtime.store
        return await withTaskGroup(of: (Int, SubmitReport, Bool).self, returning: SubmitReport.self) { group in
            var report = SubmitReport()
            var next = 0
            var running = 0
            while true {
                while running < width, next < count {
                    let (batch, record) = await build(next)
                    let part = next
                    next += 1
                    if Task.isCancelled {
                        report.undelivered += batch
                        continue
                    }
                    guard !batch.isEmpty else { continue }
                    group.addTask {
                        let journalled = Mutex(false)
                        let outcome = await sink.submit(batch) {
                            if (try? store.appendProgress(record)) != nil { journalled.withLock { $0 = true } }
                        }
                        return (part, outcome, journalled.withLock { $0 })
                    }
                    running += 1
                }
                guard let (part, outcome, journalled) = await group.next() else { return report }
                running -= 1
                report.merge(outcome)
                if outcome.undelivered.isEmpty { await accepted(part, journalled) }
            }
        }
    }
}
