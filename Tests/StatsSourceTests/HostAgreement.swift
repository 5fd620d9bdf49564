// Test-only code: Foundation reads the scenario's files and the dry-run JSON.
import Foundation

/// What scripts/test-hosts/scenarios/collector.sh recorded on one Docker host (its `agree/` directory), and the
/// rules that compare what each collector posted with the containers' own cgroup files and `docker stats`.
struct HostAgreement {
    /// `v1`, `cgroupfs` or `systemd`.
    let host: String
    let meta: [String: String]
    /// workload → normalised cgroup truth (`key value`).
    let truth: [String: [String: String]]
    let expectedLogs: [String: Double]
    /// (Unix seconds, cpu's cumulative CPU ns), once a second while it was busy.
    let cpuUsage: [(t: Double, ns: Double)]
    /// workload → `docker stats --no-stream` fields, taken while cpu was busy / once everything was paused.
    let dockerStatsBusy: [String: [String: String]]
    let dockerStatsFrozen: [String: [String: String]]
    /// run mode → what its collector posted (per-container series only).
    let posted: [String: [Posted]]
    let workloads: [String]
    let modes: [String]

    /// One posted measurement of a container series: a value, or a complex gauge's count and sum.
    struct Posted {
        var name: String
        var workload: String
        var time: Double
        var count: Double
        var sum: Double
        var mean: Double { count > 0 ? sum / count : 0 }
    }

    static let allModes = ["process-cgroup", "process-api", "container-auto", "container-api"]

