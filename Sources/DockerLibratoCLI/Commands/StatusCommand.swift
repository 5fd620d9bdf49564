import ArgumentParser
import AsyncHTTPClient
import NIOCore
import NIOHTTP1

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a running hub's status (collectors, last seen, spool depths, Librato outcomes).",
        discussion: "Reads the hub's /status.json. Exit status 1 when the hub does not answer."
    )

    @Option(name: .customLong("hub-http"), help: "The hub's HTTP address. [env: HUB_HTTP] (default: http://127.0.0.1:8080)")
    var hubHTTP: String?

    func run() async throws {
        let url = Settings().string(hubHTTP, "HUB_HTTP", default: "http://127.0.0.1:8080")
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let response = try await client.execute(HTTPClientRequest(url: url + "/status.json"), timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 16 << 20)
            print(String(buffer: body), terminator: "")
            try await client.shutdown()
            if response.status != .ok { throw ExitCode(1) }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            try? await client.shutdown()
            print("docker-librato status: the hub at \(url) does not answer: \(error)")
            throw ExitCode(1)
        }
    }
}
