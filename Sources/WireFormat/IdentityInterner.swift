import ContainerMetrics

/// Container identities already decoded, by the exact bytes of their record.
///
/// Every frame carries the identity (id, name, image, labels) of each container it has data for, so that frames stay
/// self-contained through loss and retransmission. Decoding that identity again for every sample (UTF-8 validation,
/// string and dictionary allocations) was the hub's largest ingest cost; a record whose bytes equal one already
/// decoded decodes to the same value, so the decoded value is reused. The result is the same ``ContainerIdentity``
/// either way (and the hub's identity comparisons hit the identical-storage fast path). Bounded: the table is
/// emptied when it holds `capacity` identities.
public struct IdentityInterner {
    private struct Entry {
        var bytes: [UInt8]
        var identity: ContainerIdentity
    }

    private var entries: [Int: Entry] = [:]
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
        guard capacity > 0 else { return try decode() }
        // A fast fingerprint, not SipHash: the bytes are compared in full before a kept identity is reused, and the
        // frame was authenticated before it got here; a collision only costs a decode.
        let key = Int(Int64(bitPattern: fingerprint64(payload)))
        if let entry = entries[key], Self.equal(entry.bytes, payload) { return entry.identity }
        let identity = try decode()
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[key] = Entry(bytes: Array(payload), identity: identity)
        return identity
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
