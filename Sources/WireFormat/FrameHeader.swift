/// A collector's identity: 16 random bytes chosen on first start and kept in its state directory.
public struct CollectorID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The all-zero id: the broadcast topic on the hub's acknowledgement socket.
    public static let broadcast = CollectorID(high: 0, low: 0)

    public static func random() -> CollectorID {
        var rng = SystemRandomNumberGenerator()
        return CollectorID(high: rng.next(), low: rng.next() | 1)
    }

    /// Parses 32 hex digits (dashes allowed, as in a UUID).
    public init?(hex: String) {
        let digits = hex.filter { $0 != "-" }
        guard digits.count == 32, let h = UInt64(digits.prefix(16), radix: 16), let l = UInt64(digits.suffix(16), radix: 16) else {
            return nil
        }
        self.init(high: h, low: l)
    }

    /// 16 bytes, big-endian.
    public var bytes: [UInt8] {
        var w = ByteWriter(capacity: 16)
        w.u64be(high)
        w.u64be(low)
        return w.bytes
    }

    public var description: String {
        let h = String(high, radix: 16)
        let l = String(low, radix: 16)
        return String(repeating: "0", count: 16 - h.count) + h + String(repeating: "0", count: 16 - l.count) + l
    }

    public static func < (a: CollectorID, b: CollectorID) -> Bool { (a.high, a.low) < (b.high, b.low) }
}

/// The authenticated, unencrypted front of every frame.
///
/// Layout (docs/wire-format.md): magic `D1 1B`, version, type, flags, collector id (16), epoch (u64 BE),
/// sequence (u64 BE), acked-through (u64 BE), send time (i64 BE, Unix ms), nonce (12), then engine id, cluster and
/// host as one-byte-length UTF-8 strings. The whole header is the AEAD's associated data.
public struct FrameHeader: Equatable, Sendable {
    public static let magic: (UInt8, UInt8) = (0xD1, 0x1B)
    /// 2: acknowledgements travel on REQ/REP (kind ``Kind/request`` and refusals) instead of PUB/SUB.
    /// 3: bodies sealed with AES-256-GCM instead of ChaCha20-Poly1305 (see ``FrameSealer``).
    public static let currentVersion: UInt8 = 3
    /// Versions a frame may have and still open: 2 differs from 3 only in its AEAD, so a hub upgraded first still
    /// reads (and answers, in their version) collectors not yet upgraded, and what they spooled before.
    public static let readableVersions: ClosedRange<UInt8> = 2...3
    /// Fixed part (65 bytes) + three empty strings + the 16-byte tag.
    public static let minimumLength = 65 + 3 + 16
    public static let nonceLength = 12

