/// Appends the wire format's primitives to a growing byte array.
///
/// Integers are LEB128 varints (unsigned) or zigzag varints (signed); doubles are 8 little-endian bytes of their
/// IEEE-754 bit pattern (NaN canonicalised); strings are a varint byte length then UTF-8.
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }


    public mutating func u8(_ v: UInt8) { bytes.append(v) }

    public mutating func raw(_ v: some Sequence<UInt8>) { bytes.append(contentsOf: v) }

    /// Fixed-width big-endian, used only in the header (where fixed offsets help tools like tshark).
    public mutating func u64be(_ v: UInt64) {
        withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    public mutating func varint(_ value: Int) { varint(UInt64(value)) }

    public mutating func zigzag(_ value: Int64) {
        varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    public mutating func double(_ value: Double) {
        let bits = value.isNaN ? Double.nan.bitPattern : value.bitPattern
        withUnsafeBytes(of: bits.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// A string with a one-byte length, used in the header. Longer strings are cut at a character boundary.
    public mutating func shortString(_ s: String) {
        let utf8 = Array(s.utf8)
        var n = min(utf8.count, 255)
        while n < utf8.count, n > 0, (utf8[n] & 0xC0) == 0x80 { n -= 1 }
        bytes.append(UInt8(n))
        bytes.append(contentsOf: utf8[..<n])
    }

    /// Reserves room for a length prefix, runs `body`, then writes the body's length as a varint in front of it.
    public mutating func lengthPrefixed(_ body: (inout ByteWriter) -> Void) {
        var inner = ByteWriter(capacity: 64)
        body(&inner)
        varint(UInt64(inner.bytes.count))
        bytes.append(contentsOf: inner.bytes)
    }
}
