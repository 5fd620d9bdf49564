import DockerLibratoTesting
import Foundation
import Librato
import Testing

/// The delivery guarantee under real faults (docs/ARCHITECTURE.md, "Delivery protocol"): real hub and collector
/// processes of the built binary, `kill -9`, a real dockerd killed and restarted, the strict fake Librato failing.
/// Ground truth that cannot lie: containers print an exactly known number of lines and l2met `count#jobs=1` tokens;
/// at the end the fake's totals per container must equal them exactly. Durations are scaled down, faults are not.
@Suite("fault matrix: nothing lost, nothing counted twice", .serialized, .dockerDaemon)
struct FaultMatrixTests {
    /// A duplicate or a gap is only acceptable next to a fault (the documented windows).
    func nearFault(_ time: Int, _ cluster: TestCluster, before: Double = 12, after: Double = 12) -> Bool {
        cluster.events.contains { e in
            let t = e.at.timeIntervalSince1970
            return Double(time) >= t - before && Double(time) <= t + after
        }
    }

    func checkExact(_ cluster: TestCluster, containers: [(source: String, lines: Int)]) async throws {
        let expectedOut = Dictionary(uniqueKeysWithValues: containers.map { ($0.source, Double($0.lines)) })
        do {
            try await Eventually.wait(for: "exact totals at the fake", timeout: .seconds(150), every: .seconds(1)) {
                let out = cluster.totals("docker.container.logs.stdout.lines")
                let jobs = cluster.totals("jobs")
                return containers.allSatisfy { out[$0.source] == expectedOut[$0.source] && jobs[$0.source] == expectedOut[$0.source] }
            }
        } catch {
            Issue.record("totals never matched: \(error)\nstdout \(cluster.totals("docker.container.logs.stdout.lines"))\njobs \(cluster.totals("jobs"))\n\(cluster.logs)")
        }
        // A little longer: nothing may arrive twice after the totals were reached.
        try await Task.sleep(for: .seconds(Double(cluster.periodMs) / 1000 * 3))
        let out = cluster.totals("docker.container.logs.stdout.lines")
        let err = cluster.totals("docker.container.logs.stderr.lines")
        let jobs = cluster.totals("jobs")
        for c in containers {
            #expect(out[c.source] == Double(c.lines), "stdout of \(c.source)")
            #expect(err[c.source] == Double(TestCluster.expectedStderr(c.lines)), "stderr of \(c.source)")
            #expect(jobs[c.source] == Double(c.lines), "count#jobs of \(c.source)")
        }
        // The hub kept its state and acknowledged: collectors' spools drained.
        #expect(FileManager.default.fileExists(atPath: "\(cluster.dir)/hub/hub-state.bin"))
        let acked = (await cluster.hubStatus())?["collectors"]?.arrayValue?.compactMap { $0["acked_through"]?.intValue } ?? []
        #expect(acked.contains { $0 > 0 }, "no collector was ever acknowledged")
        // Points posted twice: only a period re-posted after a hub crash (the documented window), never elsewhere.
        for (point, n) in cluster.duplicates() {
            #expect(nearFault(point.time, cluster), "\(point) posted \(n) times away from any fault")
        }
        // Stats series: no gap longer than one period except next to a fault.
        for c in containers {
            let times = Set(cluster.fake.snapshot.accepted.filter { $0.name == "docker.container.memory.used" && $0.source == c.source }.map(\.time)).sorted()
            #expect(!times.isEmpty, "no memory.used for \(c.source)")
            for (a, b) in zip(times, times.dropFirst()) where b - a > cluster.periodMs / 1000 {
                #expect(nearFault(a, cluster, before: 4, after: 20), "gap in \(c.source) stats from \(a) to \(b)")
            }
        }
    }

