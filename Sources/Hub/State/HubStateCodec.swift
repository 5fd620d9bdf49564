import ContainerMetrics
import WireFormat

/// The state file's binary form (version 2): the wire format's varints and strings, and its stats-sample encoding
/// for the watermarks. At fleet scale the file holds every container's last sample; as JSON through Foundation's
/// encoder it took 12 % of the hub's CPU and gigabytes of transient memory at 100 k containers. Hand-written because
/// nothing in the package set encodes a Codable value compactly without such an intermediate tree.
///
/// `magic "DLHS", version u8 = 2, delivered-through (u8 present + zigzag), ledgers (count; collector id as two
/// big-endian u64, epoch, acked-through), containers (count; cluster, engine id, id, name, image, host; watermarks:
/// u8 has-sample + sample, started-at, stdout, stderr, event as zigzags)`.
enum HubStateCodec {
    static let magic: [UInt8] = Array("DLHS".utf8)
    static let version: UInt8 = 2

    static func encode(_ state: HubStateFile) -> [UInt8] {
        var w = ByteWriter(capacity: 64 + state.containers.count * 256)
        w.raw(magic)
        w.u8(version)
        if let d = state.deliveredThrough {
            w.u8(1)
            w.zigzag(d)
        } else {
            w.u8(0)
        }
        w.varint(state.ledgers.count)
        for l in state.ledgers {
            w.u64be(l.key.collector.high)
            w.u64be(l.key.collector.low)
            w.varint(l.key.epoch)
            w.varint(l.ackedThrough)
        }
        w.varint(state.containers.count)
        for c in state.containers {
            w.string(c.key.engine.cluster)
            w.string(c.key.engine.engineID)
            w.string(c.key.id)
            w.string(c.name)
            w.string(c.image)
            w.string(c.host)
            let m = c.watermarks
            if let s = m.stats {
                w.u8(1)
                w.statsSample(s)
            } else {
                w.u8(0)
            }
            w.zigzag(m.startedAt)
            w.zigzag(m.stdout)
            w.zigzag(m.stderr)
            w.zigzag(m.event)
        }
        return w.bytes
    }

    /// Whether `bytes` are this form (rather than version 1's JSON).
    static func isBinary(_ bytes: [UInt8]) -> Bool { bytes.starts(with: magic) }

    /// - Throws: ``WireError`` naming the field and offset where the file stops making sense.
    static func decode(_ bytes: [UInt8]) throws -> HubStateFile {
        try bytes.withUnsafeBytes { (buffer) throws(WireError) -> HubStateFile in
            var r = ByteReader(buffer)
            guard Array(try r.bytes(magic.count, "state file magic")) == magic else { throw .invalidValue(field: "state file magic", offset: 0) }
            let versionOffset = r.position
            guard try r.u8("state file version") == version else { throw .invalidValue(field: "state file version", offset: versionOffset) }
            var delivered: Int64?
            if try r.u8("delivered-through present") == 1 { delivered = try r.zigzag("delivered-through") }
            var ledgers: [HubStateFile.Ledger] = []
            for _ in 0..<(try r.count("ledgers", minItemSize: 18)) {
                let id = CollectorID(high: try r.u64be("collector id"), low: try r.u64be("collector id"))
                let key = LedgerKey(collector: id, epoch: try r.varint("epoch"))
                ledgers.append(HubStateFile.Ledger(key: key, ackedThrough: try r.varint("acked-through")))
            }
            var containers: [HubStateFile.Container] = []
            let n = try r.count("containers", minItemSize: 12)
            containers.reserveCapacity(n)
            for _ in 0..<n {
                let engine = EngineKey(cluster: try r.string("cluster"), engineID: try r.string("engine id"))
                let key = ContainerKey(engine: engine, id: try r.string("container id"))
                let name = try r.string("name")
                let image = try r.string("image")
                let host = try r.string("host")
                var m = Watermarks()
                if try r.u8("has sample") == 1 { m.stats = try r.statsSample() }
                m.startedAt = try r.zigzag("started at")
                m.stdout = try r.zigzag("stdout watermark")
                m.stderr = try r.zigzag("stderr watermark")
                m.event = try r.zigzag("event watermark")
                containers.append(HubStateFile.Container(key: key, name: name, image: image, host: host, watermarks: m))
            }
            guard r.isAtEnd else { throw .trailingBytes(count: r.remaining) }
            return HubStateFile(deliveredThrough: delivered, ledgers: ledgers, containers: containers)
        }
    }
}
