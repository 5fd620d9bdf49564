import ContainerMetrics
import Librato

/// The default per-container metrics (docs/metrics.md lists them with units and types).
enum ContainerNames {
    static let gauges: [(ContainerGauge, String, String)] = [
        (.cpuPercent, "docker.container.cpu.percent", "%"),
        (.cpuUserPercent, "docker.container.cpu.user.percent", "%"),
        (.cpuKernelPercent, "docker.container.cpu.kernel.percent", "%"),
        (.memoryUsed, "docker.container.memory.used", "B"),
        (.memoryRSS, "docker.container.memory.rss", "B"),
        (.memoryCache, "docker.container.memory.cache", "B"),
        (.memoryLimit, "docker.container.memory.limit", "B"),
        (.memoryPercent, "docker.container.memory.percent", "%"),
        (.pids, "docker.container.pids", ""),
    ]

    static let counters: [(ContainerCounter, String, String)] = [
        (.cpuThrottledPeriods, "docker.container.cpu.throttled.periods", ""),
        (.cpuThrottledSeconds, "docker.container.cpu.throttled.seconds", "s"),
        (.memoryOOMKills, "docker.container.memory.oom_kills", ""),
        (.blkioReadBytes, "docker.container.blkio.read.bytes", "B"),
        (.blkioWriteBytes, "docker.container.blkio.write.bytes", "B"),
        (.blkioReadOps, "docker.container.blkio.read.ops", ""),
        (.blkioWriteOps, "docker.container.blkio.write.ops", ""),
        (.netRxBytes, "docker.container.network.rx.bytes", "B"),
        (.netRxPackets, "docker.container.network.rx.packets", ""),
        (.netRxErrors, "docker.container.network.rx.errors", ""),
        (.netRxDropped, "docker.container.network.rx.dropped", ""),
        (.netTxBytes, "docker.container.network.tx.bytes", "B"),
        (.netTxPackets, "docker.container.network.tx.packets", ""),
        (.netTxErrors, "docker.container.network.tx.errors", ""),
        (.netTxDropped, "docker.container.network.tx.dropped", ""),
    ]

    /// `docker.container.logs.<stream>.lines` (literals: interpolating them cost 1 % of the hub's CPU at fleet scale).
    static func logLines(_ stream: LogBucket.Stream) -> String {
        stream == .stdout ? "docker.container.logs.stdout.lines" : "docker.container.logs.stderr.lines"
    }
    /// `docker.container.logs.<stream>.bytes`
    static func logBytes(_ stream: LogBucket.Stream) -> String {
        stream == .stdout ? "docker.container.logs.stdout.bytes" : "docker.container.logs.stderr.bytes"
    }
    /// `docker.container.events.<action>`
    static func event(_ action: String) -> String { "docker.container.events.\(action)" }

    /// `CLUSTER:HOST:CONTAINER`.
    static func source(_ c: ContainerPeriod) -> String { "\(c.cluster):\(c.host):\(c.identity.name)" }

    /// cluster, host, container, image, and the allow-listed labels (compose/swarm service names as
    /// `compose_project`, `compose_service`, `swarm_service`, `swarm_task`, `stack`; others as `label.<key>`).
    static func tags(_ c: ContainerPeriod) -> [String: String] {
        var t = ["cluster": c.cluster, "host": c.host, "container": c.identity.name, "image": c.identity.image]
        for (k, v) in c.identity.labels where !v.isEmpty {
            switch k {
            case "com.docker.compose.project": t["compose_project"] = v
            case "com.docker.compose.service": t["compose_service"] = v
            case "com.docker.swarm.service.name": t["swarm_service"] = v
            case "com.docker.swarm.task.name": t["swarm_task"] = v
            case "com.docker.stack.namespace": t["stack"] = v
            default: t["label.\(k)"] = v
            }
        }
        return t
    }

    /// `docker.container.health`: 1 healthy, 0.5 starting, 0 unhealthy; nothing without a HEALTHCHECK.
    static func healthValue(_ h: ContainerStatus.Health) -> Double? {
        switch h {
        case .none: nil
        case .starting: 0.5
        case .healthy: 1
        case .unhealthy: 0
        }
    }

