import ContainerMetrics
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Container identities already decoded, by the exact bytes of their record.
///
/// Every frame carries the identity (id, name, image, labels) of each container it has data for, so that frames stay
/// self-contained through loss and retransmission. Decoding that identity again for every sample (UTF-8 validation,
/// string and dictionary allocations) was the hub's largest ingest cost; a record whose bytes equal one already
/// decoded decodes to the same value, so the decoded value is reused. The result is the same ``ContainerIdentity``
/// either way (and the hub's identity comparisons hit the identical-storage fast path). Bounded: the table is
/// emptied when it holds `capacity` identities.
///
/// Each kept identity also has a token, unique in the process (never reused, whichever interner issued it): equal
/// tokens mean byte-identical records, so the hub can tell that a container's identity did not change, and find
/// its slot, without comparing or hashing the identity (``OpenedFrame/identityTokens``).
public struct IdentityInterner {
    private struct Entry {
        var bytes: [UInt8]
        var identity: ContainerIdentity
        var token: UInt64
    }

    /// The last token issued in this process.
    private static let lastToken = Atomic<UInt64>(0)

    /// A fingerprint as a dictionary key: it is already a well-mixed 64-bit hash, so the table uses it as it is
    /// (``_rawHashValue(seed:)``) instead of running SipHash over it per container per frame.
    private struct Key: Hashable {
        var fingerprint: UInt64
        func _rawHashValue(seed: Int) -> Int { Int(truncatingIfNeeded: fingerprint) ^ seed }
    }

    /// Kept identities, and where each is in ``kept`` by fingerprint. Split so that a lookup copies (retains) only
    /// the identity it returns: reading an `Entry` out of a dictionary copied the entry and then the identity again.
    private var slots: [Key: Int32] = [:]
    private var kept: [Entry] = []
    /// A frame's leading run of container records (the collector's encoder writes every container record before the
    /// others), kept whole with its decoded identities and tokens, by the run's fingerprint.
    private struct Run {
        var bytes: [UInt8]
        var identities: [ContainerIdentity]
        var tokens: [UInt64]
    }
    /// Runs kept: a collector's frames list the same containers frame after frame, so the next frame's run is most
    /// often byte-identical to one seen before. One comparison over the whole run, front to back, replaces a
    /// fingerprint, a table lookup and a comparison per record against bytes far apart in memory: those were a sixth
    /// of the hub's ingest time with a few thousand containers (cache misses; BENCHMARKS.md, "Hub ingest").
    private var runs: [Key: Run] = [:]
    /// Identities the kept runs hold together, bounded by ``capacity`` as ``kept`` is; and their bytes, bounded by
    /// ``capacity`` KiB (records are ~150–300 bytes; a fleet with many long labels keeps fewer runs, not more memory).
    private var runIdentities = 0
    private var runBytes = 0
    /// Frames whose run was found kept (for tests).
    private(set) var runsReused = 0
    /// Most identities kept; 0 disables interning.
    public let capacity: Int

    public init(capacity: Int) {
        self.capacity = capacity
    }

    public var count: Int { kept.count }

    /// The identity whose record payload is `payload`: a kept one when the bytes match exactly, else `decode()`'s.
    mutating func identity(
        for payload: UnsafeRawBufferPointer, decode: () throws(WireError) -> ContainerIdentity
    ) throws(WireError) -> ContainerIdentity {
        try interned(for: payload, decode: decode).identity
    }

    /// ``identity(for:decode:)`` and the kept identity's token (0 when interning is disabled).
    mutating func interned(
        for payload: UnsafeRawBufferPointer, decode: () throws(WireError) -> ContainerIdentity
    ) throws(WireError) -> (identity: ContainerIdentity, token: UInt64) {
        guard capacity > 0 else { return (try decode(), 0) }
        // A fast fingerprint, not SipHash: the bytes are compared in full before a kept identity is reused, and the
        // frame was authenticated before it got here; a collision only costs a decode.
        let key = Key(fingerprint: Self.fingerprint(payload))
        if let slot = slots[key], Self.equal(kept[Int(slot)].bytes, payload) { return (kept[Int(slot)].identity, kept[Int(slot)].token) }
        let identity = try decode()
        let token = Self.lastToken.wrappingAdd(1, ordering: .relaxed).newValue
        let entry = Entry(bytes: Array(payload), identity: identity, token: token)
        if let slot = slots[key] {
            // A fingerprint collision or a changed record under the same fingerprint: the newer one is kept.
            kept[Int(slot)] = entry
        } else {
            if kept.count >= capacity {
                slots.removeAll(keepingCapacity: true)
                kept.removeAll(keepingCapacity: true)
            }
            slots[key] = Int32(kept.count)
            kept.append(entry)
        }
        return (identity, token)
    }

    /// The identities and tokens of a run of container records (`bytes`: the records, headers included) kept by
    /// ``keepRun(_:identities:tokens:)``, when its bytes are exactly those; nil otherwise.
    mutating func run(_ bytes: UnsafeRawBufferPointer) -> (identities: [ContainerIdentity], tokens: [UInt64])? {
        guard capacity > 0, !runs.isEmpty, let run = runs[Key(fingerprint: Self.fingerprint(bytes))], Self.equal(run.bytes, bytes) else {
            return nil
        }
        runsReused += 1
        return (run.identities, run.tokens)
    }

    /// Keeps a run of container records just decoded record by record (see ``run(_:)``). A run under the same
    /// fingerprint (the same first container, a changed record further on) is replaced.
    mutating func keepRun(_ bytes: UnsafeRawBufferPointer, identities: [ContainerIdentity], tokens: [UInt64]) {
        let maxBytes = capacity * 1024
        guard capacity > 0, identities.count == tokens.count, identities.count <= capacity, bytes.count <= maxBytes else { return }
        let key = Key(fingerprint: Self.fingerprint(bytes))
        if let old = runs.removeValue(forKey: key) {
            runIdentities -= old.identities.count
            runBytes -= old.bytes.count
        }
        if runIdentities + identities.count > capacity || runBytes + bytes.count > maxBytes {
            runs.removeAll(keepingCapacity: true)
            runIdentities = 0
            runBytes = 0
        }
        runs[key] = Run(bytes: Array(bytes), identities: identities, tokens: tokens)
        runIdentities += identities.count
        runBytes += bytes.count
    }

    /// Identities the kept runs hold (for tests).
    var runIdentityCount: Int { runIdentities }

    /// The table key: the length and the first 80 bytes, which hold the 64-hex container id (a record starts with
    /// it). It only has to find the candidate — `equal` compares every byte before a kept identity is reused — and
    /// fingerprinting whole records (~190 bytes each) was 3 % of the hub's ingest. A container's changed record (a
    /// rename) lands on the same key and replaces the kept one.
    static func fingerprint(_ payload: UnsafeRawBufferPointer) -> UInt64 {
        let head = UnsafeRawBufferPointer(rebasing: payload.prefix(80))
        return fingerprint64(head) ^ (UInt64(payload.count) &* 0x9E37_79B9_7F4A_7C15)
    }

    /// Byte equality by libc's `memcmp` (vectorised: the Swift loop eight bytes at a time took ~1.5 instructions per
    /// byte, a tenth of a sample's ingest).
    static func equal(_ a: [UInt8], _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard let bBase = b.baseAddress else { return a.isEmpty }
        return a.withUnsafeBytes { a in memcmp(a.baseAddress!, bBase, a.count) == 0 }
    }
}