    public enum Kind: UInt8, Sendable {
        /// Collector → hub: samples, log buckets, events, heartbeats.
        case data = 1
        /// Hub → collector: acknowledgements and control, the reply to a ``request``.
        case control = 2
        /// Collector → hub on the control connection: "what is my ack?" (the hub answers with a ``control`` frame,
        /// or a ``ControlRefusal`` when it cannot open the request). A separate kind, so that a reply can never be
        /// played back to the hub as a request.
        case request = 3
    }

    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// Sealed with the null key: integrity against corruption only, no authenticity (no CLUSTER_KEY configured).
        public static let unkeyed = Flags(rawValue: 1)
    }

    public var version: UInt8
    public var kind: Kind
    public var flags: Flags
    /// For data frames and requests the sender; for control frames the collector addressed.
    public var collectorID: CollectorID
    /// Changes when a collector starts without its state: sequences restart at 1 in a new epoch.
    public var epoch: UInt64
    /// Per (collector, epoch), starting at 1, +1 per data frame; retransmissions keep their sequence.
    public var sequence: UInt64
    /// The highest sequence the sender knew to be acknowledged when it built the frame (0: none). A hub that lost
    /// its state learns from it where the collector's unacknowledged frames begin; retransmissions carry their
    /// original (older, lower) value, so a hub keeps the highest it has seen.
    public var ackedThrough: UInt64
    /// Unix milliseconds when the frame was first built.
    public var sendTime: Int64
    /// The Docker engine's `ID` from `/info` (several collectors on one engine share it).
    public var engineID: String
    /// `CLUSTER_NAME`.
    public var cluster: String
    /// The Docker host's name (`/info` `Name`).
    public var host: String

    public init(
        kind: Kind = .data, flags: Flags = [], collectorID: CollectorID, epoch: UInt64, sequence: UInt64, ackedThrough: UInt64 = 0,
        sendTime: Int64, engineID: String, cluster: String, host: String, version: UInt8 = FrameHeader.currentVersion
    ) {
        self.version = version
        self.kind = kind
        self.flags = flags
        self.collectorID = collectorID
        self.epoch = epoch
        self.sequence = sequence
        self.ackedThrough = ackedThrough
        self.sendTime = sendTime
        self.engineID = engineID
        self.cluster = cluster
        self.host = host
    }

    /// Appends the header with `nonce` to `w`.
    func encode(into w: inout ByteWriter, nonce: [UInt8]) {
        w.u8(Self.magic.0)
        w.u8(Self.magic.1)
        w.u8(version)
        w.u8(kind.rawValue)
        w.u8(flags.rawValue)
        w.u64be(collectorID.high)
        w.u64be(collectorID.low)
        w.u64be(epoch)
        w.u64be(sequence)
        w.u64be(ackedThrough)
        w.u64be(UInt64(bitPattern: sendTime))
        w.raw(nonce)
        w.shortString(engineID)
        w.shortString(cluster)
        w.shortString(host)
    }

    /// Reads a header; returns it with its nonce. Checks magic and version first so that a frame from a newer
    /// collector gets a clear "unsupported version" rather than a seal failure.
    static func decode(_ r: inout ByteReader) throws(WireError) -> (FrameHeader, nonce: UnsafeRawBufferPointer) {
        var names = HeaderNames(capacity: 0)
        return try decode(&r, names: &names)
    }

    /// ``decode(_:)``, reusing the names `names` holds when their bytes are the same.
    static func decode(_ r: inout ByteReader, names: inout HeaderNames) throws(WireError) -> (FrameHeader, nonce: UnsafeRawBufferPointer) {
        guard r.remaining >= 3 else { throw .tooShort(length: r.remaining) }
        let m0 = try r.u8("magic")
        let m1 = try r.u8("magic")
        guard m0 == magic.0, m1 == magic.1 else { throw .badMagic }
        let version = try r.u8("version")
        guard readableVersions.contains(version) else { throw .unsupportedVersion(version) }
        guard r.remaining + 3 >= minimumLength else { throw .tooShort(length: r.remaining + 3) }
        let rawKind = try r.u8("frame type")
        guard let kind = Kind(rawValue: rawKind) else { throw .unknownFrameType(rawKind) }
        let flags = Flags(rawValue: try r.u8("flags"))
        guard flags.rawValue & ~Flags.unkeyed.rawValue == 0 else { throw .invalidValue(field: "flags", offset: 4) }
        let id = CollectorID(high: try r.u64be("collector id"), low: try r.u64be("collector id"))
        let epoch = try r.u64be("epoch")
        let sequence = try r.u64be("sequence")
        let acked = try r.u64be("acked through")
        let sendTime = Int64(bitPattern: try r.u64be("send time"))
        let nonce = try r.bytes(nonceLength, "nonce")
        // The three names' bytes first (lengths and bounds), then their strings, decoded or reused.
        let namesStart = r.position
        var n = r
        for field: StaticString in ["engine id", "cluster name", "host name"] { try n.skip(Int(try n.u8(field)), field) }
        let namesBytes = try r.bytes(n.offset - r.offset, "names")
        let (engine, cluster, host) = try names.names(for: namesBytes) { () throws(WireError) in
            var m = ByteReader(namesBytes, base: namesStart)
            return (try m.shortString("engine id"), try m.shortString("cluster name"), try m.shortString("host name"))
        }
        let header = FrameHeader(
            kind: kind, flags: flags, collectorID: id, epoch: epoch, sequence: sequence, ackedThrough: acked, sendTime: sendTime, engineID: engine,
            cluster: cluster, host: host, version: version)
        return (header, nonce)
    }
}
