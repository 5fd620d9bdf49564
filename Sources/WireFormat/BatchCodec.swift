import ContainerMetrics

/// Record kinds of the body. Every record is `kind varint, length varint, payload`; a decoder skips kinds it does
/// not know, so new kinds can be added without breaking older hubs.
enum RecordKind: UInt64 {
    case container = 1
    case stats = 2
    case logBucket = 3
    case event = 4
    case heartbeat = 5
    case abandoned = 6
    case ack = 7
    case status = 8
    case hostStates = 9
}

/// Stats field groups, written in bit order; a decoder reads the groups it knows and ignores the rest of the
/// record, so groups can be appended in later versions.
struct StatsGroups: OptionSet {
    let rawValue: UInt64
    static let cpu = StatsGroups(rawValue: 1 << 0)
    static let memory = StatsGroups(rawValue: 1 << 1)
    static let oomKills = StatsGroups(rawValue: 1 << 2)
    static let pids = StatsGroups(rawValue: 1 << 3)
    static let blockIO = StatsGroups(rawValue: 1 << 4)
    static let networks = StatsGroups(rawValue: 1 << 5)
    static let known: StatsGroups = [.cpu, .memory, .oomKills, .pids, .blockIO, .networks]
}

/// Limits the decoder enforces beyond "fits in what remains".
public enum WireLimits {
    /// Longest string in a record (label values, names).
    public static let maxString = 16_384
    /// Most labels per container.
    public static let maxLabels = 256
}

extension Batch {
    /// The plaintext body: `record count varint` followed by the records.
    public func encode() -> [UInt8] {
        var w = ByteWriter(capacity: 64 + stats.count * 120 + containers.count * 160)
        w.varint(recordCount)
        for c in containers {
            w.record(.container) { w in
                w.string(c.id)
                w.string(c.name)
                w.string(c.image)
                w.zigzag(c.startedAt)
                let labels = c.labels.sorted { $0.key < $1.key }
                w.varint(labels.count)
                for (k, v) in labels {
                    w.string(k)
                    w.string(v)
                }
            }
        }
        for s in stats { w.record(.stats) { $0.stats(s) } }
        for l in logs { w.record(.logBucket) { $0.logBucket(l) } }
        for e in events {
            w.record(.event) { w in
                w.varint(e.container)
                w.zigzag(e.value.timeNano)
                w.string(e.value.action)
                w.string(e.value.detail)
                if let code = e.value.exitCode {
                    w.u8(1)
                    w.zigzag(Int64(code))
                } else {
                    w.u8(0)
                }
            }
        }
        for st in statuses {
            w.record(.status) { w in
                let v = st.value
                w.varint(st.container)
                w.zigzag(v.time)
                w.u8(v.state.rawValue)
                w.u8(v.health.rawValue)
                w.varint(v.restartCount)
                w.zigzag(v.startedAt)
                w.zigzag(Int64(v.exitCode))
                w.u8(v.oomKilled ? 1 : 0)
            }
        }
        for h in hostStates {
            w.record(.hostStates) { w in
                w.zigzag(h.time)
                w.varint(h.counts.count)
                for n in h.counts { w.varint(n) }
            }
        }
        for h in heartbeats {
            w.record(.heartbeat) { w in
                w.zigzag(h.time)
                let values = h.values.sorted { $0.key < $1.key }
                w.varint(values.count)
                for (k, v) in values {
                    w.string(k)
                    w.double(v)
                }
            }
        }
        for a in abandoned {
            w.record(.abandoned) { w in
                w.varint(a.epoch)
                w.varint(a.first)
                w.varint(a.last)
                w.u8(a.reason.rawValue)
                w.varint(a.logLines.count)
                for n in a.logLines { w.varint(n) }
            }
        }
        for a in acks {
            w.record(.ack) { w in
                w.varint(a.epoch)
                w.varint(a.ackedThrough)
                w.varint(a.nextExpected)
                w.varint(a.flags.rawValue)
                w.varint(a.retransmitAfterMs)
            }
        }
        return w.bytes
    }

