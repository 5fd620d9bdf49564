import ContainerMetrics
import Librato

/// Per-cluster (`docker.cluster.*`, source `CLUSTER`) and per-host (`docker.host.*`, source `CLUSTER:HOST`) roll-ups
/// of one period: containers by state (from the engines' counts; containers with stats where a collector sends no
/// counts) and by health, running containers by image and by service, and distributions across containers — a
/// complex gauge whose `sum` is the total, `count` the number of containers, `min`/`max`/mean the spread.
enum Rollups {
    /// Names of the per-cluster roll-ups: `docker.cluster.<name>`.
    static let clusterPrefix = "docker.cluster"
    /// Names of the per-host roll-ups: `docker.host.<name>`.
    static let hostPrefix = "docker.host"

    struct Group {
        var running = 0
        /// Containers by state, from the engines' counts (nil: no engine of the group sent counts).
        var states: [UInt64]?
        /// Containers by health (`starting`, `healthy`, `unhealthy`), from their states.
        var health: [String: Int] = [:]
        var cpu = GaugeStat()
        var memory = GaugeStat()
        var rx = GaugeStat()
        var tx = GaugeStat()
        var read = GaugeStat()
        var write = GaugeStat()
        var logLines = GaugeStat()
        var events: [String: Int] = [:]
    }

    static func append(_ containers: [ContainerPeriod], hosts engines: [HostPeriod] = [], time: Int, period: Int, to out: inout [Measurement]) {
        var hosts: [HostKey: Group] = [:]
        for e in engines {
            var g = Group()
            g.states = e.states.counts
            hosts[HostKey(cluster: e.cluster, host: e.host), default: Group()].merge(g)
        }
        var images: [HostKey: Int] = [:]
        var services: [HostKey: Int] = [:]
        for c in containers {
            var g = Group()
            if c.samples > 0 {
                g.running = 1
                images[HostKey(cluster: c.cluster, host: c.identity.image), default: 0] += 1
                if let s = c.identity.service { services[HostKey(cluster: c.cluster, host: s), default: 0] += 1 }
            }
            if !c[.cpuPercent].isEmpty { g.cpu.add(c[.cpuPercent].mean) }
            if !c[.memoryUsed].isEmpty { g.memory.add(c[.memoryUsed].mean) }
            if let v = c[.netRxBytes] { g.rx.add(v) }
            if let v = c[.netTxBytes] { g.tx.add(v) }
            if let v = c[.blkioReadBytes] { g.read.add(v) }
            if let v = c[.blkioWriteBytes] { g.write.add(v) }
            if let v = c.logLines { g.logLines.add(v) }
            for e in c.events { g.events[e.action, default: 0] += 1 }
            if let h = c.status?.health, h != .none { g.health[h.name] = 1 }
            hosts[HostKey(cluster: c.cluster, host: c.host), default: Group()].merge(g)
        }
        // A cluster counts by state when any of its engines does; an engine without counts (an older collector)
        // then adds its containers with stats as running.
        let sortedHosts = hosts.sorted { ($0.key.cluster, $0.key.host) < ($1.key.cluster, $1.key.host) }
        let counting = Set(sortedHosts.filter { $0.value.states != nil }.map(\.key.cluster))
        var clusters: [String: Group] = [:]
        for (key, var g) in sortedHosts {
            if g.states == nil, counting.contains(key.cluster) {
                var counts = HostStates(time: 0)
                counts[.running] = UInt64(g.running)
                g.states = counts.counts
            }
            clusters[key.cluster, default: Group()].merge(g)
        }
        for (cluster, g) in clusters.sorted(by: { $0.key < $1.key }) {
            emit(g, prefix: clusterPrefix, source: cluster, tags: ["cluster": cluster], time: time, period: period, events: true, to: &out)
        }
        for (key, g) in sortedHosts {
            emit(
                g, prefix: hostPrefix, source: "\(key.cluster):\(key.host)", tags: ["cluster": key.cluster, "host": key.host], time: time,
                period: period, events: false, to: &out)
        }
        for (key, n) in images.sorted(by: { ($0.key.cluster, $0.key.host) < ($1.key.cluster, $1.key.host) }) {
            out.append(
                Measurement(
                    name: "\(clusterPrefix).containers.by_image", source: "\(key.cluster):\(key.host)", tags: ["cluster": key.cluster, "image": key.host],
                    time: time, value: .single(Double(n)), period: period))
        }
        for (key, n) in services.sorted(by: { ($0.key.cluster, $0.key.host) < ($1.key.cluster, $1.key.host) }) {
            out.append(
                Measurement(
                    name: "\(clusterPrefix).containers.by_service", source: "\(key.cluster):\(key.host)",
                    tags: ["cluster": key.cluster, "service": key.host], time: time, value: .single(Double(n)), period: period))
        }
    }

    struct HostKey: Hashable {
        var cluster: String
        var host: String
    }

    static func emit(
        _ g: Group, prefix: String, source: String, tags: [String: String], time: Int, period: Int, events: Bool, to out: inout [Measurement]
    ) {
        func put(_ name: String, _ value: Measurement.Value) {
            out.append(Measurement(name: "\(prefix).\(name)", source: source, tags: tags, time: time, value: value, period: period))
        }
        if let states = g.states {
            for state in ContainerStatus.State.allCases where state != .removing {
                let n = Int(state.rawValue) < states.count ? states[Int(state.rawValue)] : 0
                put("containers.\(state.name)", .single(Double(n)))
            }
        } else {
            put("containers.running", .single(Double(g.running)))
        }
        for (health, n) in g.health.sorted(by: { $0.key < $1.key }) { put("containers.\(health)", .single(Double(n))) }
        for (name, stat) in [
            ("cpu.percent", g.cpu), ("memory.used", g.memory), ("network.rx.bytes", g.rx), ("network.tx.bytes", g.tx),
            ("blkio.read.bytes", g.read), ("blkio.write.bytes", g.write), ("logs.lines", g.logLines),
        ] where !stat.isEmpty {
            put(name, Measurement.Value(stat))
        }
        if events {
            for (action, n) in g.events.sorted(by: { $0.key < $1.key }) { put("events.\(action)", .single(Double(n))) }
        }
    }
}

extension Rollups.Group {
    mutating func merge(_ o: Rollups.Group) {
        running += o.running
        if let theirs = o.states {
            var mine = states ?? []
            for (i, n) in theirs.enumerated() {
                if i < mine.count { mine[i] += n } else { mine.append(n) }
            }
            states = mine
        }
        health.merge(o.health, uniquingKeysWith: +)
        cpu.merge(o.cpu)
        memory.merge(o.memory)
        rx.merge(o.rx)
        tx.merge(o.tx)
        read.merge(o.read)
        write.merge(o.write)
        logLines.merge(o.logLines)
        events.merge(o.events, uniquingKeysWith: +)
    }
}

extension GaugeStat {
    mutating func merge(_ o: GaugeStat) {
        guard o.count > 0 else { return }
        count += o.count
        sum += o.sum
        min = Swift.min(min, o.min)
        max = Swift.max(max, o.max)
        sumSquares += o.sumSquares
        last = o.last
    }
}
