import Foundation
import WireFormat

/// The orchestrator: starts the fake Librato, the hub(s) and the workers, measures the steady-state window, optionally
/// kills a hub with SIGKILL and restarts it, stops the collectors, waits for their frames to be acknowledged, and
/// compares what the fake accepted with what the collectors sent.
struct Orchestrator {
    let o: Options
    let work: String
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))

    struct Hub {
        var index: Int
        var process: Process
        var data: Int
        var control: Int
        var http: Int
        var stateDir: String
        var cpuTicksBefore = 0.0
    }

    init(_ o: Options) {
        self.o = o
        work = NSTemporaryDirectory() + "fleetsim-\(getpid())"
        try? FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    }

    func freePort() -> Int {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(s) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    func spawn(_ path: String, _ args: [String], env: [String: String] = [:], log: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = FileHandle(forWritingAtPath: log)
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        return p
    }

    func cpuTicks(_ pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, utime 14, stime 15 (1-based over the whole line).
        return (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
    }

    func rssMiB(_ pid: Int32) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
    }

    func fakeStats(_ path: String) -> FakeCounts? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(FakeCounts.self, from: data)
    }

    func waitUntil(_ what: String, timeout: Double, _ condition: () -> Bool) {
        let deadline = nowSeconds() + timeout
        while !condition() {
            if nowSeconds() > deadline { fail("timed out waiting for \(what) (logs in \(work))") }
            usleep(100_000)
        }
    }

    func healthy(_ port: Int) -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = ["-sf", "-o", "/dev/null", "--max-time", "2", "http://127.0.0.1:\(port)/healthz"]
        try? p.run()
        p.waitUntilExit()
        return p.terminationStatus == 0
    }

    func startHub(_ h: inout Hub, fakePort: Int, keyFile: String) throws {
        var env = [
            "LIBRATO_EMAIL": "fleet@example.com", "LIBRATO_TOKEN": "fleet-token-0123456789", "LIBRATO_API_URL": "http://127.0.0.1:\(fakePort)",
            "LIBRATO_API": o.api, "LIBRATO_NAMING": o.naming, "LIBRATO_PERIOD": String(Int(o.period * 1000)),
            "CLUSTER_NAME": o.hubs == 1 ? "fleet" : "fleet-\(h.index)", "CLUSTER_KEY_FILE": keyFile, "STATE_DIR": h.stateDir,
            "HUB_LISTEN": "tcp://127.0.0.1:\(h.data)", "HUB_ACK_LISTEN": "tcp://127.0.0.1:\(h.control)", "HTTP_LISTEN": "127.0.0.1:\(h.http)",
            "HUB_MAX_CONTAINERS": String(o.collectors * o.containers * 2 + 1000), "HUB_STARTUP_GRACE": "10", "LOG_LEVEL": "warning",
        ]
        env.merge(o.extraHubEnv) { $1 }
        h.process = try spawn(o.hubBinary, ["hub"], env: env, log: "\(work)/hub-\(h.index).log")
        let port = h.http
        waitUntil("hub \(h.index) /healthz", timeout: 60) { healthy(port) }
    }

    func run() throws {
        raiseFileLimit()
        guard FileManager.default.isExecutableFile(atPath: o.hubBinary) else {
            fail("no hub binary at \(o.hubBinary): build it with `swift build -c release --product docker-librato` in Benchmarks/")
        }
        let me = CommandLine.arguments[0].hasPrefix("/") ? CommandLine.arguments[0] : FileManager.default.currentDirectoryPath + "/" + CommandLine.arguments[0]
        let keyFile = "\(work)/cluster.key"
        try ClusterKey.generateText().write(toFile: keyFile, atomically: true, encoding: .utf8)
        let statsFile = "\(work)/fake-stats.json"
        var fakeArgs = ["--serve-fake", "--stats-file", statsFile]
        if let r = o.rateLimit { fakeArgs += ["--rate-limit", String(r), "--rate-window", String(o.rateWindow)] }
        let fake = try spawn(me, fakeArgs, log: "\(work)/fake.log")
        waitUntil("the fake Librato", timeout: 30) { fakeStats(statsFile) != nil }
        let fakePort = fakeStats(statsFile)!.port

        var hubs: [Hub] = []
        for index in 0..<o.hubs {
            var h = Hub(index: index, process: Process(), data: freePort(), control: freePort(), http: freePort(), stateDir: "\(work)/hub-\(index)")
            try startHub(&h, fakePort: fakePort, keyFile: keyFile)
            hubs.append(h)
        }

        let t0 = nowSeconds()
        let warmup = o.warmup ?? (o.period + 25)
        let windowStart = t0 + warmup
        let windowEnd = windowStart + o.seconds
        let controlFile = "\(work)/control"
        FileManager.default.createFile(atPath: controlFile, contents: nil)
        var workers: [(Process, String)] = []
        // Collectors are sharded over the hubs by cluster (a hub per cluster), then split into worker processes.
        let perHub = (o.collectors + o.hubs - 1) / o.hubs
        var next = 0
        for hub in hubs {
            let end = min(next + perHub, o.collectors)
            while next < end {
                let count = min(o.perWorker, end - next)
                let report = "\(work)/worker-\(workers.count).json"
                let p = try spawn(
                    me,
                    [
                        "--worker", "--collectors", String(count), "--first-collector", String(next), "--containers", String(o.containers),
                        "--interval", String(o.interval), "--period", String(o.period), "--data", "tcp://127.0.0.1:\(hub.data)",
                        "--control", "tcp://127.0.0.1:\(hub.control)", "--key-file", keyFile, "--control-file", controlFile, "--report-file", report,
                        "--window-start", String(windowStart), "--window-end", String(windowEnd), "--hub-index", String(hub.index),
                        "--cluster", o.hubs == 1 ? "fleet" : "fleet-\(hub.index)",
                    ], log: "\(work)/worker-\(workers.count).log")
                workers.append((p, report))
                next += count
            }
        }
        print("fleetsim: \(o.collectors) collectors × \(o.containers) containers every \(o.interval) s in \(workers.count) worker processes, "
            + "\(o.hubs) hub(s), period \(o.period) s; warm-up \(Int(warmup)) s, window \(Int(o.seconds)) s; logs in \(work)")

        func sleepUntil(_ t: Double) { while nowSeconds() < t { usleep(100_000) } }
        sleepUntil(windowStart)
        for i in hubs.indices { hubs[i].cpuTicksBefore = cpuTicks(hubs[i].process.processIdentifier) }
        let fakeStart = fakeStats(statsFile)!
        var killedTicks = [Double](repeating: 0, count: hubs.count)
        var restartedAt: Double?
        if let x = o.killHubAfter {
            sleepUntil(windowStart + x)
            // A kill between two submissions tests nothing of the journal: wait (up to two periods) until the hub is
            // inside one — its progress journal holds 64 KiB or more (the head and some parts) — then up to 5 s more.
            let journal = "\(hubs[0].stateDir)/hub-progress.bin"
            func journalBytes() -> Int { (try? FileManager.default.attributesOfItem(atPath: journal)[.size] as? Int) ?? 0 }
            let giveUp = nowSeconds() + 2 * o.period
            while journalBytes() < 64 << 10, nowSeconds() < giveUp { usleep(50_000) }
            usleep(UInt32.random(in: 0...5_000_000))
            let inside = journalBytes()
            let pid = hubs[0].process.processIdentifier
            killedTicks[0] = cpuTicks(pid) - hubs[0].cpuTicksBefore
            kill(pid, SIGKILL)
            hubs[0].process.waitUntilExit()
            try "kill \(nowSeconds())\n".write(toFile: controlFile, atomically: true, encoding: .utf8)
            print(
                "fleetsim: hub 0 killed with SIGKILL at +\(Int(nowSeconds() - windowStart)) s, "
                    + (inside > 0 ? "inside a period's submission (progress journal \(inside / 1024) KiB)" : "between two submissions")
                    + "; restarting in \(o.restartDelay) s")
            usleep(UInt32(o.restartDelay * 1_000_000))
            try startHub(&hubs[0], fakePort: fakePort, keyFile: keyFile)
            restartedAt = nowSeconds()
            hubs[0].cpuTicksBefore = cpuTicks(hubs[0].process.processIdentifier)
            try "kill \(nowSeconds())\nrestart \(restartedAt!)\n".write(toFile: controlFile, atomically: true, encoding: .utf8)
        }
        sleepUntil(windowEnd)
        var cpu = 0.0
        var rss = 0.0
        for (i, h) in hubs.enumerated() {
            cpu += (cpuTicks(h.process.processIdentifier) - h.cpuTicksBefore + killedTicks[i]) / ticks / o.seconds * 100
            rss = max(rss, rssMiB(h.process.processIdentifier))
        }
        let fakeEnd = fakeStats(statsFile)!
        let stopAt = nowSeconds()
        let previous = (try? String(contentsOfFile: controlFile, encoding: .utf8)) ?? ""
        try (previous + "stop \(stopAt)\n").write(toFile: controlFile, atomically: true, encoding: .utf8)
        print("fleetsim: window over; collectors stopped, waiting for every frame to be acknowledged")
        var reports: [WorkerReport] = []
        for (p, file) in workers {
            p.waitUntilExit()
            guard let data = FileManager.default.contents(atPath: file), let r = try? JSONDecoder().decode(WorkerReport.self, from: data) else {
                fail("a worker ended without its report (see \(work)/worker-*.log)")
            }
            reports.append(r)
        }
        let drained = nowSeconds() - stopAt
        FileManager.default.createFile(atPath: statsFile + ".final-request", contents: nil)
        waitUntil("the fake's final counts", timeout: 30) { FileManager.default.fileExists(atPath: statsFile + ".final") }
        guard let final = fakeStats(statsFile + ".final") else { fail("unreadable final counts") }
        // The hubs' own counts of what they dropped or refused, to tell a loss's cause (kept in the work directory).
        for (i, h) in hubs.enumerated() {
            let status = Process()
            status.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            status.arguments = ["-s", "-m", "10", "-o", "\(work)/hub-\(i)-status.json", "http://127.0.0.1:\(h.http)/status.json"]
            try? status.run()
            status.waitUntilExit()
            if let data = FileManager.default.contents(atPath: "\(work)/hub-\(i)-status.json"),
                let counters = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            {
                let keys = [
                    "late_gauge_samples", "late_log_buckets", "samples_stale", "frames_refused", "frames_lost", "measurements_too_old",
                    "measurements_deferred", "measurements_rate_limited",
                ]
                print("fleetsim: hub \(i) counters: " + keys.map { "\($0)=\(counters[$0] ?? "?")" }.joined(separator: " "))
            }
        }
        for h in hubs { h.process.terminate(); h.process.waitUntilExit() }
        fake.terminate()
        fake.waitUntilExit()

        Summary(
            o: o, reports: reports, fakeStart: fakeStart, fakeEnd: fakeEnd, final: final, hubCPU: cpu, hubRSS: rss, restartedAt: restartedAt,
            drainAfterStop: drained
        ).print()
        // FLEETSIM_KEEP=1 keeps the hub's and workers' logs for a look afterwards.
        if ProcessInfo.processInfo.environment["FLEETSIM_KEEP"] == nil {
            try? FileManager.default.removeItem(atPath: work)
        } else {
            Swift.print("fleetsim: logs kept in \(work)")
        }
    }
}
