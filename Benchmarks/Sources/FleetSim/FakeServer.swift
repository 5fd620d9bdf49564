import DockerLibratoTesting
import Foundation
import Synchronization

/// `FleetSim --serve-fake`: the strict fake Librato (DockerLibratoTesting) as a process of its own, counting what it
/// accepts instead of keeping it (a fleet posts millions of measurements): per container the log lines and the
/// stats samples (the `count` of `docker.container.memory.used`), points posted twice, measurements by priority
/// class, and how late each container point arrived after its period began. Every second it writes light stats to
/// `--stats-file`; when `<stats-file>.final-request` appears it also writes the per-container totals to
/// `<stats-file>.final`.
struct FakeCounts: Codable {
    var port = 0
    var accepted = 0
    var byClass: [String: Int] = [:]
    var duplicatePoints = 0
    /// Seconds from a container point's period start to its arrival: count per whole second.
    var latency: [Int: Int] = [:]
    var statuses: [String: Int] = [:]
    var requests = 0
    /// "host-N:c-M" → [log lines, stats samples]
    var perContainer: [String: [Int]] = [:]
}

final class FakeCounter: Sendable {
    private let state = Mutex((counts: FakeCounts(), seen: Set<UInt64>()))

    func observe(_ measurements: [AcceptedMeasurement], arrival: Double) {
        state.withLock { s in
            s.counts.accepted += measurements.count
            for m in measurements {
                let source = m.source ?? Self.sourceFromTags(m.tags)
                let parts = source.split(separator: ":")
                let cls: String
                if m.name.hasPrefix("docker_librato.") {
                    cls = "self"
                } else if m.name.hasPrefix("docker.container.") {
                    cls = "container"
                } else if parts.count >= 2 || m.tags["host"] != nil {
                    cls = "host"
                } else {
                    cls = "cluster"
                }
                s.counts.byClass[cls, default: 0] += 1
                guard cls == "container", parts.count == 3 else { continue }
                let key = "\(parts[1]):\(parts[2])"
                let isLines = m.name == "docker.container.logs.stdout.lines"
                let isMemory = m.name == "docker.container.memory.used"
                guard isLines || isMemory else { continue }
                var h = Hasher()
                h.combine(m.name)
                h.combine(source)
                h.combine(m.time)
                let fp = UInt64(bitPattern: Int64(h.finalize()))
                if !s.seen.insert(fp).inserted { s.counts.duplicatePoints += 1 }
                var totals = s.counts.perContainer[key] ?? [0, 0]
                if isLines { totals[0] += Int(m.value ?? m.sum ?? 0) }
                if isMemory {
                    totals[1] += m.count ?? 1
                    s.counts.latency[Int(arrival) - m.time, default: 0] += 1
                }
                s.counts.perContainer[key] = totals
            }
        }
    }

    static func sourceFromTags(_ tags: [String: String]) -> String {
        [tags["cluster"], tags["host"], tags["container"]].compactMap { $0 }.joined(separator: ":")
    }

    func snapshot(full: Bool) -> FakeCounts {
        state.withLock { s in
            var c = s.counts
            if !full { c.perContainer = [:] }
            return c
        }
    }
}

func serveFake(_ o: Options) async throws -> Never {
    let counter = FakeCounter()
    // Librato's measure:raw_rate limit counts measurements. Without --rate-limit the fake announces a window that
    // never binds (600,000 requests a minute): its usual nominal one (600,000 requests an hour) is 10,000 a minute,
    // and 1,000 hosts × 100 containers post ~9,600 requests a minute — the hub paced the runs that were meant to
    // measure it unlimited (and cut what a restart's replay added), which `rate-fits` and `rate-over` measure instead.
    var configuration = FakeLibratoConfiguration(
        email: "fleet@example.com", token: "fleet-token-0123456789",
        rateLimit: o.rateLimit.map { (requests: $0, window: o.rateWindow) } ?? (requests: 600_000, window: 60))
    if o.rateLimit != nil { configuration.rateLimitUnit = .measurements }
    configuration.recordAccepted = false
    configuration.recordBodies = false
    configuration.onAccepted = { counter.observe($0, arrival: $1) }
    let fake = try await FakeLibrato.start(configuration)
    let statsURL = URL(fileURLWithPath: o.statsFile)
    let finalRequest = o.statsFile + ".final-request"
    while true {
        var counts = counter.snapshot(full: false)
        let snapshot = fake.snapshot
        counts.port = fake.port
        counts.requests = snapshot.requests.count
        for (status, n) in snapshot.statusCounts { counts.statuses[status.map(String.init) ?? "none", default: 0] += n }
        let data = try JSONEncoder().encode(counts)
        try data.write(to: URL(fileURLWithPath: o.statsFile + ".tmp"))
        _ = rename(o.statsFile + ".tmp", statsURL.path)
        if FileManager.default.fileExists(atPath: finalRequest) {
            var full = counter.snapshot(full: true)
            full.port = counts.port
            full.requests = counts.requests
            full.statuses = counts.statuses
            try JSONEncoder().encode(full).write(to: URL(fileURLWithPath: o.statsFile + ".final.tmp"))
            _ = rename(o.statsFile + ".final.tmp", o.statsFile + ".final")
            try? FileManager.default.removeItem(atPath: finalRequest)
        }
        try await Task.sleep(for: .seconds(1))
    }
}
