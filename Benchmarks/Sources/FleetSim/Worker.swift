@_spi(Simulation) import Collector
import ContainerMetrics
import Foundation
import Logging
import Synchronization
import WireFormat

/// What a worker reports when it stops.
struct WorkerReport: Codable {
    struct CollectorReport: Codable {
        var index: Int
        /// Stats samples and log lines submitted, per container.
        var samples: Int
        var lines: [Int]
        var retransmitted: Int
        var unackedAtEnd: Int
        /// Seconds from the hub's restart until the new hub had every frame sent before the kill (kill runs).
        var drainSeconds: Double?
    }

    var collectors: [CollectorReport] = []
    var windowSamples = 0
    var windowControlBytes: UInt64 = 0
    var ackLatencyMs: [Int] = []
}

/// One simulated collector: the real FrameDeliverer (spool, acks, retransmission, real nanomsg sockets) fed with
/// plausible containers.
final class SimCollector: @unchecked Sendable {
    let index: Int
    let deliverer: FrameDeliverer
    let containers: [ContainerIdentity]
    var lines: [Int]
    var samples = 0
    var round = 0
    /// (sequence, submit time) of frames not yet acknowledged, oldest first.
    var inFlight: [(UInt64, Double)] = []
    var sequenceAtKill: UInt64?
    var drainSeconds: Double?

    init(index: Int, containers: Int, o: Options, key: ClusterKey) throws {
        self.index = index
        var configuration = CollectorConfiguration(
            cluster: o.cluster, hubAddress: o.dataAddress, hubAckAddress: o.controlAddress, clusterKey: key, spoolMemoryBytes: 64 << 20)
        configuration.heartbeatInterval = .seconds(10)
        // Reconnect delays jittered per collector: nanomsg has no jitter of its own, and a thousand collectors that
        // lost the same hub at the same instant would otherwise all retry at the same instants.
        var rng = SystemRandomNumberGenerator()
        let link = HubLink.Options(
            reconnectInterval: .milliseconds(Int64.random(in: 100...300, using: &rng)),
            reconnectIntervalMax: .milliseconds(Int64.random(in: 3_000...6_000, using: &rng)))
        deliverer = try FrameDeliverer(
            configuration: configuration, engineID: "engine-\(index)", host: "host-\(index)",
            logger: Logger(label: "sim") { _ in SwiftLogNoOpLogHandler() }, options: FrameDeliverer.Options(link: link))
        self.containers = (0..<containers).map { j in
            var h = Hasher()
            h.combine(index)
            h.combine(j)
            let seed = UInt64(bitPattern: Int64(h.finalize()))
            let hex = (0..<4).map { k in String(format: "%016llx", seed &* UInt64(k + 1) &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(k)) }.joined()
            return ContainerIdentity(
                id: hex, name: "c-\(j)", image: "registry.example.com/team/svc\(j % 10):1.\(j % 3)",
                labels: ["com.docker.compose.project": "fleet", "com.docker.compose.service": "svc\(j % 10)"],
                startedAt: 1_600_000_000_000_000_000)
        }
        lines = Array(repeating: 0, count: containers)
    }

    /// One stats round at wall time `t` (seconds, a multiple of the interval): a sample and a log bucket per container.
    func batch(at t: Double) -> Batch {
        round += 1
        let k = UInt64(round)
        var batch = Batch()
        let ms = Int64(t * 1000)
        for (j, c) in containers.enumerated() {
            let i = batch.index(of: c)
            let u = UInt64(j + 1)
            let s = StatsSample(
                time: ms,
                cpu: .init(
                    totalNs: k * u * 40_000_000, userNs: k * u * 30_000_000, kernelNs: k * u * 10_000_000, systemNs: k * 20_000_000_000 + UInt64(index),
                    onlineCPUs: 2, periods: k * 100, throttledPeriods: k, throttledNs: k * 1_000),
                memory: .init(usage: (100 + u) << 20, limit: 1 << 30, rss: (80 + u) << 20, cache: 20 << 20, inactiveFile: 10 << 20, oomKills: 0),
                pids: 4 + u % 7,
                blockIO: .init(readBytes: k * 4_096 * u, writeBytes: k * 8_192, readOps: k, writeOps: k * 2),
                networks: [.init(interface: "eth0", rxBytes: k * 10_000 * u, rxPackets: k * 10, txBytes: k * 5_000, txPackets: k * 8)])
            batch.stats.append(ContainerRecord(container: i, s))
            let n = (j + round) % 7 + 1
            batch.logs.append(ContainerRecord(container: i, LogBucket(stream: .stdout, second: Int64(t), lines: UInt64(n), bytes: UInt64(n * 80))))
            lines[j] += n
        }
        samples += 1
        return batch
    }
}

