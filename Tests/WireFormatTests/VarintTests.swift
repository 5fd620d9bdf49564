import Testing
import WireFormat

/// ``ByteReader/varint(_:)`` reads a varint of up to eight bytes from one 64-bit load when eight bytes remain, and
/// byte by byte otherwise: both paths, at every length boundary, must agree with ``ByteWriter/varint(_:)``.
@Suite("wire format: varints")
struct VarintTests {
    /// 0, and 2^(7k) − 1 and 2^(7k) for every byte length, up to UInt64.max (ten bytes).
    static let values: [UInt64] = {
        var values: [UInt64] = [0, 1, 0x7E]
        for k in 1...9 {
            let boundary: UInt64 = 1 << UInt64(7 * k)
            values += [boundary - 1, boundary, boundary + 1]
        }
        return values + [1 << 63, UInt64.max - 1, UInt64.max, 0x0123_4567_89AB_CDEF]
    }()

    @Test(arguments: [0, 1, 7, 16])
    func everyLengthReadsBackWithAnyTrailingBytes(trailing: Int) throws {
        var w = ByteWriter()
        for v in Self.values { w.varint(v) }
        // Trailing 0xFF bytes: a reader that ran past a varint's end would take them as continuation bytes.
        let bytes = w.bytes + [UInt8](repeating: 0xFF, count: trailing)
        let read = try bytes.withUnsafeBytes { buffer in
            var r = ByteReader(buffer)
            var out: [UInt64] = []
            for _ in Self.values { out.append(try r.varint("value")) }
            #expect(r.remaining == trailing)
            return out
        }
        #expect(read == Self.values)
    }

    @Test func eachValueAloneAtTheEndOfItsBuffer() throws {
        for v in Self.values {
            var w = ByteWriter()
            w.varint(v)
            let read = try w.bytes.withUnsafeBytes { buffer in
                var r = ByteReader(buffer)
                defer { #expect(r.isAtEnd, "\(v)") }
                return try r.varint("value")
            }
            #expect(read == v)
        }
    }

    @Test func aTruncatedVarintIsAnErrorOnBothPaths() {
        // Eight continuation bytes then the end (the load path sees no stop bit); and two alone (the byte path).
        for bytes in [[UInt8](repeating: 0x80, count: 8), [0x80, 0x80]] {
            #expect(throws: WireError.self) {
                try bytes.withUnsafeBytes { buffer in
                    var r = ByteReader(buffer)
                    _ = try r.varint("value")
                }
            }
        }
    }
}
