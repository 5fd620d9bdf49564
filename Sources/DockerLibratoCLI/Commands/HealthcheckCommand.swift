import ArgumentParser
import NIOCore
import NIOHTTP1

struct HealthcheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthcheck",
        abstract: "Exit 0 when the local hub or collector answers on /healthz (for Docker's HEALTHCHECK).",
        discussion: "Asks http://127.0.0.1:<port of HTTP_LISTEN>/healthz; exit status 1 when it does not answer 200 within 5 s."
    )

    @Option(name: .customLong("url"), help: "URL to ask, or HOST:PORT. [env: HEALTHCHECK_URL] (default: http://127.0.0.1:<HTTP_LISTEN port>/healthz)")
    var url: String?

    func run() async throws {
        let s = Settings()
        let port = s.string(nil, "HTTP_LISTEN", default: "0.0.0.0:8080").split(separator: ":").last.map(String.init) ?? "8080"
        var target = HTTPTarget.url(s.string(url, "HEALTHCHECK_URL", default: "http://127.0.0.1:\(port)/healthz"))
        if !target.hasSuffix("/healthz"), target.split(separator: "/").count <= 2 { target += "/healthz" }
        switch await HTTPGet.fetch(target, timeout: .seconds(5)) {
        case .success(let (status, _)) where status == .ok:
            return
        case .success(let (status, body)):
            FileOutput.stderr("unhealthy: \(target) answered \(status.code): \(body.trimmingSpaces)\n")
        case .failure(let error):
            FileOutput.stderr("unhealthy: nothing answers at \(target): \(HTTPTarget.describe(error))\n")
        }
        throw ExitCode(1)
    }
}