/// `FleetSim --worker`: runs `--collectors` simulated collectors until the control file says `stop`, then waits for
/// their frames to be acknowledged and writes its report.
func runWorker(_ o: Options) async throws -> Never {
    raiseFileLimit()
    let key = try ClusterKey(text: String(contentsOfFile: o.keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
    let sims = try (0..<o.collectors).map { try SimCollector(index: o.firstCollector + $0, containers: o.containers, o: o, key: key) }
    let runs = sims.map { sim in Task { try? await sim.deliverer.run() } }
    let latencies = Mutex([Int]())
    var report = WorkerReport()
    var controlAtStart: UInt64?
    var killAt: Double?
    var restartAt: Double?
    var nextRound = (nowSeconds() / o.interval).rounded(.up) * o.interval

    func control() -> [String: Double] {
        guard let text = try? String(contentsOfFile: o.controlFile, encoding: .utf8) else { return [:] }
        var out: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let v = Double(parts[1]) { out[String(parts[0])] = v }
        }
        return out
    }

    /// Acks that arrived: latency of frames submitted in the window; drain progress after a hub restart.
    func observe() async {
        let now = nowSeconds()
        for sim in sims {
            let view = await sim.deliverer.simulationView
            while let first = sim.inFlight.first, first.0 <= view.ackedThrough {
                sim.inFlight.removeFirst()
                if first.1 >= o.windowStart && first.1 < o.windowEnd { latencies.withLock { $0.append(Int((now - first.1) * 1000)) } }
            }
            if let restartAt, let seq = sim.sequenceAtKill, sim.drainSeconds == nil, view.hubNextExpected > seq || view.ackedThrough >= seq {
                sim.drainSeconds = now - restartAt
            }
        }
    }

    loop: while true {
        let c = control()
        if killAt == nil, let k = c["kill"] {
            killAt = k
            for sim in sims { sim.sequenceAtKill = await sim.deliverer.simulationView.nextSequence &- 1 }
        }
        if restartAt == nil, let r = c["restart"] { restartAt = r }
        if c["stop"] != nil {
            if report.windowControlBytes == 0, let start = controlAtStart {
                var total: UInt64 = 0
                for sim in sims { total += await sim.deliverer.simulationView.controlBytesReceived }
                report.windowControlBytes = total - start
            }
            break loop
        }
        let now = nowSeconds()
        if controlAtStart == nil, now >= o.windowStart {
            var total: UInt64 = 0
            for sim in sims { total += await sim.deliverer.simulationView.controlBytesReceived }
            controlAtStart = total
        }
        if now >= nextRound {
            for sim in sims {
                let batch = sim.batch(at: nextRound)
                try? await sim.deliverer.submit(batch)
                let view = await sim.deliverer.simulationView
                sim.inFlight.append((view.nextSequence &- 1, nextRound))
                if nextRound >= o.windowStart && nextRound < o.windowEnd { report.windowSamples += o.containers }
            }
            nextRound += o.interval
        }
        if now >= o.windowEnd, report.windowControlBytes == 0, let start = controlAtStart {
            var total: UInt64 = 0
            for sim in sims { total += await sim.deliverer.simulationView.controlBytesReceived }
            report.windowControlBytes = total - start
        }
        await observe()
        try await Task.sleep(for: .milliseconds(200))
    }
    // Stopped producing: wait until everything is acknowledged (the hub delivers a period after it ends + grace).
    let deadline = nowSeconds() + o.period * 3 + 60
    while nowSeconds() < deadline {
        await observe()
        var pending = 0
        for sim in sims { pending += await sim.deliverer.simulationView.spoolFrames }
        if pending == 0 { break }
        try await Task.sleep(for: .milliseconds(250))
    }
    for sim in sims {
        let view = await sim.deliverer.simulationView
        report.collectors.append(
            .init(
                index: sim.index, samples: sim.samples, lines: sim.lines, retransmitted: view.retransmitted, unackedAtEnd: view.spoolFrames,
                drainSeconds: sim.drainSeconds))
    }
    report.ackLatencyMs = latencies.withLock { $0 }
    try JSONEncoder().encode(report).write(to: URL(fileURLWithPath: o.reportFile))
    for run in runs { run.cancel() }
    exit(0)
}
