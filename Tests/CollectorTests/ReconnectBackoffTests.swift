import DockerEngine
import DockerLibratoTesting
import Logging
import Testing
import Timekeeping

@_spi(Simulation) @testable import Collector

/// Waiting for an unreachable Docker engine backs off on the injected clock: 10, 20, 40 s pass in microseconds.
@Suite("collector backoff on a manual clock")
struct ReconnectBackoffTests {
    @Test func anUnreachableEngineIsRetriedWithBackoffOnTheInjectedClock() async throws {
        let clock = ManualClock()
        let metrics = CollectorMetrics()
        var configuration = CollectorConfiguration(docker: .unix(path: "/nonexistent/docker-\(UInt32.random(in: 0...UInt32.max)).sock"))
        configuration.collectLogs = false
        let service = CollectorService(
            configuration: configuration, metrics: metrics, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
            deliveryOptions: .init(), clocks: clock.clocks, reconnectBackoff: Backoff(initial: .seconds(10), maximum: .seconds(40), jitter: 0))
        let client = try DockerClient(endpoint: configuration.docker, connectTimeout: .milliseconds(50))
        let run = Task { await service.waitForDocker(client) }
        var delays: [Duration] = []
        for attempt in 1...4 {
            await clock.waitForSleepers()
            #expect(metrics.get(.dockerErrors) == attempt)
            delays.append(try #require(clock.advanceToNextDeadline()))
        }
        #expect(delays == [.seconds(10), .seconds(20), .seconds(40), .seconds(40)])
        await clock.waitForSleepers()
        run.cancel()
        #expect(await run.value == nil, "cancelled while waiting: no engine")
        try await client.shutdown()
    }
}
