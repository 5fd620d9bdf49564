import Logging

/// The hub's `/healthz`, `/metrics` (Prometheus text), `/status.json` and `/` (a small HTML page).
struct StatusServer {
    let listen: String
    let engine: HubEngine
    let logger: Logger

    func run() async throws {
        let exporter = PrometheusExporter()
        let engine = self.engine
        let server = try StatusHTTPServer(
            listen: listen,
            routes: [
                "/healthz": {
                    let s = await engine.status()
                    return .init(
                        contentType: "application/json",
                        body: "{\"status\":\"ok\",\"collectors\":\(s.collectors.count),\"pending_periods\":\(s.pendingPeriods),\"backpressure\":\(s.backpressure)}\n")
                },
                "/metrics": { .init(contentType: "text/plain; version=0.0.4; charset=utf-8", body: exporter.render(await engine.status())) },
                "/status.json": { .init(contentType: "application/json", body: StatusPage.json(await engine.status())) },
                "/": { .init(contentType: "text/html; charset=utf-8", body: StatusPage.html(await engine.status())) },
            ], logger: logger)
        try await server.run()
    }
}
