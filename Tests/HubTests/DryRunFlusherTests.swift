import DockerLibratoTesting
import Librato
import Logging
import Synchronization
import Testing
import Timekeeping

@_spi(Benchmarks) @testable import Hub

/// A dry run says what it did with each period, in one line at info, and never that anything was sent.
@Suite("hub flush: a dry run logs each period it printed")
struct DryRunFlusherTests {
    @Test func eachPeriodLogsOneInfoLineWithWhatWasPrintedAndWhere() async throws {
        let clock = ManualClock()
        let base = try RateLimitTests().flusher(BudgetSink(limit: 1, window: 1, clocks: clock.clocks), clock: clock)
        let printed = Mutex<[String]>([])
        let sink = DryRunSink(
            configuration: LibratoConfiguration(), output: .custom { text in printed.withLock { $0.append(text) } },
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, clocks: clock.clocks)
        let logs = LogCapture()
        let flusher = Flusher(
            runtime: base.runtime, sink: sink, naming: base.naming, postSelfMetrics: false, annotations: AnnotationSender(sink: sink, runtime: base.runtime),
            shutdownTimeout: .seconds(5), rateDeferral: .zero, clocks: clock.clocks, logger: logs.logger())
        let now = clock.wallClock.now().milliseconds
        let period = ClosedPeriod(start: now - now % 60_000 - 60_000, containers: StreamedFlushTests().closedPeriod(containers: 11).containers)
        let expected = base.naming.measurements(for: period).count

        await flusher.submit(period)

        let info = logs.entries.filter { $0.level == .info }
        #expect(info.count == 1, "\(logs.text)")
        let line = try #require(info.first)
        #expect(line.message == "dry run: period printed, not sent")
        #expect(line.metadata["containers"] == "11")
        #expect(line.metadata["measurements"] == "\(expected)")
        #expect(line.metadata["requests"] == "\(printed.withLock { $0.count })")
        #expect(printed.withLock { $0.count } >= 2, "the roll-ups and the containers, each printed")
        #expect(!logs.text.contains("submitted"), "a dry run never says it submitted")
    }
}
