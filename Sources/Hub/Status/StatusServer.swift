import Hummingbird
import Logging
import NIOCore

/// `/healthz`, `/metrics` (Prometheus text), `/status.json` and `/` (a small HTML page), on Hummingbird.
struct StatusServer {
    let listen: String
    let engine: HubEngine
    let logger: Logger

    func run() async throws {
        let (host, port) = try Self.parse(listen)
        let exporter = PrometheusExporter()
        let router = Router()
        router.get("/healthz") { _, _ -> Response in
            let s = await engine.status()
            let body = "{\"status\":\"ok\",\"collectors\":\(s.collectors.count),\"pending_periods\":\(s.pendingPeriods),\"backpressure\":\(s.backpressure)}\n"
            return Self.response(body, contentType: "application/json")
        }
        router.get("/metrics") { _, _ -> Response in
            let s = await engine.status()
            return Self.response(exporter.render(s), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("/status.json") { _, _ -> Response in
            Self.response(StatusPage.json(await engine.status()), contentType: "application/json")
        }
        router.get("/") { _, _ -> Response in
            Self.response(StatusPage.html(await engine.status()), contentType: "text/html; charset=utf-8")
        }
        var appLogger = logger
        appLogger.logLevel = .warning
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "docker-librato"), logger: appLogger)
        try await app.run()
    }

    static func response(_ body: String, contentType: String) -> Response {
        Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// `host:port`, `:port` or `port`.
    static func parse(_ listen: String) throws -> (String, Int) {
        let parts = listen.split(separator: ":", omittingEmptySubsequences: false)
        let host = parts.count > 1 ? String(parts.dropLast().joined(separator: ":")) : "0.0.0.0"
        guard let port = Int(parts.last ?? ""), (1...65535).contains(port) else {
            throw StatusServerError(listen: listen)
        }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }
}

struct StatusServerError: Error, CustomStringConvertible {
    let listen: String
    var description: String { "HTTP_LISTEN must be HOST:PORT (e.g. 0.0.0.0:8080), got \(listen)" }
}
