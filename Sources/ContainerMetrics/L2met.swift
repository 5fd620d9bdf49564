/// One l2met token found in a log line: `measure#db.latency=12ms`, `count#jobs=1`, `sample#queue=3`.
///
/// Units are parsed and canonicalised so that one metric logged as `1.5s` and `1500ms` aggregates together:
/// time units become milliseconds (`ms`), byte units bytes (`B`, decimal and binary prefixes); any other unit is
/// kept as written. Values must be finite: `measure#x=inf` or `=nan` is not a token.
public struct L2metToken: Equatable, Sendable {
    public enum Kind: UInt8, Sendable, CaseIterable {
        /// A sample of a distribution (latency): Librato complex gauge.
        case measure = 1
        /// Occurrences to be summed (`count#jobs=1`; the value defaults to 1 when `=…` is missing).
        case count = 2
        /// A level at a moment (`sample#queue=3`): complex gauge whose `last` matters.
        case sample = 3

        public var prefix: String {
            switch self {
            case .measure: "measure"
            case .count: "count"
            case .sample: "sample"
            }
        }
    }

    public var kind: Kind
    public var name: String
    public var value: Double
    public var unit: String

    public init(kind: Kind, name: String, value: Double, unit: String = "") {
        self.kind = kind
        self.name = name
        self.value = value
        self.unit = unit
    }
}

/// Finds l2met tokens in log lines. Pure and allocation-free for lines without a `#`.
public enum L2met {
    /// Longest metric name accepted (Librato's limit).
    public static let maxNameLength = 255

    /// All well-formed tokens in `line`, in order. Malformed tokens are skipped, never fatal.
    public static func tokens(in line: some Collection<UInt8>) -> [L2metToken] {
        guard line.contains(UInt8(ascii: "#")) else { return [] }
        var result: [L2metToken] = []
        var word: [UInt8] = []
        word.reserveCapacity(64)
        for byte in line {
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                if let token = parse(word) { result.append(token) }
                word.removeAll(keepingCapacity: true)
            } else {
                word.append(byte)
            }
        }
        if let token = parse(word) { result.append(token) }
        return result
    }

    /// Parses one whitespace-free word such as `measure#db.latency=12.5ms`.
    public static func parse(_ word: [UInt8]) -> L2metToken? {
        guard let hash = word.firstIndex(of: UInt8(ascii: "#")) else { return nil }
        let kind: L2metToken.Kind
        switch String(decoding: word[..<hash], as: UTF8.self) {
        case "measure": kind = .measure
        case "count": kind = .count
        case "sample": kind = .sample
        default: return nil
        }
        let rest = word[(hash + 1)...]
        let eq = rest.firstIndex(of: UInt8(ascii: "="))
        let nameBytes = rest[..<(eq ?? rest.endIndex)]
        guard !nameBytes.isEmpty, nameBytes.count <= maxNameLength, nameBytes.allSatisfy(isNameByte) else { return nil }
        let name = String(decoding: nameBytes, as: UTF8.self)
        guard let eq else {
            return kind == .count ? L2metToken(kind: kind, name: name, value: 1) : nil
        }
        let valueAndUnit = word[(eq + 1)...]
        let numberEnd = numberPrefixEnd(valueAndUnit)
        let numberBytes = valueAndUnit[..<numberEnd]
        let unitBytes = valueAndUnit[numberEnd...]
        guard numberEnd > valueAndUnit.startIndex, unitBytes.allSatisfy(isUnitByte),
            let raw = Double(String(decoding: numberBytes, as: UTF8.self)), raw.isFinite
        else { return nil }
        let (value, unit) = canonical(raw, unit: String(decoding: unitBytes, as: UTF8.self))
        guard value.isFinite else { return nil }
        return L2metToken(kind: kind, name: name, value: value, unit: unit)
    }

    /// Canonical value and unit: time in ms, bytes in B; other units unchanged.
    public static func canonical(_ value: Double, unit: String) -> (Double, String) {
        switch unit {
        case "ns": return (value / 1_000_000, "ms")
        case "us", "µs": return (value / 1_000, "ms")
        case "ms": return (value, "ms")
        case "s", "sec": return (value * 1_000, "ms")
        case "B", "b", "bytes": return (value, "B")
        case "kB", "KB": return (value * 1_000, "B")
        case "MB": return (value * 1_000_000, "B")
        case "GB": return (value * 1_000_000_000, "B")
        case "KiB": return (value * 1_024, "B")
        case "MiB": return (value * 1_048_576, "B")
        case "GiB": return (value * 1_073_741_824, "B")
        default: return (value, unit)
        }
    }

    @inline(__always)
    static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E || b == 0x5F
            || b == 0x2D || b == 0x3A
    }

    @inline(__always)
    static func isUnitByte(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x25 || b == 0xB5 || b == 0xC2 || b == 0x2F
    }

    @inline(__always)
    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// End of the longest decimal number at the start of `bytes`: `[+-]digits[.digits][(e|E)[+-]digits]`.
    /// Returns `startIndex` when there is no number.
    static func numberPrefixEnd(_ bytes: ArraySlice<UInt8>) -> Int {
        var i = bytes.startIndex
        let end = bytes.endIndex
        if i < end, bytes[i] == 0x2D || bytes[i] == 0x2B { i += 1 }
        var digits = 0
        while i < end, isDigit(bytes[i]) { i += 1; digits += 1 }
        if i < end, bytes[i] == 0x2E {
            var j = i + 1
            var fraction = 0
            while j < end, isDigit(bytes[j]) { j += 1; fraction += 1 }
            if fraction > 0 || digits > 0 { i = j; digits += fraction }
        }
        guard digits > 0 else { return bytes.startIndex }
        if i < end, bytes[i] == 0x65 || bytes[i] == 0x45 {
            var j = i + 1
            if j < end, bytes[j] == 0x2D || bytes[j] == 0x2B { j += 1 }
            var exponent = 0
            while j < end, isDigit(bytes[j]) { j += 1; exponent += 1 }
            if exponent > 0 { i = j }
        }
        return i
    }
}
