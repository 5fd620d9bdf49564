/// Base64 decoding for the fake's Basic auth check, written independently of the client's encoder.
enum FakeBase64 {
    static func decode(_ s: String) -> [UInt8]? {
        var values: [UInt8] = []
        var padding = 0
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): values.append(c - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): values.append(c - UInt8(ascii: "a") + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(c - UInt8(ascii: "0") + 52)
            case UInt8(ascii: "+"): values.append(62)
            case UInt8(ascii: "/"): values.append(63)
            case UInt8(ascii: "="): padding += 1; continue
            default: return nil
            }
            if padding > 0 { return nil }  // data after padding
        }
        guard (values.count + padding) % 4 == 0, padding <= 2 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < values.count {
            let chunk = Array(values[i..<min(i + 4, values.count)])
            let b0 = chunk[0] << 2 | (chunk.count > 1 ? chunk[1] >> 4 : 0)
            out.append(b0)
            if chunk.count > 2 { out.append(chunk[1] << 4 | chunk[2] >> 2) }
            if chunk.count > 3 { out.append(chunk[2] << 6 | chunk[3]) }
            i += 4
        }
        return out
    }
}
