import DockerLibratoTesting
import Foundation
import Librato
import Testing

/// While Librato is down, the hub holds at most `HUB_MAX_PENDING_PERIODS` periods and then refuses frames; the
/// collector's spool holds at most its bound and then drops the oldest frames — and the loss counters say exactly
/// what was dropped. Scaled: 40 s of outage with bounds small enough to be hit.
@Suite("long outage: bounds hold and losses are counted exactly", .serialized, .dockerDaemon)
struct OutageBoundsTests {
    @Test func librato_down_bounds_hold_and_loss_is_exact() async throws {
        try await ExtraDockerd.with(liveRestore: false) { daemon in
            let cluster = try await TestCluster(hubEnvironment: ["HUB_MAX_PENDING_PERIODS": "3"])
            let health = FreePort.next()
            let spoolBound = 24 * 1024
            do {
                _ = try cluster.addCollector(
                    docker: daemon.socket, host: "node-1", stateDir: false,
                    extra: ["SPOOL_MEMORY": "\(spoolBound)", "HTTP_LISTEN": "127.0.0.1:\(health)"])
                @Sendable func collectorMetrics() async -> JSONValue? {
                    guard let r = try? await TestProcess.run("/usr/bin/curl", ["-sS", "-f", "http://127.0.0.1:\(health)/healthz"]), r.status == 0
                    else { return nil }
                    return try? JSONValue.parse(r.stdout)
                }
                try await Eventually.wait(for: "the collector at the hub", timeout: .seconds(60)) {
                    (await cluster.hubStatus())?["collectors"]?.arrayValue?.count == 1
                }
                cluster.note("librato down")
                cluster.fake.failAll(with: .status(503), for: .seconds(40))
                let lines = 1_200
                let name = "fm-\(cluster.runID)-outage"
                try await cluster.startWriter(on: daemon.docker, name: name, lines: lines, intervalMs: 25)
                var maxPending = 0
                var maxSpool = 0
                var sawBackpressure = false
                let until = Date().addingTimeInterval(40)
                while Date() < until {
                    if let s = await cluster.hubStatus() {
                        maxPending = max(maxPending, s["pending_periods"]?.intValue ?? 0)
                        if s["backpressure"] == .bool(true) { sawBackpressure = true }
                    }
                    if let m = await collectorMetrics() { maxSpool = max(maxSpool, m["spool_bytes"]?.intValue ?? 0) }
                    try await Task.sleep(for: .milliseconds(500))
                }
                cluster.note("librato back")
                _ = try await daemon.docker(["wait", name])
                let source = "fm:node-1:\(name)"
                let printed = Double(lines + TestCluster.expectedStderr(lines))
                var dropped = 0.0
                var delivered = 0.0
                do {
                    try await Eventually.wait(for: "delivered + dropped = printed (\(printed))", timeout: .seconds(180), every: .seconds(1)) {
                        delivered = (cluster.totals("docker.container.logs.stdout.lines")[source] ?? 0)
                            + (cluster.totals("docker.container.logs.stderr.lines")[source] ?? 0)
                        dropped = (await cluster.hubStatus())?["log_lines_lost"]?.intValue.map(Double.init) ?? -1
                        return delivered + dropped == printed
                    }
                } catch {
                    Issue.record("delivered \(delivered) + dropped \(dropped) ≠ printed \(printed)")
                    throw error
                }
                let frames = (await collectorMetrics())?["spool_dropped_frames"]?.intValue ?? -1
                let hubLost = (await cluster.hubStatus())?["collectors"]?.arrayValue?.first?["lost_frames"]?.intValue ?? -2
                print("outage: max pending periods \(maxPending), max spool \(maxSpool) B, dropped \(frames) frames / \(dropped) lines")
                #expect(sawBackpressure, "the hub never applied back-pressure")
                #expect(maxPending <= 3)
                #expect(maxSpool <= spoolBound)
                #expect(dropped > 0, "the spool bound was never reached: the test proves nothing")
                // The collector evicts frames the hub already holds too (not lost); the hub counts only those it never got.
                #expect(hubLost > 0 && hubLost <= frames, "the hub counts \(hubLost) lost frames, the collector evicted \(frames)")
                #expect(cluster.duplicates().isEmpty)
            } catch {
                Issue.record("\(error)\n\(cluster.logs)")
            }
            await cluster.shutdown()
        }
    }
}
