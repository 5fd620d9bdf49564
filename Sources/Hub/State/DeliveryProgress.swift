import ContainerMetrics
import WireFormat

/// How far the submission of the oldest undelivered period got: whether its head (roll-ups and the hub's own
/// metrics) was accepted, and the containers whose measurements were — with the watermarks their data reached.
///
/// The state file is written once a period is delivered completely; a hub that dies in the middle of a period would,
/// without this, post the part already accepted a second time when the collectors replay the period. At fleet scale a
/// period takes a minute or more to submit, so a crash almost always lands in one. With this journal a restarted hub
/// treats the replayed data of the delivered containers as already seen (their watermarks) and leaves out the head;
/// what can still be posted twice is at most one slice's requests in flight at the instant of the crash (Librato has
/// no idempotency key: docs/librato-api.md §7).
package struct DeliveryProgress: Equatable, Sendable {
    package var periodStart: Int64
    package var headDelivered = false
    package var containers: [HubStateFile.Container] = []

    package init(periodStart: Int64, headDelivered: Bool = false, containers: [HubStateFile.Container] = []) {
        self.periodStart = periodStart
        self.headDelivered = headDelivered
        self.containers = containers
    }
}

/// `STATE_DIR/hub-progress.bin`: `magic "DLHP", version u8 = 1, period start (zigzag)`, then records appended as
/// parts of the period are accepted: `u8 1` (the head), or `u8 2, count, containers` (each as in the state file,
/// ``HubStateCodec``). Appended, never rewritten: a crash can leave a torn last record, which is ignored.
enum DeliveryProgressCodec {
    static let magic: [UInt8] = Array("DLHP".utf8)
    static let version: UInt8 = 1
    static let headRecord: UInt8 = 1
    static let containersRecord: UInt8 = 2

    static func header(periodStart: Int64) -> [UInt8] {
        var w = ByteWriter(capacity: 16)
        w.raw(magic)
        w.u8(version)
        w.zigzag(periodStart)
        return w.bytes
    }

    static func head() -> [UInt8] { [headRecord] }

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
                }
            }
            return progress
        }
    }

    private enum Record {
        case head
        case containers([HubStateFile.Container])
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
        default:
            throw .invalidValue(field: "progress record", offset: offset)
        }
    }
}