    static func attributes(unit: String) -> MetricAttributes? {
        unit.isEmpty ? nil : MetricAttributes(displayUnitsShort: unit)
    }

    /// At least as many measurements as ``append(_:time:period:attributes:to:)`` makes of `c`, known without making
    /// them: every gauge and counter, four per interface, the four log series, five of state, one per event and
    /// l2met series.
    static func upperBound(_ c: ContainerPeriod) -> Int {
        gauges.count + counters.count + (c.interfaces.count > 1 ? 4 * c.interfaces.count : 0) + 4 + 5 + c.events.count + c.l2met.count
    }

    static func append(_ c: ContainerPeriod, time: Int, period: Int, attributes sendAttributes: Bool, to out: inout [Measurement]) {
        let source = source(c)
        let tags = tags(c)
        func put(_ name: String, _ value: Measurement.Value, unit: String, source: String = source, tags: [String: String] = tags) {
            out.append(
                Measurement(
                    name: name, source: source, tags: tags, time: time, value: value, period: period,
                    attributes: sendAttributes ? attributes(unit: unit) : nil))
        }
        for (g, name, unit) in gauges where !c[g].isEmpty { put(name, Measurement.Value(c[g]), unit: unit) }
        for (k, name, unit) in counters { if let v = c[k] { put(name, .single(v), unit: unit) } }
        if c.interfaces.count > 1 {
            for n in c.interfaces.sorted(by: { $0.interface < $1.interface }) {
                let iface = n.interface
                var t = tags
                t["interface"] = iface
                let s = "\(source):\(iface)"
                put("docker.container.network.interface.rx.bytes", .single(Double(n.rxBytes)), unit: "B", source: s, tags: t)
                put("docker.container.network.interface.tx.bytes", .single(Double(n.txBytes)), unit: "B", source: s, tags: t)
                put("docker.container.network.interface.rx.packets", .single(Double(n.rxPackets)), unit: "", source: s, tags: t)
                put("docker.container.network.interface.tx.packets", .single(Double(n.txPackets)), unit: "", source: s, tags: t)
            }
        }
        if c[.stdoutLines] != nil || c[.stderrLines] != nil {
            put(logLines(.stdout), .single(c[.stdoutLines] ?? 0), unit: "")
            put(logBytes(.stdout), .single(c[.stdoutBytes] ?? 0), unit: "B")
            put(logLines(.stderr), .single(c[.stderrLines] ?? 0), unit: "")
            put(logBytes(.stderr), .single(c[.stderrBytes] ?? 0), unit: "B")
        }
        if let st = c.status {
            if let up = st.uptimeSeconds { put("docker.container.uptime", .single(up), unit: "s") }
            put("docker.container.restarts", .single(Double(st.restartCount)), unit: "")
            put("docker.container.exit_code", .single(Double(st.exitCode)), unit: "")
            put("docker.container.oom_killed", .single(st.oomKilled ? 1 : 0), unit: "")
            if let h = healthValue(st.health) { put("docker.container.health", .single(h), unit: "") }
        }
        var events: [String: Int] = [:]
        for e in c.events { events[e.action, default: 0] += 1 }
        for (action, n) in events.sorted(by: { $0.key < $1.key }) {
            put(event(action), .single(Double(n)), unit: "")
        }
        for (key, m) in c.l2met.sorted(by: { ($0.key.name, $0.key.unit) < ($1.key.name, $1.key.unit) }) {
            guard m.sum.isFinite, m.min.isFinite, m.max.isFinite, m.sumSquares.isFinite else { continue }
            let value: Measurement.Value
            switch key.kind {
            case .count:
                value = .single(m.sum)
            case .measure, .sample:
                value =
                    m.count == 1
                    ? .single(m.sum)
                    : .summary(Summary(count: Int(m.count), sum: m.sum, min: m.min, max: m.max, sumSquares: m.sumSquares, last: m.last))
            }
            put(key.name, value, unit: key.unit)
        }
    }
}
