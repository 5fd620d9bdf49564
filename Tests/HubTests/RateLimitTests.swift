import ContainerMetrics
import DockerLibratoTesting
import Librato
import Logging
import Synchronization
import Testing
import Timekeeping
import WireFormat

@_spi(Benchmarks) @testable import Hub

/// A sink with a budget: accepts what it is given while the window allows, like Librato's measurement limit.
final class BudgetSink: MetricsSink, Sendable {
    struct State {
        var budget: RateBudget
        var sent: [Measurement] = []
        var requests = 0
        /// The most measurements handed over in one submit.
        var largest = 0
    }

    let state: Mutex<State>
    let window: Double
    let clocks: Clocks
    var api: LibratoAPI { .legacy }

    init(limit: Int, window: Double, clocks: Clocks) {
        self.window = window
        self.clocks = clocks
        let now = clocks.wall.now().seconds
        state = Mutex(State(budget: RateBudget(limit: limit, remaining: limit, resetAt: now + window, seenAt: now)))
    }

    func submit(_ measurements: [Measurement]) async -> SubmitReport {
        let now = clocks.wall.now().seconds
        return state.withLock { s in
            if now >= s.budget.resetAt {
                s.budget.remaining = s.budget.limit
                s.budget.resetAt += window * ((now - s.budget.resetAt) / window).rounded(.down) + window
            }
            s.requests += 1
            s.largest = max(s.largest, measurements.count)
            var report = SubmitReport()
            report.submitted = measurements.count
            if measurements.count > s.budget.remaining {
                report.requestsByStatus[429] = 1
                report.undelivered = measurements
                return report
            }
            s.budget.remaining -= measurements.count
            s.budget.seenAt = now
            s.sent += measurements
            report.accepted = measurements.count
            report.requestsByStatus[200] = 1
            return report
        }
    }

    func annotate(_ annotation: Annotation) async -> AnnotationResult { .created(location: nil) }
    func shutdown() async throws {}
    var rateBudget: RateBudget? { state.withLock { $0.budget } }
}

