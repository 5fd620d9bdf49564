import DockerLibratoTesting
import Logging
import Testing

@testable import Librato
import Timekeeping

/// Short delays so that retry scenarios finish in milliseconds.
let fastRetry = RetryPolicy(
    initialBackoff: .milliseconds(1),
    maxBackoff: .milliseconds(20),
    slowRetryInterval: .milliseconds(30),
    maxRateLimitWait: .milliseconds(30),
    maxAge: .seconds(110 * 60),
    jitterSeed: 42
)

/// The current minute, as callers align times.
func alignedNow(period: Int = 60) -> Int {
    let now = Int(WallClock.system.now().wholeSeconds)
    return now - now % period
}

/// `count` distinct legacy gauges at `time`: names `test.metric.<i % 7>`, sources `host-<i>`.
func gauges(_ count: Int, time: Int = alignedNow(), offset: Int = 0) -> [Measurement] {
    (0..<count).map { i in
        let n = i + offset
        return Measurement(
            name: "test.metric.\(n % 7)", source: "host-\(n)", tags: ["host": "host-\(n)", "cluster": "c1"], time: time,
            value: .single(Double(n) + 0.5))
    }
}

/// A logger that drops everything, so expected failures do not clutter the test output.
let quietLogger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

/// A client against `fake` with fast retries.
func makeClient(
    _ fake: FakeLibrato, api: LibratoAPI = .legacy, logger: Logger = quietLogger, token: String? = nil,
    requestTimeout: Duration = .seconds(5), maxConcurrent: Int = 4
) -> LibratoClient {
    let config = LibratoConfiguration(
        baseURL: fake.baseURL, api: api, maxConcurrentRequests: maxConcurrent, requestTimeout: requestTimeout,
        // A deadline far beyond the retries these tests cause: on a loaded CI machine two 503s and their backoff took
        // more than the 5 s it once was, and the annotation was given up.
        connectTimeout: .seconds(2), retry: fastRetry, annotationDeadline: .seconds(60))
    return LibratoClient(
        configuration: config,
        credentials: LibratoCredentials(email: fake.configuration.email, token: token ?? fake.configuration.token),
        logger: logger)
}

/// Runs `body` with a started fake, always shutting it down.
func withFake<T>(
    _ configuration: FakeLibratoConfiguration = FakeLibratoConfiguration(),
    _ body: (FakeLibrato) async throws -> T
) async throws -> T {
    let fake = try await FakeLibrato.start(configuration)
    do {
        let result = try await body(fake)
        try await fake.shutdown()
        return result
    } catch {
        try? await fake.shutdown()
        throw error
    }
}

/// Runs `body` with a client, always shutting it down.
func withClient<T>(_ client: LibratoClient, _ body: (LibratoClient) async throws -> T) async throws -> T {
    do {
        let result = try await body(client)
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}

/// Parses JSON text in tests (fails the test on invalid JSON).
func json(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }
