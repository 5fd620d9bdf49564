import DockerLibratoTesting
import Logging
import Testing
import Timekeeping

@testable import Librato

/// The client's retry backoff sleeps on the injected clock: a 30-second backoff passes in microseconds.
@Suite("Librato backoff on a manual clock")
struct ManualClockBackoffTests {
    @Test func a5xxIsRetriedWhenTheBackoffHasPassedOnTheInjectedClockAndNotBefore() async throws {
        let clock = ManualClock(epoch: WallClock.system.now())
        try await withFake(FakeLibratoConfiguration(now: { clock.wallClock.now().seconds })) { fake in
            fake.inject(.status(503), times: 2)
            let retry = RetryPolicy(initialBackoff: .seconds(30), maxBackoff: .seconds(120), jitterSeed: 7)
            let config = LibratoConfiguration(baseURL: fake.baseURL, api: .legacy, retry: retry)
            let client = LibratoClient(
                configuration: config, credentials: LibratoCredentials(email: fake.configuration.email, token: fake.configuration.token),
                logger: quietLogger, clocks: clock.clocks)
            try await withClient(client) { client in
                let t = Int(clock.wallClock.now().wholeSeconds)
                let submission = Task { await client.submit(gauges(3, time: t - t % 60)) }
                // First attempt: 503; the client then sleeps (30 s × jitter) on the manual clock.
                await clock.waitForSleepers()
                #expect(fake.snapshot.requests.count == 1)
                let first = try #require(clock.advanceToNextDeadline())
                #expect(first > .seconds(10) && first <= .seconds(30), "the first backoff, jittered")
                // Second attempt: 503 again; a longer backoff.
                await clock.waitForSleepers()
                #expect(fake.snapshot.requests.count == 2)
                let second = try #require(clock.advanceToNextDeadline())
                #expect(second > first, "backoff grows")
                let report = await submission.value
                #expect(report.accepted == 3)
                #expect(report.requestsByStatus == [503: 2, 200: 1])
                #expect(fake.snapshot.accepted.count == 3)
            }
        }
    }
}
