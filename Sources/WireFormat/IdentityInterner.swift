import ContainerMetrics
import Synchronization

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

    private var entries: [Key: Entry] = [:]
    /// Most identities kept; 0 disables interning.
    public let capacity: Int

    public init(capacity: Int) {
        self.capacity = capacity
    }

    public var count: Int { entries.count }

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
        let key = Key(fingerprint: fingerprint64(payload))
        if let entry = entries[key], Self.equal(entry.bytes, payload) { return (entry.identity, entry.token) }
        let identity = try decode()
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        let token = Self.lastToken.wrappingAdd(1, ordering: .relaxed).newValue
        entries[key] = Entry(bytes: Array(payload), identity: identity, token: token)
        return (identity, token)
    }

    /// Byte equality, eight bytes at a time (the generic `elementsEqual` is several times slower here).
    static func equal(_ a: [UInt8], _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { a in
            var i = 0
            while i + 8 <= a.count {
                if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
                i += 8
            }
            while i < a.count {
                if a[i] != b[i] { return false }
                i += 1
            }
            return true
        }
    }
}
