import Librato
import Logging
import NIOCore
import ServiceLifecycle
import StatusHTTP
import NIOHTTP1

/// The hub's `/healthz`, `/metrics` (Prometheus text), `/status.json` and `/` (a small HTML page), as a service of
/// the hub's group. `HTTP_LISTEN` is checked when the hub is made; a port that cannot be bound fails the hub at
/// start (the error ends `run`, and with it the process), not later through a failing health check.
struct StatusService: Service {
    let server: StatusHTTPServer
    let listen: String

    init(listen: String, runtime: HubRuntime, logger: Logger) throws {
        let exporter = PrometheusExporter()
        self.listen = listen
        server = try StatusHTTPServer(
            listen: listen,
            routes: [
                "/healthz": {
                    let s = await runtime.status()
                    let (healthy, reason) = s.health
                    return .init(
                        status: healthy ? .ok : .serviceUnavailable, contentType: "application/json",
                        body: "{\"status\":\"\(healthy ? "ok" : "unhealthy")\",\"reason\":\(JSONWriter.quoted(reason)),\"collectors\":\(s.collectors.count),"
                            + "\"pending_periods\":\(s.pendingPeriods),\"backpressure\":\(s.backpressure),\"dry_run\":\(s.dryRun)}\n")
                },
                "/metrics": {
                    .init(
                        contentType: "text/plain; version=0.0.4; charset=utf-8",
                        body: exporter.render(await runtime.status())
                            + ProcessMetrics.text(buildInfoName: "docker_librato_build_info", version: LibratoClient.version, role: "hub"))
                },
                "/status.json": { .init(contentType: "application/json", body: StatusPage.json(await runtime.status())) },
                "/": { .init(contentType: "text/html; charset=utf-8", body: StatusPage.html(await runtime.status())) },
            ], logger: logger)
    }

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await server.run() }
        } catch let error as IOError {
            // The usual cause: another process has the port. Say which setting to change.
            throw HubStartError(variable: "HTTP_LISTEN", address: listen, reason: error.description)
        }
    }
}

/// The hub could not take an address it was given: names the setting, the address and the system's reason.
package struct HubStartError: Error, CustomStringConvertible {
    package let variable: String
    package let address: String
    package let reason: String

    package var description: String { "\(variable) \(address): cannot listen: \(reason)" }
}
