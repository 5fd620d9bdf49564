import Collector
import StatusHTTP
import Logging
import ServiceLifecycle

/// The collector's `/healthz` (HTTP_LISTEN): 200 with its self-metrics while it runs.
struct HealthServer: Service {
    let listen: String
    let metrics: CollectorMetrics
    let logger: Logger

    func run() async throws {
        let metrics = self.metrics
        let server = try StatusHTTPServer(
            listen: listen,
            routes: [
                "/healthz": {
                    let values = metrics.snapshot().sorted { $0.key < $1.key }.map { "\"\($0.key)\":\(Int($0.value))" }.joined(separator: ",")
                    return .init(contentType: "application/json", body: "{\"status\":\"ok\",\(values)}\n")
                }
            ], logger: logger)
        try await cancelWhenGracefulShutdown { try await server.run() }
    }
}
