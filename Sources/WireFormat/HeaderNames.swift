import ContainerMetrics

/// The engine id, cluster and host of headers already decoded, by the exact bytes that carry them.
///
/// A collector sends the same three names in every frame; checking and copying them into strings again (a heap
/// string for the engine id's 47 bytes) cost ~1,900 instructions per frame — ~190 per sample, 1.6 % of ingest, in the
/// 10-sample frames a collector sends at fleet scale. Direct-mapped by a fingerprint of the bytes; every byte is
/// compared before names are reused, so a collision or an eviction only costs a decode.
struct HeaderNames {
    private struct Entry {
        var bytes: [UInt8]
        var engineID: String
        var cluster: String
        var host: String
    }

    private var slots: [Entry?]

    /// `capacity` slots (rounded up to a power of two; 0 disables the cache).
    init(capacity: Int) {
        slots = capacity > 0 ? Array(repeating: nil, count: 1 << (Int.bitWidth - (capacity - 1).leadingZeroBitCount)) : []
    }

    /// The names `bytes` (three one-byte-length strings, already bounds-checked) carry: kept ones when the bytes match,
    /// else `decode()`'s, which are then kept.
    mutating func names(
        for bytes: UnsafeRawBufferPointer, decode: () throws(WireError) -> (String, String, String)
    ) throws(WireError) -> (engineID: String, cluster: String, host: String) {
        guard !slots.isEmpty else { return try decode() }
        let slot = Int(truncatingIfNeeded: fingerprint64(bytes)) & (slots.count - 1)
        if let e = slots[slot], IdentityInterner.equal(e.bytes, bytes) {
            return (e.engineID, e.cluster, e.host)
        }
        let (engineID, cluster, host) = try decode()
        slots[slot] = Entry(bytes: Array(bytes), engineID: engineID, cluster: cluster, host: host)
        return (engineID, cluster, host)
    }
}