    @Test func oneEngineTwoCollectorsThroughHubCrashesLibratoOutageDockerdAndCollectorRestarts() async throws {
        try await ExtraDockerd.with(liveRestore: true) { daemon in
            let cluster = try await TestCluster()
            do {
                let a = try cluster.addCollector(docker: daemon.socket, host: "node-1")
                let b = try cluster.addCollector(docker: daemon.socket, host: "node-1")
                try await Eventually.wait(for: "both collectors at the hub", timeout: .seconds(60)) {
                    (await cluster.hubStatus())?["collectors"]?.arrayValue?.count == 2
                }
                // What an operator on call reads: a row per collector, under the table's header.
                let table = try await CLIRun.run(["status", "--hub-http", "127.0.0.1:\(cluster.httpPort)"])
                let rows = table.stdout.split(separator: "\n").filter { $0.hasPrefix("fm ") && $0.contains(" node-1 ") }
                #expect(table.status == 0 && table.stdout.contains("CLUSTER  HOST") && rows.count == 2, "\(table.stdout)")
                #expect(table.stdout.contains("last submission:") && table.stdout.contains("lost (collector spools full): 0 frames"), "\(table.stdout)")
                let lines = 1_500
                var names: [String] = []
                for i in 0..<3 {
                    let name = "fm-\(cluster.runID)-\(i)"
                    names.append(name)
                    try await cluster.startWriter(on: daemon.docker, name: name, lines: lines, intervalMs: 40)
                }
                // The fault plan, at seeded-random moments (seed printed for reproduction).
                var rng = SystemRandomNumberGenerator()
                let seed = UInt64.random(in: 0...UInt64.max, using: &rng)
                print("fault-matrix: seed \(seed)")
                var jitter = SeededGenerator(seed: seed)
                func pause(_ base: Double) async throws { try await Task.sleep(for: .milliseconds(Int(base * 1000) + Int(jitter.next() % 2000))) }

                try await pause(5)
                try await cluster.killHub()  // 1
                try await pause(4)
                cluster.note("librato 5xx/429/timeouts")
                cluster.fake.failAll(with: .status(503), for: .seconds(6))
                cluster.fake.inject([.status(500)] * 4 + [.rateLimited429] * 5 + [.timeout(seconds: 5), .timeout(seconds: 5), .dropConnection])
                try await pause(3)
                try await cluster.killHub()  // 2, during the outage
                try await pause(6)
                cluster.note("dockerd kill -9")
                try await daemon.kill9()
                try await daemon.start()
                cluster.note("dockerd restarted")
                try await pause(4)
                cluster.note("collector B kill -9 (stays down)")
                try await b.kill9()
                try await pause(3)
                try await cluster.killHub()  // 3
                try await pause(4)
                cluster.note("collector A kill -9 and restart")
                try await a.kill9()
                try a.start()
                try await pause(4)
                try await cluster.killHub()  // 4
                try await pause(6)
                try await cluster.killHub()  // 5
                for name in names { _ = try await daemon.docker(["wait", name]) }
                cluster.note("writers done")
                try await checkExact(cluster, containers: names.map { ("fm:node-1:\($0)", lines) })
                print("fault-matrix: \(cluster.fake.snapshot.requests.count) requests, statuses \(cluster.fake.snapshot.statusCounts)")
            } catch {
                Issue.record("\(error)\n\(cluster.logs)")
            }
            await cluster.shutdown()
        }
    }

    @Test func threeEnginesAsThreeHostsIntoOneHub() async throws {
        try await ExtraDockerd.with(liveRestore: true) { d1 in
            try await ExtraDockerd.with(liveRestore: true) { d2 in
                try await ExtraDockerd.with(liveRestore: true) { d3 in
                    let cluster = try await TestCluster()
                    do {
                        let daemons = [d1, d2, d3]
                        for (i, d) in daemons.enumerated() { try cluster.addCollector(docker: d.socket, host: "host-\(i + 1)") }
                        try await Eventually.wait(for: "three collectors at the hub", timeout: .seconds(60)) {
                            (await cluster.hubStatus())?["collectors"]?.arrayValue?.count == 3
                        }
                        var expected: [(String, Int)] = []
                        for (i, d) in daemons.enumerated() {
                            for j in 0..<2 {
                                let name = "fm-\(cluster.runID)-h\(i + 1)-\(j)"
                                try await cluster.startWriter(on: d.docker, name: name, lines: 400, intervalMs: 30)
                                expected.append(("fm:host-\(i + 1):\(name)", 400))
                            }
                        }
                        try await Task.sleep(for: .seconds(5))
                        try await cluster.killHub()
                        try await Task.sleep(for: .seconds(4))
                        try await cluster.killHub()
                        for (i, d) in daemons.enumerated() {
                            for j in 0..<2 { _ = try await d.docker(["wait", "fm-\(cluster.runID)-h\(i + 1)-\(j)"]) }
                        }
                        try await checkExact(cluster, containers: expected)
                        let engines = (await cluster.hubStatus())?["collectors"]?.arrayValue?.compactMap { $0["engine"]?.stringValue } ?? []
                        #expect(Set(engines).count == 3, "three hosts are three engines: \(engines)")
                        let running = cluster.fake.snapshot.accepted.filter { $0.name == "docker.host.containers.running" }
                        #expect(Set(running.compactMap(\.source)) == ["fm:host-1", "fm:host-2", "fm:host-3"])
                    } catch {
                        Issue.record("\(error)\n\(cluster.logs)")
                    }
                    await cluster.shutdown()
                }
            }
        }
    }
}

func * <T>(lhs: [T], rhs: Int) -> [T] { Array((0..<rhs).flatMap { _ in lhs }) }
