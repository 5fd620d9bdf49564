import ContainerMetrics
import Librato
import WireFormat

/// How far the submission of the oldest undelivered period got: whether its head (roll-ups and the hub's own
/// metrics) was accepted, and the containers whose measurements were — with the watermarks their data reached.
///
/// The state file is written once a period is delivered completely; a hub that dies in the middle of a period would,
/// without this, post the part already accepted a second time when the collectors replay the period. At fleet scale a
/// period takes tens of seconds to submit, so a crash often lands in one. With this journal a restarted hub treats the
/// replayed data of the delivered containers as already seen (their watermarks) and leaves out the head's delivered
/// series. The flusher sends a period one request per part, cut on container boundaries, and journals each part the
/// moment its request is accepted, so what can still be posted twice is the requests in flight at the instant of the
/// crash that Librato had stored (Librato has no idempotency key: docs/librato-api.md §7).
package struct DeliveryProgress: Equatable, Sendable {
    package var periodStart: Int64
    /// The whole head (a record written by a hub that journalled the head as one part).
    package var headDelivered = false
    /// The head's series (``DeliveryProgress/seriesHash(_:)``) in requests that were accepted.
    package var headSeries: Set<UInt64> = []
    package var containers: [HubStateFile.Container] = []

    package init(periodStart: Int64, headDelivered: Bool = false, headSeries: Set<UInt64> = [], containers: [HubStateFile.Container] = []) {
        self.periodStart = periodStart
        self.headDelivered = headDelivered
        self.headSeries = headSeries
        self.containers = containers
    }

    /// What of the head is delivered: the head a restarted hub builds again keeps only what this does not cover.
    package var head: HeadProgress { HeadProgress(all: headDelivered, series: headSeries) }

    /// A series' identity within a period's head — its name, source and tags (the head has one measurement per
    /// series), independent of the tags' order: FNV-1a over each part, the tags' hashes added. Hand-written because
    /// `Hasher` is seeded per process and this must match across a restart.
    package static func seriesHash(_ m: Measurement) -> UInt64 {
        var h = fnv(m.name.utf8, fnv([0], 0xcbf2_9ce4_8422_2325))
        if let source = m.source { h = fnv(source.utf8, fnv([1], h)) }
        var tags: UInt64 = 0
        for (k, v) in m.tags { tags &+= fnv(v.utf8, fnv([0], fnv(k.utf8, 0xcbf2_9ce4_8422_2325))) }
        return h ^ (tags &* 0x9E37_79B9_7F4A_7C15)
    }

    private static func fnv(_ bytes: some Sequence<UInt8>, _ seed: UInt64) -> UInt64 {
        var h = seed
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}

/// What of a period's head (roll-ups, the hub's own metrics) a previous run of the hub delivered.
package struct HeadProgress: Equatable, Sendable {
    package var all = false
    package var series: Set<UInt64> = []

    package init(all: Bool = false, series: Set<UInt64> = []) {
        self.all = all
        self.series = series
    }

    /// Whether `m` still has to be sent.
    package func keeps(_ m: Measurement) -> Bool { !all && (series.isEmpty || !series.contains(DeliveryProgress.seriesHash(m))) }
}

/// `STATE_DIR/hub-progress.bin`: `magic "DLHP", version u8 = 1, period start (zigzag)`, then records appended as
/// parts of the period are accepted: `u8 1` (the whole head: written by earlier versions), `u8 2, count, containers`
/// (each as in the state file, ``HubStateCodec``), or `u8 3, count, u64 series hashes` (part of the head). Appended,
/// never rewritten: a crash can leave a torn last record, which is ignored.
enum DeliveryProgressCodec {
    static let magic: [UInt8] = Array("DLHP".utf8)
    static let version: UInt8 = 1
    static let headRecord: UInt8 = 1
    static let containersRecord: UInt8 = 2
    static let headSeriesRecord: UInt8 = 3

    static func header(periodStart: Int64) -> [UInt8] {
        var w = ByteWriter(capacity: 16)
        w.raw(magic)
        w.u8(version)
        w.zigzag(periodStart)
        return w.bytes
    }

    static func head() -> [UInt8] { [headRecord] }

    static func headSeries(_ series: [UInt64]) -> [UInt8] {
        var w = ByteWriter(capacity: 8 + series.count * 8)
        w.u8(headSeriesRecord)
        w.varint(series.count)
        for h in series { w.u64be(h) }
        return w.bytes
    }

    static func containers(_ containers: [HubStateFile.Container]) -> [UInt8] {
        var w = ByteWriter(capacity: 8 + containers.count * 256)
        w.u8(containersRecord)
        w.varint(containers.count)
        for c in containers { HubStateCodec.encode(c, into: &w) }
        return w.bytes
    }

    /// The journal's content, or nil when `bytes` do not start with a valid header. Records after the first one
    /// that does not parse (a write torn by a crash) are ignored.
    static func decode(_ bytes: [UInt8]) -> DeliveryProgress? {
        bytes.withUnsafeBytes { buffer -> DeliveryProgress? in
            var r = ByteReader(buffer)
            guard (try? r.bytes(magic.count, "progress magic")).map(Array.init) == magic,
                (try? r.u8("progress version")) == version,
                let start = try? r.zigzag("period start")
            else { return nil }
            var progress = DeliveryProgress(periodStart: start)
            while !r.isAtEnd {
                var attempt = r
                guard let record = try? readRecord(&attempt) else { break }
                r = attempt
                switch record {
                case .head: progress.headDelivered = true
                case .containers(let cs): progress.containers += cs
                case .headSeries(let hs): progress.headSeries.formUnion(hs)
                }
            }
            return progress
        }
    }

    private enum Record {
        case head
        case containers([HubStateFile.Container])
        case headSeries([UInt64])
    }

    private static func readRecord(_ r: inout ByteReader) throws(WireError) -> Record {
        let offset = r.position
        switch try r.u8("progress record") {
        case headRecord:
            return .head
        case containersRecord:
            var out: [HubStateFile.Container] = []
            for _ in 0..<(try r.count("progress containers", minItemSize: 12)) { out.append(try HubStateCodec.decodeContainer(&r)) }
            return .containers(out)
        case headSeriesRecord:
            var out: [UInt64] = []
            for _ in 0..<(try r.count("progress head series", minItemSize: 8)) { out.append(try r.u64be("head series")) }
            return .headSeries(out)
        default:
            throw .invalidValue(field: "progress record", offset: offset)
        }
    }
}
