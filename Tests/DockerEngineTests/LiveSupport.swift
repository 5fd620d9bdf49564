import DockerEngine
import DockerLibratoTesting
import Testing

/// ``DockerTestHelper/withClient(_:)``, shorter.
func withDockerClient<T>(_ body: (DockerClient) async throws -> T) async throws -> T {
    try await DockerTestHelper.withClient(body)
}

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out: \(what)" }
}

/// Runs `body`, failing with ``TimedOut`` when it takes longer than `timeout`.
func withTimeout<T: Sendable>(_ timeout: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        let first: T?? = try await group.next()
        guard let value = first ?? nil else { throw TimedOut(what: what) }
        return value
    }
}

/// Reads a stream until `done` says the collected elements are enough (or the stream ends).
func collect<D: StreamDecoder>(
    _ stream: DockerStream<D>,
    timeout: Duration = .seconds(30),
    what: String,
    until done: @escaping @Sendable ([D.Element]) -> Bool
) async throws -> [D.Element] {
    try await withTimeout(timeout, what) {
        var out: [D.Element] = []
        for try await element in stream {
            out.append(element)
            if done(out) { break }
        }
        return out
    }
}