    /// Decodes a plaintext body. `base` is the body's offset in the frame, for error messages.
    public static func decode(_ buffer: UnsafeRawBufferPointer, base: Int = 0) throws(WireError) -> Batch {
        var identities = IdentityInterner(capacity: 0)
        var tokens: [UInt64] = []
        return try decode(buffer, base: base, identities: &identities, tokens: &tokens)
    }

    /// Decodes a plaintext body, reusing identities `identities` already holds (see ``IdentityInterner``); `tokens`
    /// receives each container's identity token, in the order of ``containers``.
    public static func decode(
        _ buffer: UnsafeRawBufferPointer, base: Int = 0, identities: inout IdentityInterner, tokens: inout [UInt64]
    ) throws(WireError) -> Batch {
        var r = ByteReader(buffer, base: base)
        var batch = Batch()
        var names = InterfaceNames()
        let count = try r.count("record count", minItemSize: 2)
        // A data frame is mostly a container record and a stats record per container (~290 bytes together): room for
        // that at once (growing the arrays record by record copied every sample several times). Bounded by the bytes
        // left as well as by the count, so that a frame of many tiny records still allocates about its own size.
        let expected = min(count / 2 + 1, r.remaining / 200 + 1)
        batch.stats.reserveCapacity(expected)
        // The leading run of container records, whole, when the interner kept the same bytes (IdentityInterner).
        let run = r.leadingContainerRun(count: count)
        var decoded = 0
        if run.records > 0, let kept = identities.run(UnsafeRawBufferPointer(rebasing: r.buffer[r.offset..<run.end])) {
            batch.containers = kept.identities
            // Appended as record by record (the callers pass an empty array: then the kept one is shared).
            if tokens.isEmpty { tokens = kept.tokens } else { tokens.append(contentsOf: kept.tokens) }
            try r.skip(run.end - r.offset, "container records")
            decoded = run.records
        } else {
            batch.containers.reserveCapacity(expected)
            tokens.reserveCapacity(expected)
        }
        let runStart = r.offset
        for n in decoded..<count {
            if n == run.records, decoded == 0, run.records > 0 {
                // The run was decoded record by record: kept for the next frame that repeats it.
                identities.keepRun(
                    UnsafeRawBufferPointer(rebasing: r.buffer[runStart..<r.offset]), identities: batch.containers, tokens: tokens)
            }
            let kindStart = r.position
            let kind = try r.varint("record kind")
            let length = try r.count("record length")
            var p = ByteReader(try r.bytes(length, "record"), base: r.position - length)
            switch RecordKind(rawValue: kind) {
            case .container:
                let (identity, token) = try identities.interned(for: p.buffer) { () throws(WireError) in try p.container() }
                batch.containers.append(identity)
                tokens.append(token)
            case .stats:
                // Decoded where it will lie: a sample built, returned and appended was copied (200 bytes) twice.
                let ref = try p.reference(containers: batch.containers.count)
                batch.stats.append(ContainerRecord(container: ref, StatsSample(time: 0)))
                try p.statsSample(into: &batch.stats[batch.stats.count - 1].value, names: &names)
            case .logBucket:
                batch.logs.append(try p.logBucket(containers: batch.containers.count))
            case .event:
                let ref = try p.reference(containers: batch.containers.count)
                let time = try p.zigzag("event time")
                let action = try p.string("event action", maxLength: WireLimits.maxString)
                let detail = try p.string("event detail", maxLength: WireLimits.maxString)
                let hasCode = try p.u8("event exit code flag")
                var code: Int32?
                if hasCode == 1 {
                    let start = p.position
                    let c = try p.zigzag("event exit code")
                    guard let c32 = Int32(exactly: c) else { throw .invalidValue(field: "event exit code", offset: start) }
                    code = c32
                } else if hasCode != 0 {
                    throw .invalidValue(field: "event exit code flag", offset: p.position - 1)
                }
                batch.events.append(ContainerRecord(container: ref, LifecycleEvent(timeNano: time, action: action, detail: detail, exitCode: code)))
            case .status:
                batch.statuses.append(try p.status(containers: batch.containers.count))
            case .hostStates:
                let time = try p.zigzag("host states time")
                let n = try p.count("host states counts")
                var counts: [UInt64] = []
                counts.reserveCapacity(n)
                for _ in 0..<n { counts.append(try p.varint("host states count")) }
                batch.hostStates.append(HostStates(time: time, counts: counts))
            case .heartbeat:
                let time = try p.zigzag("heartbeat time")
                let n = try p.count("heartbeat values", minItemSize: 9)
                var values: [String: Double] = [:]
                values.reserveCapacity(n)
                for _ in 0..<n {
                    let k = try p.string("heartbeat value name", maxLength: 255)
                    values[k] = try p.double("heartbeat value")
                }
                batch.heartbeats.append(Heartbeat(time: time, values: values))
            case .abandoned:
                let epoch = try p.varint("abandoned epoch")
                let first = try p.varint("abandoned first")
                let start = p.position
                let last = try p.varint("abandoned last")
                guard last >= first else { throw .invalidValue(field: "abandoned range", offset: start) }
                let reasonOffset = p.position
                guard let reason = AbandonedRange.Reason(rawValue: try p.u8("abandoned reason")) else {
                    throw .invalidValue(field: "abandoned reason", offset: reasonOffset)
                }
                var lines: [UInt64] = []
                if !p.isAtEnd {
                    let countOffset = p.position
                    let n = try p.count("abandoned log lines")
                    guard n == 0 || UInt64(n) == last - first + 1 else { throw .invalidValue(field: "abandoned log lines count", offset: countOffset) }
                    lines.reserveCapacity(n)
                    for _ in 0..<n { lines.append(try p.varint("abandoned log lines")) }
                }
                batch.abandoned.append(AbandonedRange(epoch: epoch, first: first, last: last, reason: reason, logLines: lines))
            case .ack:
                batch.acks.append(
                    Ack(
                        epoch: try p.varint("ack epoch"), ackedThrough: try p.varint("ack through"),
                        nextExpected: try p.varint("ack next expected"), flags: Ack.Flags(rawValue: try p.varint("ack flags")),
                        retransmitAfterMs: try p.varint("ack retransmit after")))
            case nil:
                // A newer sender's record kind: skip it (its length is known), count it.
                _ = kindStart
                batch.skippedRecords += 1
            }
        }
        if count == run.records, decoded == 0, run.records > 0 {
            identities.keepRun(UnsafeRawBufferPointer(rebasing: r.buffer[runStart..<r.offset]), identities: batch.containers, tokens: tokens)
        }
        guard r.isAtEnd else { throw .trailingBytes(count: r.remaining) }
        return batch
    }
}

