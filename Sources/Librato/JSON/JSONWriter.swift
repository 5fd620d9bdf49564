/// Builds compact JSON text into a byte buffer, with a fixed member order so that payloads are byte-for-byte
/// predictable (tests compare them exactly).
public struct JSONWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []
    /// Per open container (bit `depth`): whether the next member or element needs a comma. A bit stack, not an array,
    /// so that a writer allocates nothing but its bytes (the hub writes one per measurement); containers nested
    /// deeper than 63 use `deeper`.
    private var commas: UInt64 = 0
    private var depth = 0
    private var deeper: [Bool] = []
    private var pendingKey = false

    /// An empty writer.
    public init() {}

    /// A writer that appends to `bytes` (pass a buffer it may own: encoding many values into one buffer costs one
    /// allocation instead of one per value). Take the result back with ``takeBytes()``.
    public init(appendingTo bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The bytes written, leaving the writer empty (so that the caller's array is uniquely referenced again).
    public mutating func takeBytes() -> [UInt8] {
        defer { bytes = [] }
        return bytes
    }

    /// The bytes as a String.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    private mutating func separator() {
        if depth < 64 {
            if commas & (1 << depth) != 0 { bytes.append(UInt8(ascii: ",")) }
            commas |= 1 << depth
        } else {
            if deeper[depth - 64] { bytes.append(UInt8(ascii: ",")) }
            deeper[depth - 64] = true
        }
    }

    private mutating func open(_ byte: UInt8) {
        valuePrefix()
        bytes.append(byte)
        depth += 1
        if depth < 64 { commas &= ~(1 << depth) } else { deeper.append(false) }
    }

    private mutating func close(_ byte: UInt8) {
        if depth >= 64 { deeper.removeLast() }
        depth -= 1
        bytes.append(byte)
    }

    /// Writes `{`, the members written by `body`, and `}`.
    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        open(UInt8(ascii: "{"))
        body(&self)
        close(UInt8(ascii: "}"))
    }

    /// Writes `[`, the elements written by `body`, and `]`.
    public mutating func array(_ body: (inout JSONWriter) -> Void) {
        open(UInt8(ascii: "["))
        body(&self)
        close(UInt8(ascii: "]"))
    }

    /// Writes a member name; the next value written is its value.
    public mutating func key(_ k: String) {
        separator()
        Self.appendString(k, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        pendingKey = true
    }

    /// Writes a string value.
    public mutating func string(_ s: String) {
        valuePrefix()
        Self.appendString(s, to: &bytes)
    }

    /// Writes a number (see ``formatNumber(_:)``). The caller makes sure it is finite.
    public mutating func number(_ x: Double) {
        valuePrefix()
        Self.appendNumber(x, to: &bytes)
    }

    /// `x` as ``formatNumber(_:)`` prints it, appended to `out`.
    static func appendNumber(_ x: Double, to out: inout [UInt8]) {
        if isPrintedAsInteger(x) {
            appendDigits(Int64(x), to: &out)
        } else {
            out.append(contentsOf: x.description.utf8)
        }
    }

    /// Writes an integer.
    public mutating func int(_ n: Int) {
        valuePrefix()
        Self.appendDigits(Int64(n), to: &bytes)
    }

    /// `n` in decimal, written straight into `out`: the hub writes several integers per measurement, millions a
    /// minute, and going through `String(n)` made a string of each first.
    static func appendDigits(_ n: Int64, to out: inout [UInt8]) {
        var m = n.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for a sign and 20 digits, filled from the end
        withUnsafeMutableBytes(of: &digits) { buffer in
            var i = buffer.count
            repeat {
                i -= 1
                buffer[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: m % 10)
                m /= 10
            } while m > 0
            if n < 0 {
                i -= 1
                buffer[i] = UInt8(ascii: "-")
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[i...]))
        }
    }

    /// Writes `true` or `false`.
    public mutating func bool(_ b: Bool) {
        valuePrefix()
        bytes.append(contentsOf: (b ? "true" : "false").utf8)
    }

    /// Writes already-encoded JSON (e.g. a pre-encoded array element).
    public mutating func raw(_ json: [UInt8]) {
        valuePrefix()
        bytes.append(contentsOf: json)
    }

    /// Writes a parsed value back out.
    public mutating func value(_ v: JSONValue) {
        switch v {
        case .null: raw(Array("null".utf8))
        case .bool(let b): bool(b)
        case .number(let n): raw(Array(n.utf8))
        case .string(let s): string(s)
        case .array(let a): array { w in for e in a { w.value(e) } }
        case .object(let m): object { w in for e in m { w.key(e.key); w.value(e.value) } }
        }
    }

    private mutating func valuePrefix() {
        if pendingKey {
            pendingKey = false
        } else {
            separator()
        }
    }

    /// Integral values below 2^53 print as integers (`106496`, like the seed's payloads); others use Swift's
    /// shortest round-trip form (`0.1`, `1e-05`, `6.389019682951282e+21`), all valid JSON.
    public static func formatNumber(_ x: Double) -> String {
        if isPrintedAsInteger(x) { return String(Int64(x)) }
        return x.description
    }

    static func isPrintedAsInteger(_ x: Double) -> Bool { x == x.rounded() && x.magnitude < 9_007_199_254_740_992 }

    /// `s` as a JSON string literal (for hand-built JSON such as status pages and log lines).
    public static func quoted(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 2)
        appendString(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `s` as a JSON string literal: `"` and `\` escaped, control characters as `\u00XX`, the rest as UTF-8.
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Nothing to escape (metric names, sources, tags: the usual case): the bytes in one copy, scanned through the
        // string's contiguous storage (through `String.UTF8View`'s iterator the scan cost 4 % of the hub's CPU).
        let copied =
            s.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
                for b in bytes where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { return false }
                out.append(contentsOf: bytes)
                return true
            } ?? false
        if copied {
            out.append(UInt8(ascii: "\""))
            return
        }
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0xF)])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
