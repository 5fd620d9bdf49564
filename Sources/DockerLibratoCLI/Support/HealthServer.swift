import Collector
import Librato
import Logging
import ServiceLifecycle
import StatusHTTP
import NIOHTTP1

/// The collector's HTTP endpoints (HTTP_LISTEN): `/healthz` — 200 while its frames are acknowledged, 503 with the
/// reason once they have waited too long (see ``CollectorHealth``) — and `/metrics` (Prometheus text: its
/// self-metrics, `process_*`, build info).
struct HealthServer: Service {
    let listen: String
    let metrics: CollectorMetrics
    let health: CollectorHealth
    let logger: Logger

    func run() async throws {
        let metrics = self.metrics
        let health = self.health
        let server = try StatusHTTPServer(
            listen: listen,
            routes: [
                "/healthz": {
                    let (healthy, reason) = health.status
                    let values = metrics.snapshot().sorted { $0.key < $1.key }.map { "\"\($0.key)\":\(Int($0.value))" }.joined(separator: ",")
                    return .init(
                        status: healthy ? .ok : .serviceUnavailable, contentType: "application/json",
                        body: "{\"status\":\"\(healthy ? "ok" : "unhealthy")\",\"reason\":\(JSONWriter.quoted(reason)),\"version\":\"\(LibratoClient.version)\",\(values)}\n")
                },
                "/metrics": {
                    .init(
                        contentType: "text/plain; version=0.0.4; charset=utf-8",
                        body: metrics.prometheusText()
                            + ProcessMetrics.text(buildInfoName: "docker_librato_build_info", version: LibratoClient.version, role: "collector"))
                },
            ], logger: logger)
        try await cancelWhenGracefulShutdown { try await server.run() }
    }
}
