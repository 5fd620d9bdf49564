import DockerEngine
import Foundation

extension DockerTestHelper {
    /// Runs `body` with a client of the test dockerd, failing loudly when the daemon is not there, and shuts the
    /// client down afterwards whatever happens.
    public static func withClient<T>(_ body: (DockerClient) async throws -> T) async throws -> T {
        try await requireDaemon()
        return try await using(try DockerClient(endpoint: .unix(path: socketPath)), body)
    }

    /// Runs `body` with `client` and shuts the client down afterwards whatever happens.
    public static func using<T>(_ client: DockerClient, _ body: (DockerClient) async throws -> T) async throws -> T {
        do {
            let result = try await body(client)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// Wall-clock Unix milliseconds (what samples carry).
    public static func wallClockMilliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }
}