@Suite("hub under Librato's rate limit: paced, served by priority, the rest counted")
struct RateLimitTests {
    func flusher(_ sink: BudgetSink, clock: ManualClock, deferral: Duration = .zero) throws -> Flusher {
        let runtime = try HubRuntime(
            configuration: HubConfiguration(periodMs: 60_000), store: HubStateStore(directory: nil), key: .none, hostName: "hub",
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, wallClock: clock.wallClock)
        return Flusher(
            runtime: runtime, sink: sink, naming: NamingScheme(mode: .standard, periodSeconds: 60), postSelfMetrics: false,
            annotations: AnnotationSender(sink: sink, runtime: runtime), shutdownTimeout: .seconds(5), rateDeferral: deferral,
            clocks: clock.clocks, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
    }

    /// A period's worth of measurements: containers × per-container series, host and cluster roll-ups, interleaved.
    func period(containers: Int) -> [Measurement] {
        var out: [Measurement] = []
        for c in 0..<containers {
            let tags = ["cluster": "c", "host": "h\(c % 3)", "container": "web-\(c)"]
            for name in ["docker.container.network.rx.bytes", "docker.container.cpu.percent", "docker.container.logs.stdout.lines", "db.latency"] {
                out.append(Measurement(name: name, source: "c:h\(c % 3):web-\(c)", tags: tags, time: 0, value: .single(1)))
            }
            out.append(Measurement(name: "docker.host.cpu.percent", source: "c:h\(c)", tags: ["cluster": "c", "host": "h\(c)"], time: 0, value: .single(1)))
        }
        out.append(Measurement(name: "docker.cluster.containers.running", source: "c", tags: ["cluster": "c"], time: 0, value: .single(1)))
        out.append(Measurement(name: "docker_librato.hub.samples", source: "c:hub", tags: ["cluster": "c", "role": "hub"], time: 0, value: .single(1)))
        return out
    }

    @Test func aLoadThatFitsIsSentWholeAndNeverMeetsA429() async throws {
        let clock = ManualClock()
        // 60 periods per window; 61 measurements per period fit easily in 10,000.
        let sink = BudgetSink(limit: 10_000, window: 3_600, clocks: clock.clocks)
        let f = try flusher(sink, clock: clock)
        for _ in 0..<60 {
            let (report, deferred, cut) = await f.paced(period(containers: 12), time: 0)
            #expect(report.accepted == 62 && deferred == 0 && cut == 0)
            clock.advance(by: .seconds(60))
        }
        #expect(sink.state.withLock { $0.sent.count } == 60 * 62)
    }

    @Test func aLoadOverTheBudgetIsServedInPriorityOrderAndTheRestCountedAsDropped() async throws {
        let clock = ManualClock()
        // 600 per hour-long window = 10 per minute-long period (less the 2 % reserve: 9 now).
        let sink = BudgetSink(limit: 600, window: 3_600, clocks: clock.clocks)
        let f = try flusher(sink, clock: clock)
        let all = period(containers: 5)  // 20 container series + 5 host + 1 cluster + 1 self = 27
        let (report, deferred, cut) = await f.paced(all, time: 0)
        let sent = sink.state.withLock { $0.sent }
        #expect(report.accepted == 9)
        #expect(deferred == 0, "the window resets in an hour, beyond the deferral bound")
        #expect(cut == 27 - 9)
        #expect(Array(sent.map(\.name).prefix(7)) == ["docker_librato.hub.samples", "docker.cluster.containers.running"] + Array(repeating: "docker.host.cpu.percent", count: 5))
        #expect(sent.dropFirst(7).allSatisfy { $0.name == "docker.container.cpu.percent" }, "then every container's CPU before anything else of theirs")
        #expect(sink.state.withLock { $0.requests } == 1, "no request was refused")
    }

    @Test func theRestWaitsForTheWindowsResetWithinTheDeferralBoundOnTheInjectedClock() async throws {
        let clock = ManualClock()
        // A 60 s window: 40 now (less the reserve), the rest after the reset 60 s later.
        let sink = BudgetSink(limit: 40, window: 60, clocks: clock.clocks)
        let f = try flusher(sink, clock: clock, deferral: .seconds(90))
        let task = Task { await f.paced(period(containers: 10), time: 0) }  // 52 measurements
        await clock.waitForSleepers()
        #expect(sink.state.withLock { $0.sent.count } == 39)
        clock.advanceToNextDeadline()
        let (report, deferred, cut) = await task.value
        #expect(deferred == 13 && cut == 0)
        #expect(report.accepted == 52)
    }
}

/// A period is submitted as a stream of slices: what it holds in memory at once is bounded by a slice, not by the
/// fleet, and nothing is sent twice or left out.
@Suite("hub flush: a period streamed in slices")
struct StreamedFlushTests {
    func closedPeriod(containers n: Int) -> ClosedPeriod {
        var containers: [ContainerPeriod] = []
        for i in 0..<n {
            var c = ContainerPeriod(
                identity: ContainerIdentity(id: "id\(i)", name: "web-\(i)", image: "img"), cluster: "c", host: "h\(i % 7)", engineID: "e\(i % 7)")
            for g in ContainerGauge.allCases { c.add(g, Double(i)) }
            for k in ContainerCounter.allCases { c.add(k, 1) }
            c.samples = 1
            containers.append(c)
        }
        return ClosedPeriod(start: 60_000, containers: containers)
    }

    @Test func aLargePeriodIsSentInSlicesRollUpsFirstEachMeasurementOnce() async throws {
        let clock = ManualClock()
        let sink = RecordingSink()
        let f = try RateLimitTests().flusher(BudgetSink(limit: 1, window: 1, clocks: clock.clocks), clock: clock)
        let streaming = Flusher(
            runtime: f.runtime, sink: sink, naming: f.naming, postSelfMetrics: false, annotations: f.annotations, shutdownTimeout: .seconds(5),
            rateDeferral: .zero, clocks: clock.clocks, logger: f.logger)
        let period = closedPeriod(containers: 2_500)
        let (report, deferred, cut, count) = await streaming.streamed(period, head: f.naming.rollups(for: period), time: 60)
        let whole = f.naming.measurements(for: period)
        let calls = sink.calls.withLock { $0 }
        #expect(count == whole.count && report.accepted == whole.count && deferred == 0 && cut == 0)
        let head = f.naming.rollups(for: period)
        let headCalls = (head.count + sink.measurementsPerRequest - 1) / sink.measurementsPerRequest
        #expect(calls.allSatisfy { $0.count <= sink.measurementsPerRequest }, "one request's worth per submit, each journalled as it is accepted")
        #expect(calls.prefix(headCalls).joined().allSatisfy { $0.name.hasPrefix("docker.cluster.") || $0.name.hasPrefix("docker.host.") }, "roll-ups first")
        #expect(calls.dropFirst(headCalls).joined().allSatisfy { $0.name.hasPrefix("docker.container.") })
        // Cut on container boundaries: each container's measurements are in one submit.
        var callOf: [String: Int] = [:]
        for (i, call) in calls.enumerated().dropFirst(headCalls) {
            for m in call {
                let container = (m.source ?? "").split(separator: ":").prefix(3).joined(separator: ":")  // cluster:host:name[:interface]
                #expect(callOf.updateValue(i, forKey: container) ?? i == i, "\(container) split over two requests")
            }
        }
        #expect(callOf.count == period.containers.count)
        #expect(Set(calls.joined().map(\.self)) == Set(whole) && calls.joined().count == whole.count, "every measurement exactly once")
    }

