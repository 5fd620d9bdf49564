/// A fast 64-bit fingerprint of bytes (eight at a time, multiply-xorshift mixing) for hot-path tables whose keys
/// are then compared in full: not cryptographic, and not meant for untrusted keys without that full comparison.
/// SipHash (`Hasher`) over every container id and identity record was a fifth of the hub's ingest cost.
@inlinable
public func fingerprint64(_ p: UnsafeRawBufferPointer) -> UInt64 {
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(p.count)
    var i = 0
    while i + 8 <= p.count {
        h = (h ^ p.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 29
        i += 8
    }
    var tail: UInt64 = 0
    var shift: UInt64 = 0
    while i < p.count {
        tail |= UInt64(p[i]) << shift
        shift += 8
        i += 1
    }
    h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
    return h ^ (h >> 32)
}
