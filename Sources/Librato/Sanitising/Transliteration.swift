/// ASCII stand-ins for the Latin letters of U+00C0–U+017F (Latin-1 Supplement and Latin Extended-A), so that
/// `Müller` becomes `Muller` rather than `M_ller`. Anything else outside ASCII is replaced by the sanitiser.
enum Transliteration {
    // One character per code point; `*` = multi-letter (see `special`), `!` = no letter (× ÷).
    private static let latin1 = Array("AAAAAA*CEEEEIIIIDNOOOOO!OUUUUY**aaaaaa*ceeeeiiiidnooooo!ouuuuy*y".utf8)
    private static let extendedA = Array(
        ("AaAaAaCcCcCcCcDd" + "DdEeEeEeEeEeGgGg" + "GgGgHhHhIiIiIiIi" + "Ii**JjKkkLlLlLlL"
            + "lLlNnNnNnnNnOoOo" + "Oo**RrRrRrSsSsSs" + "SsTtTtTtUuUuUuUu" + "UuUuWwYyYZzZzZzs").utf8
    )
    private static let special: [UInt32: String] = [
        0xC6: "AE", 0xDE: "TH", 0xDF: "ss", 0xE6: "ae", 0xFE: "th",
        0x132: "IJ", 0x133: "ij", 0x152: "OE", 0x153: "oe",
    ]

    /// The ASCII replacement of a scalar, or nil when there is none.
    static func ascii(for scalar: Unicode.Scalar) -> String? {
        let v = scalar.value
        let table: [UInt8]
        let index: Int
        switch v {
        case 0xC0...0xFF:
            table = latin1
            index = Int(v - 0xC0)
        case 0x100...0x17F:
            table = extendedA
            index = Int(v - 0x100)
        default:
            return nil
        }
        switch table[index] {
        case UInt8(ascii: "*"): return special[v]
        case UInt8(ascii: "!"): return nil
        case let c: return String(UnicodeScalar(c))
        }
    }
}
