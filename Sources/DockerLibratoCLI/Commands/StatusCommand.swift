import ArgumentParser
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
        switch await HTTPGet.fetch(url + "/status.json", timeout: .seconds(10)) {
        case .success(let (status, body)):
            print(body, terminator: "")
            if status != .ok { throw ExitCode(1) }
        case .failure(let error):
            print("docker-librato status: the hub at \(url) does not answer: \(error)")
            throw ExitCode(1)
        }
    }
}