extension ByteReader {
    /// Where the run of container records at the reader's position ends (at most `count` records), and how many it
    /// holds; reads only each record's kind and length, and stops at the first record that is not a container's or
    /// whose header is malformed (decoding then finds and reports it). Does not move the reader.
    func leadingContainerRun(count: Int) -> (end: Int, records: Int) {
        var offset = self.offset
        var records = 0
        while records < count, offset < buffer.count, buffer[offset] == UInt8(RecordKind.container.rawValue) {
            var scan = ByteReader(UnsafeRawBufferPointer(rebasing: buffer[(offset + 1)...]))
            guard let length = try? scan.count("record length"), scan.remaining >= length else { break }
            offset += 1 + scan.offset + length
            records += 1
        }
        return (offset, records)
    }
}

extension ByteWriter {
    mutating func record(_ kind: RecordKind, _ body: (inout ByteWriter) -> Void) {
        varint(kind.rawValue)
        lengthPrefixed(body)
    }

    mutating func stats(_ record: ContainerRecord<StatsSample>) {
        varint(record.container)
        statsSample(record.value)
    }

    /// A stats sample as the stats record carries it (time, groups, each present group): also the hub's state file.
    public mutating func statsSample(_ s: StatsSample) {
        var groups: StatsGroups = []
        if s.cpu != nil { groups.insert(.cpu) }
        if s.memory != nil { groups.insert(.memory) }
        if s.memory?.oomKills != nil { groups.insert(.oomKills) }
        if s.pids != nil { groups.insert(.pids) }
        if s.blockIO != nil { groups.insert(.blockIO) }
        if !s.networks.isEmpty { groups.insert(.networks) }
        zigzag(s.time)
        varint(groups.rawValue)
        if let c = s.cpu {
            varint(c.totalNs)
            varint(c.userNs)
            varint(c.kernelNs)
            varint(c.systemNs)
            varint(UInt64(c.onlineCPUs))
            varint(c.periods)
            varint(c.throttledPeriods)
            varint(c.throttledNs)
        }
        if let m = s.memory {
            varint(m.usage)
            varint(m.limit)
            varint(m.rss)
            varint(m.cache)
            varint(m.inactiveFile)
            if let oom = m.oomKills { varint(oom) }
        }
        if let p = s.pids { varint(p) }
        if let b = s.blockIO {
            varint(b.readBytes)
            varint(b.writeBytes)
            varint(b.readOps)
            varint(b.writeOps)
        }
        if !s.networks.isEmpty {
            varint(s.networks.count)
            for n in s.networks {
                string(n.interface)
                varint(n.rxBytes)
                varint(n.rxPackets)
                varint(n.rxErrors)
                varint(n.rxDropped)
                varint(n.txBytes)
                varint(n.txPackets)
                varint(n.txErrors)
                varint(n.txDropped)
            }
        }
    }