    init(host: String, directory dir: String) throws {
        self.host = host
        func text(_ name: String) throws -> String { try String(contentsOfFile: "\(dir)/\(name)", encoding: .utf8) }
        func pairs(_ text: String) -> [String: String] {
            var out: [String: String] = [:]
            for line in text.split(separator: "\n") {
                let f = line.split(separator: " ", maxSplits: 1)
                if f.count == 2 { out[String(f[0])] = String(f[1]) }
            }
            return out
        }
        meta = pairs(try text("meta.txt"))
        workloads = try text("containers.txt").split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
        modes = (meta["modes"] ?? "").split(separator: " ").map(String.init)
        var truth: [String: [String: String]] = [:]
        for w in workloads { truth[w] = pairs(try text("truth/\(w).txt")) }
        self.truth = truth
        expectedLogs = pairs(try text("logs-expected.txt")).compactMapValues(Double.init)
        cpuUsage = try text("cpu-usage.log").split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ")
            guard f.count == 2, let t = Double(f[0]), let ns = Double(f[1]) else { return nil }
            return (t, ns)
        }
        let names = workloads
        dockerStatsBusy = Self.dockerStats(try text("docker-stats-busy.json"), workloads: names)
        dockerStatsFrozen = Self.dockerStats(try text("docker-stats-frozen.json"), workloads: names)
        var posted: [String: [Posted]] = [:]
        for mode in modes { posted[mode] = try Self.dryRun(try text("dry-\(mode).txt"), workloads: names) }
        self.posted = posted
    }

    /// `docker stats --format '{{json .}}'` lines, by workload.
    static func dockerStats(_ text: String, workloads: [String]) -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        for line in text.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String],
                let container = object["Name"], let w = workload(of: container, among: workloads)
            else { continue }
            out[w] = object
        }
        return out
    }

    /// The workload a container name (`dl-agree-<random>-<workload>`) belongs to.
    static func workload(of container: String, among workloads: [String]) -> String? {
        workloads.first { container.hasSuffix("-" + $0) }
    }

    /// The per-container measurements in a dry-run sink's output (legacy API: `{"gauges": [...]}` bodies; the
    /// source is `CLUSTER:HOST:CONTAINER`).
    static func dryRun(_ text: String, workloads: [String]) throws -> [Posted] {
        var out: [Posted] = []
        for line in text.split(separator: "\n") where line.hasPrefix("{") {
            let body = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            for case let g as [String: Any] in body["gauges"] as? [Any] ?? [] {
                guard let name = g["name"] as? String, let source = g["source"] as? String,
                    let container = source.split(separator: ":").last, let w = workload(of: String(container), among: workloads),
                    let time = (g["measure_time"] as? NSNumber)?.doubleValue
                else { continue }
                if let value = (g["value"] as? NSNumber)?.doubleValue {
                    out.append(Posted(name: name, workload: w, time: time, count: 1, sum: value))
                } else if let count = (g["count"] as? NSNumber)?.doubleValue, let sum = (g["sum"] as? NSNumber)?.doubleValue {
                    out.append(Posted(name: name, workload: w, time: time, count: count, sum: sum))
                }
            }
        }
        return out
    }

    // MARK: truth

    func truth(_ workload: String, _ key: String) -> Double? { truth[workload]?[key].flatMap(Double.init) }

    var memTotal: Double { Double(meta["mem_total"] ?? "") ?? 0 }

    /// usage − inactive file, as `docker stats` and the collector define memory used.
    func memoryUsed(_ w: String) -> Double? {
        guard let usage = truth(w, "mem_usage"), let inactive = truth(w, "mem_inactive_file") else { return nil }
        return inactive < usage ? usage - inactive : usage
    }

    /// The limit as dockerd reports it: the cgroup's, or the host's RAM when that is lower (`max`, v1's 2^63).
    func memoryLimit(_ w: String) -> Double? {
        guard let raw = truth[w]?["mem_limit"] else { return nil }
        let limit = raw == "max" ? Double.infinity : Double(raw) ?? .nan
        return min(limit, memTotal)
    }

    /// cpu's CPU % (100 = one core) between two wall times, from its cumulative CPU time logged once a second
    /// (linearly interpolated).
    func cpuPercent(from t1: Double, to t2: Double) -> Double? {
        func usage(_ t: Double) -> Double? {
            guard let after = cpuUsage.firstIndex(where: { $0.t >= t }), after > 0 else { return nil }
            let (a, b) = (cpuUsage[after - 1], cpuUsage[after])
            return a.ns + (b.ns - a.ns) * (t - a.t) / (b.t - a.t)
        }
        guard t2 > t1, let u1 = usage(t1), let u2 = usage(t2) else { return nil }
        return (u2 - u1) / (t2 - t1) / 1e9 * 100
    }

    // MARK: what a collector posted

    func series(_ mode: String, _ name: String, _ workload: String) -> [Posted] {
        (posted[mode] ?? []).filter { $0.name == name && $0.workload == workload }.sorted { $0.time < $1.time }
    }

    /// A counter's deltas summed over every period; nil when never posted.
    func total(_ mode: String, _ name: String, _ workload: String) -> Double? {
        let s = series(mode, name, workload)
        return s.isEmpty ? nil : s.reduce(0) { $0 + $1.sum }
    }

    /// A gauge's mean in the last period posted (the containers were frozen by then).
    func last(_ mode: String, _ name: String, _ workload: String) -> Double? {
        series(mode, name, workload).last?.mean
    }

    /// Periods of `docker.container.cpu.percent` for cpu whose samples all measure time while it was busy. A
    /// sample covers the time since the previous one: 2 s, or a multiple when a slow round (the Engine API on an
    /// emulated CPU) skipped ticks, so period p covers [p − 2, p + 8] with every tick and starts up to two skipped
    /// ticks earlier. Pairs of (posted mean, truth over [p − 2, p + 8]).
    func busyPeriods(_ mode: String, period: Double = 10, interval: Double = 2) -> [(measured: Double, truth: Double, start: Double)] {
        guard let busyFrom = Double(meta["busy_from"] ?? ""), let pausedAt = Double(meta["paused_at"] ?? "") else { return [] }
        let periods = series(mode, "docker.container.cpu.percent", "cpu").compactMap { p -> (count: Int, measured: Double, truth: Double, start: Double)? in
            // `yes` starts within half a second of the signal (its wait loop sleeps 0.5 s).
            guard p.count >= 1, p.time - 3 * interval >= busyFrom + 1, p.time + period <= pausedAt,
                let truth = cpuPercent(from: p.time - interval, to: p.time + period - interval)
            else { return nil }
            return (Int(p.count), p.mean, truth, p.time)
        }
        // Periods of at least two samples; periods of one only when the run mode sampled that sparsely throughout
        // (the Engine API source beside three other collectors on the one emulated CPU of the cgroupfs guest: a stats
        // round there took longer than the interval), where the mean over the busy periods still holds ± 3 points.
        let dense = periods.filter { $0.count >= 2 }
        return (dense.isEmpty ? periods : dense).map { ($0.measured, $0.truth, $0.start) }
    }
}

