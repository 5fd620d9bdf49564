/// Reads the wire format's primitives with a bounds check on every access.
///
/// Every length and count is checked against what remains before anything is allocated, so a hostile frame can
/// make the decoder allocate at most about as much as the frame's own size.
public struct ByteReader {
    let buffer: UnsafeRawBufferPointer
    /// Offset of the next byte, relative to ``base``.
    public private(set) var offset: Int
    /// Added to offsets in error messages (the position of this buffer inside the whole frame).
    let base: Int

    public init(_ buffer: UnsafeRawBufferPointer, base: Int = 0) {
        self.buffer = buffer
        self.offset = 0
        self.base = base
    }

    public var remaining: Int { buffer.count - offset }
    public var isAtEnd: Bool { offset >= buffer.count }
    public var position: Int { base + offset }


    public mutating func u8(_ field: StaticString) throws(WireError) -> UInt8 {
        guard offset < buffer.count else { throw .truncated(field: "\(field)", offset: base + offset) }
        let v = buffer[offset]
        offset += 1
        return v
    }

    public mutating func u64be(_ field: StaticString) throws(WireError) -> UInt64 {
        guard remaining >= 8 else { throw .truncated(field: "\(field)", offset: base + offset) }
        let v = UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        offset += 8
        return v
    }