    @Test func aPeriodThatFitsTheBudgetIsStreamedEvenWhenAnUpperBoundPerContainerWouldNot() async throws {
        // 1000 hosts × 100 containers against an account whose budget takes the period with 8 % to spare: counted,
        // it is streamed (and journalled) rather than paced.
        let period = closedPeriod(containers: 2_500)
        let largest = try await largestSubmitWithABudgetThatTakesItAll(period)
        #expect(largest <= 300, "streamed one request per part, not paced a slice at a time")
    }

    /// Streams `period` against a budget with 8 % to spare; checks that all of it was sent, and returns the most
    /// measurements one submission carried.
    func largestSubmitWithABudgetThatTakesItAll(_ period: ClosedPeriod) async throws -> Int {
        let clock = ManualClock()
        let f0 = try RateLimitTests().flusher(BudgetSink(limit: 1, window: 60, clocks: clock.clocks), clock: clock)
        let whole = f0.naming.measurements(for: period).count
        #expect(whole < period.containers.count * 40, "the fixture has fewer series per container than the old upper bound assumed")
        let sink = BudgetSink(limit: Int(Double(whole) * 1.08 / 0.98), window: 60, clocks: clock.clocks)
        let f = try RateLimitTests().flusher(sink, clock: clock)
        let (report, deferred, cut, count) = await f.streamed(period, head: f.naming.rollups(for: period), time: 60)
        #expect(count == whole && report.accepted == whole && deferred == 0 && cut == 0)
        return sink.state.withLock { $0.largest }
    }

    @Test func aPeriodThatSeemedTooLargeButFitsOnceBuiltIsStillSentPartByPart() async throws {
        // The first slice has far more series per container than the rest, so an estimate from it would say "does
        // not fit"; counted, the period fits: it is sent part by part (each part journalled), not paced.
        var period = closedPeriod(containers: 2_500)
        for i in 1_000..<2_500 {
            var c = ContainerPeriod(identity: period.containers[i].identity, cluster: "c", host: "h\(i % 7)", engineID: "e\(i % 7)")
            c.add(.cpuPercent, 1)
            c.samples = 1
            period.containers[i] = c
        }
        let largest = try await largestSubmitWithABudgetThatTakesItAll(period)
        #expect(largest <= 300, "sent one request per part, not paced")
    }

    @Test func aPeriodTheBudgetCannotSurelyTakeIsServedByPriorityInstead() async throws {
        let clock = ManualClock()
        // Room for the roll-ups and a few containers only.
        let sink = BudgetSink(limit: 600, window: 60, clocks: clock.clocks)
        let f = try RateLimitTests().flusher(sink, clock: clock)
        let period = closedPeriod(containers: 50)
        let (report, _, cut, count) = await f.streamed(period, head: f.naming.rollups(for: period), time: 60)
        let sent = sink.state.withLock { $0.sent }
        #expect(count == f.naming.measurements(for: period).count)
        #expect(report.accepted == sent.count && cut == count - sent.count && cut > 0)
        #expect(sent.prefix(f.naming.rollups(for: period).count).allSatisfy { !$0.name.hasPrefix("docker.container.") }, "roll-ups first")
        #expect(report.requestsByStatus[429] == nil, "never a 429")
    }