    mutating func logBucket(_ record: ContainerRecord<LogBucket>) {
        let b = record.value
        varint(record.container)
        u8(b.stream.rawValue)
        zigzag(b.second)
        varint(b.lines)
        varint(b.bytes)
        varint(b.measurements.count)
        for m in b.measurements {
            u8(m.kind.rawValue)
            string(m.name)
            string(m.unit)
            varint(m.count)
            double(m.sum)
            double(m.min)
            double(m.max)
            double(m.sumSquares)
            double(m.last)
        }
    }
}

extension ByteReader {
    mutating func reference(containers: Int) throws(WireError) -> Int {
        let ref = try varint("container index")
        guard ref < UInt64(containers) else { throw .badReference(index: Int(clamping: ref), containers: containers) }
        return Int(ref)
    }

    mutating func container() throws(WireError) -> ContainerIdentity {
        let id = try string("container id", maxLength: 255)
        let name = try string("container name", maxLength: WireLimits.maxString)
        let image = try string("container image", maxLength: WireLimits.maxString)
        let startedAt = try zigzag("container start time")
        let start = position
        let n = try count("container labels", minItemSize: 2)
        guard n <= WireLimits.maxLabels else { throw .oversize(field: "container labels at byte \(start)", length: n, limit: WireLimits.maxLabels) }
        var labels: [String: String] = [:]
        labels.reserveCapacity(n)
        for _ in 0..<n {
            let k = try string("label name", maxLength: WireLimits.maxString)
            labels[k] = try string("label value", maxLength: WireLimits.maxString)
        }
        return ContainerIdentity(id: id, name: name, image: image, labels: labels, startedAt: startedAt)
    }

    /// A stats sample written by ``ByteWriter/statsSample(_:)``. Groups a later version appends are ignored only at
    /// the end of a record (the caller's reader ends there).
    public mutating func statsSample() throws(WireError) -> StatsSample {
        var names = InterfaceNames()
        var s = StatsSample(time: 0)
        try statsSample(into: &s, names: &names)
        return s
    }