    public mutating func bytes(_ count: Int, _ field: StaticString) throws(WireError) -> UnsafeRawBufferPointer {
        guard count >= 0, remaining >= count else { throw .truncated(field: "\(field)", offset: base + offset) }
        let slice = UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + count)])
        offset += count
        return slice
    }


    @inline(__always)
    public mutating func varint(_ field: StaticString) throws(WireError) -> UInt64 {
        // Fast path: one byte (small values), with a single bounds check.
        if offset < buffer.count {
            let byte = buffer[offset]
            if byte < 0x80 {
                offset += 1
                return UInt64(byte)
            }
            // Up to eight bytes (values below 2^56: every counter but the host's CPU time after years) from one
            // 64-bit load, without a loop: most of a stats record is such counters, and the byte-at-a-time loop
            // was the largest part of decoding one.
            if buffer.count - offset >= 8 {
                let word = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                let stops = ~word & 0x8080_8080_8080_8080
                if stops != 0 {
                    let length = (stops.trailingZeroBitCount + 1) >> 3
                    var x = length == 8 ? word : word & ((1 << UInt64(length << 3)) &- 1)
                    x &= 0x7F7F_7F7F_7F7F_7F7F
                    // Packs the 7-bit groups: pairs into 14 bits, then 28, then 56.
                    x = (x & 0x007F_007F_007F_007F) | ((x & 0x7F00_7F00_7F00_7F00) >> 1)
                    x = (x & 0x0000_3FFF_0000_3FFF) | ((x & 0x3FFF_0000_3FFF_0000) >> 2)
                    x = (x & 0x0000_0000_0FFF_FFFF) | ((x & 0x0FFF_FFFF_0000_0000) >> 4)
                    offset += length
                    return x
                }
            }
        }
        return try varintSlow(field)
    }

    @inline(never)
    mutating func varintSlow(_ field: StaticString) throws(WireError) -> UInt64 {
        // With ten bytes left a varint cannot run past the end: decode without per-byte bounds checks (large
        // counters take 4–8 bytes, and most of a stats record is such counters).
        if buffer.count - offset >= 10 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            var i = offset
            while shift < 63 {
                let byte = buffer[i]
                i += 1
                result |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 {
                    offset = i
                    return result
                }
                shift += 7
            }
            // The tenth byte: only its lowest bit fits.
            let byte = buffer[i]
            guard byte <= 1 else { throw .invalidValue(field: "\(field) (varint overflow)", offset: base + i) }
            offset = i + 1
            return result | UInt64(byte) << 63
        }
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < buffer.count else { throw .truncated(field: "\(field)", offset: base + offset) }
            let byte = buffer[offset]
            offset += 1
            if shift == 63 && byte > 1 { throw .invalidValue(field: "\(field) (varint overflow)", offset: base + offset - 1) }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
            if shift > 63 { throw .invalidValue(field: "\(field) (varint too long)", offset: base + offset - 1) }
        }
    }

    public mutating func zigzag(_ field: StaticString) throws(WireError) -> Int64 {
        let u = try varint(field)
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    /// A count of items each at least `minItemSize` bytes long, checked against what remains.
    @inline(__always)  // three per sample (two record lengths, the interfaces): a call each showed in the profile
    public mutating func count(_ field: StaticString, minItemSize: Int = 1) throws(WireError) -> Int {
        let start = position
        let n = try varint(field)
        // Checked by a multiplication; the division is computed only for the error message (two counts per sample
        // made the division show).
        let size = max(minItemSize, 1)
        let bytes = n.multipliedReportingOverflow(by: UInt64(size))
        guard !bytes.overflow, bytes.partialValue <= UInt64(remaining) else { throw oversize(field, n, size, start) }
        return Int(n)
    }

    @inline(never)
    func oversize(_ field: StaticString, _ n: UInt64, _ size: Int, _ start: Int) -> WireError {
        .oversize(field: "\(field) at byte \(start)", length: Int(clamping: n), limit: remaining / size)
    }

    public mutating func u32(_ field: StaticString) throws(WireError) -> UInt32 {
        let start = position
        let v = try varint(field)
        guard v <= UInt64(UInt32.max) else { throw .invalidValue(field: "\(field)", offset: start) }
        return UInt32(v)
    }

    public mutating func double(_ field: StaticString) throws(WireError) -> Double {
        guard remaining >= 8 else { throw .truncated(field: "\(field)", offset: base + offset) }
        var bits: UInt64 = 0
        for i in 0..<8 { bits |= UInt64(buffer[offset + i]) << (8 * UInt64(i)) }
        offset += 8
        return Double(bitPattern: bits)
    }

    /// A varint-length UTF-8 string of at most `maxLength` bytes.
    public mutating func string(_ field: StaticString, maxLength: Int = 65_535) throws(WireError) -> String {
        let start = position
        let n = try varint(field)
        guard n <= UInt64(maxLength) else { throw .oversize(field: "\(field) at byte \(start)", length: Int(clamping: n), limit: maxLength) }
        let raw = try bytes(Int(n), field)
        // ASCII (interface names, most ids) is valid UTF-8 as it is; full validation is several times slower.
        if raw.allSatisfy({ $0 < 0x80 }) { return String(decoding: raw, as: UTF8.self) }
        guard let s = String(validating: raw, as: UTF8.self) else { throw .invalidUTF8(field: "\(field)", offset: start) }
        return s
    }

    /// A one-byte-length UTF-8 string (header fields).
    public mutating func shortString(_ field: StaticString) throws(WireError) -> String {
        let start = position
        let n = try u8(field)
        let raw = try bytes(Int(n), field)
        guard let s = String(validating: raw, as: UTF8.self) else { throw .invalidUTF8(field: "\(field)", offset: start) }
        return s
    }

    /// Moves past `count` bytes (an unknown record's payload).
    public mutating func skip(_ count: Int, _ field: StaticString) throws(WireError) {
        _ = try bytes(count, field)
    }

    /// An interface name: the last one decoded when the bytes are the same (up to 8 bytes, compared as one word),
    /// else a new string. Making a `String` (checking and copying the bytes) per sample was 1.7 % of the hub's ingest instructions.
    mutating func interfaceName(_ names: inout InterfaceNames) throws(WireError) -> String {
        let start = offset
        let n = try varint("interface name")
        if n <= 8, remaining >= 8 {
            let word = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) & (n == 8 ? ~0 : (1 << (n << 3)) &- 1)
            if n == names.length, word == names.word, let name = names.name {
                offset += Int(n)
                return name
            }
            offset = start
            let name = try string("interface name", maxLength: 255)
            names = InterfaceNames(word: word, length: n, name: name)
            return name
        }
        offset = start
        return try string("interface name", maxLength: 255)
    }
}

/// The last short interface name a decoder read: its bytes as one little-endian word, its length and the string.
struct InterfaceNames {
    var word: UInt64 = 0
    var length: UInt64 = 0
    var name: String?
}