    @Test func aPeriodOverTheBudgetIsServedByPriorityASliceAtATimeNeverHeldWhole() async throws {
        let clock = ManualClock()
        let period = closedPeriod(containers: 2_500)
        let f0 = try RateLimitTests().flusher(BudgetSink(limit: 1, window: 60, clocks: clock.clocks), clock: clock)
        let head = RateLimitTests().period(containers: 0) + f0.naming.rollups(for: period)
        let containers = f0.naming.containerMeasurements(period.containers[...], periodStart: period.start)
        // The order a budget serves: by rank, the head before the containers within a rank, each in its own order.
        // (Sorted on a thread of its own: in a debug build this takes seconds, and the pool is for the other tests.)
        let expected = try await onOwnThread {
            (head + containers).enumerated().map { (SeriesSelection.rank($0.element), $0.offset, $0.element) }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2)
        }
        // Room for the head, every container's CPU, memory and pids, and some of the next rank.
        let allowance = expected.count / 2
        let sink = BudgetSink(limit: Int((Double(allowance) / 0.98).rounded(.up)) + 1, window: 60, clocks: clock.clocks)
        let f = try RateLimitTests().flusher(sink, clock: clock)
        let (report, deferred, cut, count) = await f.streamed(period, head: head, time: 60)
        let (sent, largest) = sink.state.withLock { ($0.sent, $0.largest) }
        #expect(count == expected.count && deferred == 0 && report.requestsByStatus[429] == nil)
        #expect(sent.count == report.accepted && cut == count - sent.count && sent.count >= allowance - 1)
        #expect(Set(sent) == Set(expected.prefix(sent.count)), "exactly the highest-priority measurements")
        let slice = f0.naming.containerMeasurements(period.containers[0..<Flusher.containersPerSlice], periodStart: period.start).count
        #expect(largest <= slice, "sent a slice at a time, not as one list of \(allowance)")
    }
}

extension SubmitReport {
    /// `count` measurements submitted and accepted in one request.
    static func accepted(_ count: Int) -> SubmitReport {
        var r = SubmitReport()
        r.submitted = count
        r.accepted = count
        r.requestsByStatus[200] = 1
        return r
    }
}

/// Accepts everything and keeps each call's measurements.
final class RecordingSink: MetricsSink, Sendable {
    let calls = Mutex<[[Measurement]]>([])
    var api: LibratoAPI { .legacy }
    func submit(_ measurements: [Measurement]) async -> SubmitReport {
        calls.withLock { $0.append(measurements) }
        return .accepted(measurements.count)
    }
    func annotate(_ annotation: Annotation) async -> AnnotationResult { .created(location: nil) }
    func shutdown() async throws {}
    var rateBudget: RateBudget? { nil }
}

@Suite("hub health: data is flowing, or why not")
struct HubHealthTests {
    func status(pending: Int, deliveredThrough: Int64?, now: Int64, backpressure: Bool = false, collectors: Int = 1) -> HubStatus {
        let info = CollectorInfo(id: .random(), epoch: 1, cluster: "c", host: "h", engineID: "e", now: 0)
        return HubStatus(
            nowMs: now, startedAtMs: 0, counters: HubCounters(), rejects: [:], collectors: Array(repeating: info, count: collectors),
            liveContainers: 3, pendingPeriods: pending, closedThrough: deliveredThrough.map { $0 + Int64(pending) * 60_000 },
            deliveredThrough: deliveredThrough, backpressure: backpressure, lastSubmit: nil, periodMs: 60_000)
    }

    @Test func healthyWhileLibratoKeepsUpAndUnhealthyOncePeriodsWaitLongerThanTheThreshold() {
        // Period 0 delivered; period 60 000 closed at 124 000 and waiting: fine for three periods.
        #expect(status(pending: 1, deliveredThrough: 0, now: 124_000).health.healthy)
        #expect(status(pending: 3, deliveredThrough: 0, now: 120_000 + 3 * 60_000).health.healthy)
        let late = status(pending: 4, deliveredThrough: 0, now: 120_000 + 3 * 60_000 + 1_000).health
        #expect(!late.healthy)
        #expect(late.reason.hasPrefix("Librato has accepted nothing for 181 s (4 periods waiting"), "\(late.reason)")
    }

    @Test func backPressureIsUnhealthyAndSaysSo() {
        let h = status(pending: 150, deliveredThrough: 0, now: 1_000_000, backpressure: true).health
        #expect(!h.healthy && h.reason.hasPrefix("back-pressure"))
    }

    @Test func noCollectorYetIsHealthyButSaysSo() {
        let h = status(pending: 0, deliveredThrough: nil, now: 10_000, collectors: 0).health
        #expect(h.healthy && h.reason == "no collector has sent a frame yet")
    }
}