    /// ``statsSample()`` into `s` (every field is written), reusing interface names `names` already decoded (a
    /// frame's samples all name `eth0`).
    mutating func statsSample(into s: inout StatsSample, names: inout InterfaceNames) throws(WireError) {
        s.time = try zigzag("stats time")
        let groups = StatsGroups(rawValue: try varint("stats groups"))
        s.cpu = nil
        s.memory = nil
        s.pids = nil
        s.blockIO = nil
        s.networks = []
        if groups.contains(.cpu) {
            s.cpu = StatsSample.CPU(
                totalNs: try varint("cpu total"), userNs: try varint("cpu user"), kernelNs: try varint("cpu kernel"),
                systemNs: try varint("cpu system"), onlineCPUs: try u32("online cpus"), periods: try varint("cpu periods"),
                throttledPeriods: try varint("cpu throttled periods"), throttledNs: try varint("cpu throttled time"))
        }
        if groups.contains(.memory) {
            var m = StatsSample.Memory(
                usage: try varint("memory usage"), limit: try varint("memory limit"), rss: try varint("memory rss"),
                cache: try varint("memory cache"), inactiveFile: try varint("memory inactive file"))
            if groups.contains(.oomKills) { m.oomKills = try varint("oom kills") }
            s.memory = m
        } else if groups.contains(.oomKills) {
            throw .invalidValue(field: "stats groups (oom kills without memory)", offset: position)
        }
        if groups.contains(.pids) { s.pids = try varint("pids") }
        if groups.contains(.blockIO) {
            s.blockIO = StatsSample.BlockIO(
                readBytes: try varint("blkio read bytes"), writeBytes: try varint("blkio write bytes"),
                readOps: try varint("blkio read ops"), writeOps: try varint("blkio write ops"))
        }
        if groups.contains(.networks) {
            let n = try count("network interfaces", minItemSize: 9)
            s.networks.reserveCapacity(n)
            for _ in 0..<n {
                s.networks.append(
                    StatsSample.NetworkCounters(
                        interface: try interfaceName(&names), rxBytes: try varint("rx bytes"),
                        rxPackets: try varint("rx packets"), rxErrors: try varint("rx errors"), rxDropped: try varint("rx dropped"),
                        txBytes: try varint("tx bytes"), txPackets: try varint("tx packets"), txErrors: try varint("tx errors"),
                        txDropped: try varint("tx dropped")))
            }
        }
        // Groups this build does not know (higher bits) follow; they are ignored.
    }

    mutating func status(containers: Int) throws(WireError) -> ContainerRecord<ContainerStatus> {
        let ref = try reference(containers: containers)
        let time = try zigzag("status time")
        let stateOffset = position
        guard let state = ContainerStatus.State(rawValue: try u8("status state")) else { throw .invalidValue(field: "status state", offset: stateOffset) }
        let healthOffset = position
        guard let health = ContainerStatus.Health(rawValue: try u8("status health")) else {
            throw .invalidValue(field: "status health", offset: healthOffset)
        }
        let restarts = try varint("status restart count")
        let startedAt = try zigzag("status start time")
        let codeOffset = position
        guard let code = Int32(exactly: try zigzag("status exit code")) else { throw .invalidValue(field: "status exit code", offset: codeOffset) }
        let oomOffset = position
        let oom = try u8("status oom killed")
        guard oom <= 1 else { throw .invalidValue(field: "status oom killed", offset: oomOffset) }
        // Fields a later version appends follow; they are ignored.
        return ContainerRecord(
            container: ref,
            ContainerStatus(time: time, state: state, health: health, restartCount: restarts, startedAt: startedAt, exitCode: code, oomKilled: oom == 1))
    }

    mutating func logBucket(containers: Int) throws(WireError) -> ContainerRecord<LogBucket> {
        let ref = try reference(containers: containers)
        let streamOffset = position
        guard let stream = LogBucket.Stream(rawValue: try u8("log stream")) else { throw .invalidValue(field: "log stream", offset: streamOffset) }
        var b = LogBucket(stream: stream, second: try zigzag("log second"), lines: try varint("log lines"), bytes: try varint("log bytes"))
        let n = try count("l2met measurements", minItemSize: 44)
        b.measurements.reserveCapacity(n)
        for _ in 0..<n {
            let kindOffset = position
            guard let kind = L2metToken.Kind(rawValue: try u8("l2met kind")) else { throw .invalidValue(field: "l2met kind", offset: kindOffset) }
            b.measurements.append(
                L2metAggregate(
                    kind: kind, name: try string("l2met name", maxLength: 255), unit: try string("l2met unit", maxLength: 64),
                    count: try varint("l2met count"), sum: try double("l2met sum"), min: try double("l2met min"),
                    max: try double("l2met max"), sumSquares: try double("l2met sum of squares"), last: try double("l2met last")))
        }
        return ContainerRecord(container: ref, b)
    }
}
