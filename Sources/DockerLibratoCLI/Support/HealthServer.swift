import Collector
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The collector's `/healthz` (HTTP_LISTEN): 200 with its self-metrics while it runs. Hummingbird, as the hub's.
struct HealthServer: Service {
    let listen: String
    let metrics: CollectorMetrics
    let logger: Logger

    func run() async throws {
        let parts = listen.split(separator: ":", omittingEmptySubsequences: false)
        guard let port = Int(parts.last ?? ""), (1...65535).contains(port) else {
            throw ConfigError(variable: "HTTP_LISTEN", value: listen, expected: "HOST:PORT, e.g. 127.0.0.1:8080")
        }
        let host = parts.count > 1 && !parts[0].isEmpty ? parts.dropLast().joined(separator: ":") : "127.0.0.1"
        let router = Router()
        let metrics = self.metrics
        router.get("/healthz") { _, _ -> Response in
            let values = metrics.snapshot().sorted { $0.key < $1.key }.map { "\"\($0.key)\":\(Int($0.value))" }.joined(separator: ",")
            return Response(
                status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{\"status\":\"ok\",\(values)}\n")))
        }
        var quiet = logger
        quiet.logLevel = .warning
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port)), logger: quiet)
        try await app.run()
    }
}
