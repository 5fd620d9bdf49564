import ContainerMetrics
import DockerLibratoTesting
import Logging
import ServiceLifecycle
import Testing
import Timekeeping
import WireFormat

@_spi(Benchmarks) @testable import Hub

/// The hub's timers on a manual clock: nothing here waits for real time.
@Suite("hub timers on a manual clock")
struct HubTimerTests {
    func runtime(_ clock: ManualClock, period: Int64 = 60_000) throws -> HubRuntime {
        try HubRuntime(
            configuration: HubConfiguration(periodMs: period, graceMs: 4_000, startupGraceMs: 15_000), store: HubStateStore(directory: nil),
            key: .none, hostName: "hub", logger: Logger(label: "test"), wallClock: clock.wallClock)
    }

    @Test func periodsCloseWhenDueOnTheInjectedClockAndTheFlusherIsToldThroughTheStream() async throws {
        let clock = ManualClock()  // wall time starts on a whole minute
        let runtime = try runtime(clock)
        var collector = FakeCollector()
        let t0 = clock.epoch.milliseconds
        await runtime.ingest(collector.frame { $0.log(web, .stdout, second: t0 / 1000 + 1, lines: 5) })
        let closer = PeriodCloser(runtime: runtime, clocks: clock.clocks)
        let task = Task { await closer.run() }
        var signals = runtime.closedPeriods.makeAsyncIterator()

        // Startup grace (15 s): the closer sleeps until it ends, not in 200 ms steps.
        await clock.waitForSleepers()
        #expect(clock.nextDeadline?.offset == .seconds(15))
        clock.advanceToNextDeadline()
        // Then until the first period's end + grace: 60 s + 4 s.
        try await waitForDeadline(clock, .seconds(64))
        #expect(await runtime.hasPending == false)
        clock.advanceToNextDeadline()
        _ = await signals.next()
        #expect(await runtime.hasPending)
        #expect(await runtime.nextToSubmit()?.start == t0)
        // And then one period later.
        try await waitForDeadline(clock, .seconds(124))
        task.cancel()
        await task.value
    }

    /// Waits until the closer sleeps towards `offset` (it is woken and goes back to sleep asynchronously).
    func waitForDeadline(_ clock: ManualClock, _ offset: Duration) async throws {
        try await Eventually.wait(for: "a sleeper until \(offset)", timeout: .seconds(5), every: .milliseconds(1)) {
            clock.nextDeadline?.offset == offset
        }
    }
}
