import Foundation

/// What FleetSim prints: the steady-state window's figures, then the exactness check against the fake's counts.
struct Summary {
    let o: Options
    let reports: [WorkerReport]
    let fakeStart: FakeCounts
    let fakeEnd: FakeCounts
    let final: FakeCounts
    let hubCPU: Double
    let hubRSS: Double
    let restartedAt: Double?
    let drainAfterStop: Double

    func percentile(_ values: [Int], _ p: Double) -> Int {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }

    func histogramPercentile(_ h: [Int: Int], _ p: Double) -> Int {
        let total = h.values.reduce(0, +)
        guard total > 0 else { return 0 }
        var seen = 0
        for (k, v) in h.sorted(by: { $0.key < $1.key }) {
            seen += v
            if Double(seen) >= Double(total) * p { return k }
        }
        return h.keys.max() ?? 0
    }

    func f1(_ x: Double) -> String { String(format: "%.1f", x) }

    func print() {
        let minutes = o.seconds / 60
        let samplesPerS = Double(reports.map(\.windowSamples).reduce(0, +)) / o.seconds
        let ctl = Double(reports.map { Int($0.windowControlBytes) }.reduce(0, +)) / Double(o.collectors) / o.seconds
        let acks = reports.flatMap(\.ackLatencyMs)
        let requests = fakeEnd.requests - fakeStart.requests
        let measurements = fakeEnd.accepted - fakeStart.accepted
        let throttled = (fakeEnd.statuses["429"] ?? 0) - (fakeStart.statuses["429"] ?? 0)
        var lostSamples = 0
        var extraSamples = 0
        var lostLines = 0
        var extraLines = 0
        var sentSamples = 0
        var sentLines = 0
        var unacked = 0
        var retransmitted = 0
        var drains: [Double] = []
        for r in reports {
            for c in r.collectors {
                unacked += c.unackedAtEnd
                retransmitted += c.retransmitted
                if let d = c.drainSeconds { drains.append(d) }
                for (j, lines) in c.lines.enumerated() {
                    let got = final.perContainer["host-\(c.index):c-\(j)"] ?? [0, 0]
                    sentSamples += c.samples
                    sentLines += lines
                    lostSamples += max(0, c.samples - got[1])
                    extraSamples += max(0, got[1] - c.samples)
                    lostLines += max(0, lines - got[0])
                    extraLines += max(0, got[0] - lines)
                }
            }
        }
        let duplicated = final.duplicatePoints + extraSamples + extraLines
        Swift.print("")
        Swift.print("| quantity | value |")
        Swift.print("|---|---|")
        Swift.print("| collectors × containers, interval | \(o.collectors) × \(o.containers), \(o.interval) s (period \(o.period) s, \(o.hubs) hub(s)) |")
        Swift.print("| samples/s into the hub(s) | \(Int(samplesPerS)) |")
        Swift.print("| hub CPU, % of one core (sum over hubs) | \(f1(hubCPU)) |")
        Swift.print("| hub RSS, MiB (largest hub) | \(f1(hubRSS)) |")
        Swift.print("| control bytes/s the hub sends each collector | \(f1(ctl)) |")
        Swift.print("| ack latency p50 / p99 (submit → acknowledged) | \(f1(Double(percentile(acks, 0.5)) / 1000)) s / \(f1(Double(percentile(acks, 0.99)) / 1000)) s |")
        Swift.print("| sample → Librato request p99 (arrival − period start) | \(histogramPercentile(final.latency, 0.99)) s |")
        Swift.print("| Librato requests/min, measurements/min | \(Int(Double(requests) / minutes)), \(Int(Double(measurements) / minutes)) |")
        Swift.print("| 429 responses in the window | \(throttled) |")
        let classes = ["cluster", "host", "container", "self"].map { c in "\(c) \(Int(Double((fakeEnd.byClass[c] ?? 0) - (fakeStart.byClass[c] ?? 0)) / minutes))" }
        Swift.print("| accepted per minute by class | \(classes.joined(separator: ", ")) |")
        Swift.print("| sent in all: stats samples, log lines | \(sentSamples), \(sentLines) |")
        Swift.print("| at the fake: samples lost / extra, log lines lost / extra, points posted twice | \(lostSamples) / \(extraSamples), \(lostLines) / \(extraLines), \(final.duplicatePoints) |")
        Swift.print("| frames unacknowledged at the end, retransmitted | \(unacked), \(retransmitted) |")
        if restartedAt != nil {
            Swift.print("| after the hub's SIGKILL + restart: every collector's frames back at the hub within (max / p50) | \(f1(drains.max() ?? -1)) s / \(f1(Double(percentile(drains.map { Int($0 * 1000) }, 0.5)) / 1000)) s (\(drains.count) collectors) |")
        }
        Swift.print("| stop → everything acknowledged | \(f1(drainAfterStop)) s |")
        Swift.print("")
        Swift.print("fleet: collectors=\(o.collectors) containers=\(o.containers) interval_s=\(Int(o.interval)) samples_per_s=\(Int(samplesPerS)) hub_cpu_pct=\(f1(hubCPU)) hub_rss_mib=\(f1(hubRSS)) ctl_bytes_per_collector_s=\(f1(ctl)) lost=\(lostSamples + lostLines) duplicated=\(duplicated)")
    }
}
