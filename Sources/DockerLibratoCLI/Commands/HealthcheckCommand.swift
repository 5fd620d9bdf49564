import ArgumentParser
import AsyncHTTPClient
import NIOCore
import NIOHTTP1

struct HealthcheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthcheck",
        abstract: "Exit 0 when the local hub or collector answers on /healthz (for Docker's HEALTHCHECK).",
        discussion: "Asks http://127.0.0.1:<port of HTTP_LISTEN>/healthz; exit status 1 when it does not answer 200 within 5 s."
    )

    @Option(name: .customLong("url"), help: "URL to ask. [env: HEALTHCHECK_URL] (default: http://127.0.0.1:<HTTP_LISTEN port>/healthz)")
    var url: String?

    func run() async throws {
        let s = Settings()
        let listen = s.string(nil, "HTTP_LISTEN", default: "0.0.0.0:8080")
        let port = listen.split(separator: ":").last.map(String.init) ?? "8080"
        let target = s.string(url, "HEALTHCHECK_URL", default: "http://127.0.0.1:\(port)/healthz")
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var healthy = false
        do {
            let response = try await client.execute(HTTPClientRequest(url: target), timeout: .seconds(5))
            healthy = response.status == .ok
            _ = try? await response.body.collect(upTo: 1 << 20)
        } catch {
            print("unhealthy: \(target): \(error)")
        }
        try? await client.shutdown()
        if !healthy { throw ExitCode(1) }
    }
}
