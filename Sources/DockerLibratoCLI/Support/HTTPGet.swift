import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// One GET with a short-lived client, for `status` and `healthcheck`: (status, body), or the error.
enum HTTPGet {
    static func fetch(_ url: String, timeout: TimeAmount) async -> Result<(HTTPResponseStatus, String), any Error> {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let result: Result<(HTTPResponseStatus, String), any Error>
        do {
            let response = try await client.execute(HTTPClientRequest(url: url), timeout: timeout)
            let body = try await response.body.collect(upTo: 16 << 20)
            result = .success((response.status, String(buffer: body)))
        } catch {
            result = .failure(error)
        }
        try? await client.shutdown()
        return result
    }
}