// MARK: - rows of the agreement table

/// One comparison: a metric of a workload, as one collector run mode (or `docker stats`) measured it, against the
/// container's own cgroup files.
struct AgreementRow {
    var metric: String
    var workload: String
    var column: String
    var measured: Double?
    var truth: Double?
    var tolerance: Tolerance
    /// Shown instead of the number (e.g. "not reported by the Engine API").
    var note: String?

    enum Tolerance: CustomStringConvertible {
        case exact
        case absolute(Double)
        /// relative, with an absolute floor
        case relative(Double, floor: Double)
        /// The source does not have this number: the row holds when nothing (or 0, see the note) was posted.
        case notReported(expected: Double?)

        var description: String {
            switch self {
            case .exact: "exact"
            case .absolute(let a): "± \(AgreementRow.format(a))"
            case .relative(let r, let floor): "± \(AgreementRow.format(r * 100)) % (≥ \(AgreementRow.format(floor)))"
            case .notReported: "—"
            }
        }
    }

    var ok: Bool {
        switch tolerance {
        case .notReported(let expected): return measured == expected
        case .exact:
            guard let measured, let truth else { return false }
            return abs(measured - truth) < 1e-9 * max(1, abs(truth))
        case .absolute(let a):
            guard let measured, let truth else { return false }
            return abs(measured - truth) <= a
        case .relative(let r, let floor):
            guard let measured, let truth else { return false }
            return abs(measured - truth) <= max(r * abs(truth), floor)
        }
    }

    static func format(_ v: Double?) -> String {
        guard let v else { return "none" }
        if v.isInfinite { return "∞" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        if abs(v) < 0.01 { return String(format: "%g", v) }
        return String(format: abs(v) < 10 ? "%.3f" : "%.1f", v)
    }
}

extension HostAgreement {
    static let columns = allModes + ["docker-stats"]

    /// Every comparison for this host.
    func rows() -> [AgreementRow] {
        var rows: [AgreementRow] = []
        let v2 = meta["cgroup_version"] == "2"
        for mode in modes {
            let api = mode.hasSuffix("-api")
            func add(_ metric: String, _ w: String, _ measured: Double?, _ truth: Double?, _ tolerance: AgreementRow.Tolerance, note: String? = nil) {
                guard workloads.contains(w) else { return }
                rows.append(AgreementRow(metric: metric, workload: w, column: mode, measured: measured, truth: truth, tolerance: tolerance, note: note))
            }
            let c = "docker.container."
            // CPU: the busy periods, against the cgroup's CPU time over the same windows. `yes` runs at its 0.2 CPU
            // quota (steady), but the collectors' samples and the scenario's once-a-second log are read at different
            // instants, late by up to a second on the guest's emulated CPU: ± 3 percentage points.
            let periods = busyPeriods(mode)
            add(
                "cpu.percent (busy periods, mean)", "cpu", periods.isEmpty ? nil : periods.map(\.measured).reduce(0, +) / Double(periods.count),
                periods.isEmpty ? nil : periods.map(\.truth).reduce(0, +) / Double(periods.count), .absolute(3))
            add("cpu.throttled.periods (Σ)", "cpu", total(mode, c + "cpu.throttled.periods", "cpu"), truth("cpu", "throttled_periods"), .exact)
            add(
                "cpu.throttled.seconds (Σ)", "cpu", total(mode, c + "cpu.throttled.seconds", "cpu"), truth("cpu", "throttled_ns").map { $0 / 1e9 },
                .absolute(1e-6))
            // Memory of frozen containers: the last period's mean (its earlier samples may precede the pause by a
            // few seconds; page cache ages between active and inactive meanwhile).
            for w in ["cpu", "writer", "procs"] {
                add("memory.used (last period)", w, last(mode, c + "memory.used", w), memoryUsed(w), .relative(0.05, floor: 256 * 1024))
            }
            add("memory.limit", "cpu", last(mode, c + "memory.limit", "cpu"), memoryLimit("cpu"), .exact)
            add("memory.limit (unlimited: host RAM)", "writer", last(mode, c + "memory.limit", "writer"), memoryLimit("writer"), .exact)
            if api {
                add("memory.oom_kills (Σ)", "oom", total(mode, c + "memory.oom_kills", "oom"), truth("oom", "oom_kills"), .notReported(expected: nil),
                    note: "not in the Engine API's stats")
            } else {
                add("memory.oom_kills (Σ)", "oom", total(mode, c + "memory.oom_kills", "oom"), truth("oom", "oom_kills"), .exact)
            }
            add("pids", "procs", last(mode, c + "pids", "procs"), truth("procs", "pids"), .exact)
            add("blkio.write.bytes (Σ)", "writer", total(mode, c + "blkio.write.bytes", "writer"), truth("writer", "wbytes"), .exact)
            add("blkio.read.bytes (Σ)", "writer", total(mode, c + "blkio.read.bytes", "writer"), truth("writer", "rbytes"), .exact)
            // Started while the collectors followed the engine and written to at once: counted from the run's start.
            add("blkio.write.bytes (Σ)", "starter", total(mode, c + "blkio.write.bytes", "starter"), truth("starter", "wbytes"), .exact)
            for (metric, key) in [("blkio.write.ops (Σ)", "wios"), ("blkio.read.ops (Σ)", "rios")] {
                let name = c + (metric.hasPrefix("blkio.write") ? "blkio.write.ops" : "blkio.read.ops")
                if api && v2 {
                    add(metric, "writer", total(mode, name, "writer"), truth("writer", key), .notReported(expected: 0),
                        note: "dockerd reports no operation counts on cgroup v2: 0 posted")
                } else {
                    add(metric, "writer", total(mode, name, "writer"), truth("writer", key), .exact)
                }
            }
            for (stream, kind) in [("stdout", "lines"), ("stderr", "lines"), ("stdout", "bytes"), ("stderr", "bytes")] {
                add("logs.\(stream).\(kind) (Σ)", "logger", total(mode, c + "logs.\(stream).\(kind)", "logger"), expectedLogs["\(stream)_\(kind)"], .exact)
            }
            add("l2met count#agree.lines (Σ)", "logger", total(mode, "agree.lines", "logger"), expectedLogs["l2met_count"], .exact)
            // Network of a container on a bridge network, started while the collectors followed (counted from zero),
            // against its /proc/<pid>/net/dev (every interface but lo) once paused.
            for w in ["net"] {
                for (name, key) in [("rx.bytes", "net_rx_bytes"), ("tx.bytes", "net_tx_bytes"), ("rx.packets", "net_rx_packets"), ("tx.packets", "net_tx_packets")] {
                    add("network.\(name) (Σ)", w, total(mode, c + "network." + name, w), truth(w, key), .exact)
                }
            }
        }
        // `docker stats --no-stream`: its own numbers, printed with three significant digits.
        func add(_ metric: String, _ w: String, _ measured: Double?, _ truth: Double?, _ tolerance: AgreementRow.Tolerance) {
            guard workloads.contains(w) else { return }
            rows.append(AgreementRow(metric: metric, workload: w, column: "docker-stats", measured: measured, truth: truth, tolerance: tolerance))
        }
        if let busy = dockerStatsBusy["cpu"], let from = Double(meta["stats_busy_from"] ?? ""), let to = Double(meta["stats_busy_to"] ?? "") {
            // Its window is two reads about a second apart somewhere inside the command's run: ± 10 points.
            add("cpu.percent (busy, one reading)", "cpu", Self.percent(busy["CPUPerc"]), cpuPercent(from: from, to: to), .absolute(10))
        }
        for w in ["cpu", "writer", "procs"] {
            let usage = dockerStatsFrozen[w]?["MemUsage"].map { Self.pair($0) }
            add("memory.used (last period)", w, usage?.0, memoryUsed(w), .relative(0.01, floor: 1024))
        }
        add("memory.limit", "cpu", Self.pair(dockerStatsFrozen["cpu"]?["MemUsage"]).1, memoryLimit("cpu"), .relative(0.005, floor: 1))
        add("memory.limit (unlimited: host RAM)", "writer", Self.pair(dockerStatsFrozen["writer"]?["MemUsage"]).1, memoryLimit("writer"), .relative(0.005, floor: 1))
        add("pids", "procs", dockerStatsFrozen["procs"]?["PIDs"].flatMap(Double.init), truth("procs", "pids"), .exact)
        let io = Self.pair(dockerStatsFrozen["writer"]?["BlockIO"])
        add("blkio.write.bytes (Σ)", "writer", io.1, truth("writer", "wbytes"), .relative(0.005, floor: 1))
        add("blkio.read.bytes (Σ)", "writer", io.0, truth("writer", "rbytes"), .relative(0.005, floor: 1))
        for w in ["net"] {
            let net = Self.pair(dockerStatsFrozen[w]?["NetIO"])
            add("network.rx.bytes (Σ)", w, net.0, truth(w, "net_rx_bytes"), .relative(0.005, floor: 1))
            add("network.tx.bytes (Σ)", w, net.1, truth(w, "net_tx_bytes"), .relative(0.005, floor: 1))
        }
        return rows
    }

    static func percent(_ s: String?) -> Double? {
        s.flatMap { Double($0.replacingOccurrences(of: "%", with: "")) }
    }

    /// `1.266MiB / 64MiB`, `25.2MB / 33.6MB` → bytes.
    static func pair(_ s: String?) -> (Double?, Double?) {
        let parts = (s ?? "").components(separatedBy: " / ")
        guard parts.count == 2 else { return (nil, nil) }
        return (bytes(parts[0]), bytes(parts[1]))
    }

    static func bytes(_ s: String) -> Double? {
        let units: [(String, Double)] = [
            ("KiB", 1024), ("MiB", 1_048_576), ("GiB", 1_073_741_824), ("TiB", 1_099_511_627_776), ("kB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12), ("B", 1),
        ]
        for (suffix, factor) in units where s.hasSuffix(suffix) {
            return Double(s.dropLast(suffix.count)).map { $0 * factor }
        }
        return nil
    }
}

// MARK: - the table

enum AgreementTable {
    static let hostTitles = [
        "v1": "cgroup v1, cgroupfs driver (this machine's dockerd)",
        "cgroupfs": "cgroup v2, cgroupfs driver (test host)",
        "systemd": "cgroup v2, systemd driver (test host)",
    ]
    static let columnTitles = [
        "process-cgroup": "process · cgroup", "process-api": "process · API", "container-auto": "container · auto (cgroup)",
        "container-api": "container · API", "docker-stats": "`docker stats`",
    ]

    /// One markdown table per host: a row per (metric, workload), a column per run mode and source, cells the
    /// measured value marked ✓ or ✗ (cpu %: measured vs. its own truth window).
    static func markdown(_ hosts: [HostAgreement]) -> String {
        var out = ""
        for h in hosts {
            let rows = h.rows()
            let columns = HostAgreement.columns.filter { c in rows.contains { $0.column == c } }
            out += "#### \(hostTitles[h.host] ?? h.host)\n\n"
            out += "Kernel \(h.meta["kernel"] ?? "?"), Docker \(h.meta["docker_version"] ?? "?") (API \(h.meta["api_version"] ?? "?")), "
            out += "\(h.meta["ncpu"] ?? "?") CPU, \(AgreementRow.format((h.memTotal / Double(1 << 20)).rounded())) MiB.\n\n"
            out += "| metric | workload | truth (cgroup files) | tolerance | " + columns.map { columnTitles[$0] ?? $0 }.joined(separator: " | ") + " |\n"
            out += "|---|---|---|---|" + String(repeating: "---|", count: columns.count) + "\n"
            var keys: [(String, String)] = []
            for r in rows where !keys.contains(where: { $0 == (r.metric, r.workload) }) { keys.append((r.metric, r.workload)) }
            for (metric, workload) in keys {
                let cells = rows.filter { $0.metric == metric && $0.workload == workload }
                let truths = Set(cells.compactMap { $0.truth.map(AgreementRow.format) })
                let tolerances = Set(cells.filter { if case .notReported = $0.tolerance { false } else { true } }.map(\.tolerance.description))
                out += "| \(metric) | \(workload) | \(truths.count == 1 ? truths.first! : "per cell") | \(tolerances.sorted().joined(separator: "; ")) |"
                for column in columns {
                    guard let r = cells.first(where: { $0.column == column }) else {
                        out += " |"
                        continue
                    }
                    var cell = r.note.map { "\($0)" } ?? AgreementRow.format(r.measured)
                    if truths.count > 1, r.note == nil { cell += " (\(AgreementRow.format(r.truth)))" }
                    out += " \(cell) \(r.ok ? "✓" : "✗") |"
                }
                out += "\n"
            }
            out += "\n"
        }
        return out
    }
}
