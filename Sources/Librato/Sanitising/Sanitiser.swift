/// Pure functions that bring names, sources, tags and numbers into the shapes Librato accepts (docs/librato-api.md §2,
/// §3.3, §4), so that no container name ever causes a 400.
///
/// Letters from Latin-1/Latin Extended-A are transliterated (`ü` → `u`), combining marks are dropped, and each run
/// of other disallowed characters becomes one `_` (the same rule as librato-node and statsd). Regexes in the docs use
/// Ruby's `\w`, which we read as ASCII `[A-Za-z0-9_]` only.
public enum Sanitiser {
    /// Longest metric name, source and tag value.
    public static let maxNameLength = 255
    /// Longest tag name.
    public static let maxTagNameLength = 64
    /// Most tags Librato accepts on one measurement.
    public static let maxTags = 50
    /// Largest magnitude whose base-10 exponent is ≤ 126; larger numbers make Librato reject the whole request.
    public static let maxMagnitude = 1e127
    /// Smallest non-zero magnitude we send; smaller ones are sent as 0 (Librato stores exponents below −130 as 0.0).
    public static let minMagnitude = 1e-126

    /// A metric name (or annotation stream name): `A-Za-z0-9.:-_`, 1–255 characters; an empty result is `unnamed`.
    public static func metricName(_ name: String) -> String {
        let cleaned = clean(name, maxLength: maxNameLength, allowed: isNameByte)
        return cleaned.isEmpty ? "unnamed" : cleaned
    }

    /// A legacy source: the metric-name charset, 1–255 characters. Empty means "no source" (nil); the reserved
    /// word `all` (any case) becomes `all_`.
    public static func source(_ source: String?) -> String? {
        guard let source else { return nil }
        let cleaned = clean(source, maxLength: maxNameLength, allowed: isNameByte)
        if cleaned.isEmpty { return nil }
        return cleaned.utf8.count == 3 && cleaned.lowercased() == "all" ? cleaned + "_" : cleaned
    }

    /// A tag name: `/\A[-.:_\w]{1,64}\z/`, lower-cased as Librato does. Nil when nothing usable is left.
    public static func tagName(_ name: String) -> String? {
        let cleaned = clean(name, maxLength: maxTagNameLength, allowed: isNameByte)
        if cleaned.isEmpty { return nil }
        return cleaned.utf8.contains(where: isUpper) ? cleaned.lowercased() : cleaned
    }

    /// A tag value: `/\A[-.:_?\\\/\w ]{1,255}\z/`. Nil when empty (the tag is then dropped).
    public static func tagValue(_ value: String) -> String? {
        let cleaned = clean(value, maxLength: maxNameLength, allowed: isTagValueByte)
        return cleaned.isEmpty ? nil : cleaned
    }

    /// A tag set: every name and value sanitised, empty ones dropped, name collisions after lower-casing resolved
    /// in favour of the lexicographically first original name, and at most ``maxTags`` kept (by sorted name).
    /// Returns the tags and how many were dropped.
    public static func tags(_ tags: [String: String]) -> (tags: [String: String], dropped: Int) {
        if isClean(tags: tags) { return (tags, 0) }
        var result: [String: String] = [:]
        var dropped = 0
        for (name, value) in tags.sorted(by: { $0.key < $1.key }) {
            guard let n = tagName(name), let v = tagValue(value), result[n] == nil else {
                dropped += 1
                continue
            }
            result[n] = v
        }
        if result.count > maxTags {
            let keep = result.keys.sorted().prefix(maxTags)
            dropped += result.count - maxTags
            result = Dictionary(uniqueKeysWithValues: keep.map { ($0, result[$0]!) })
        }
        return (result, dropped)
    }

    /// A number Librato can store: nil for NaN, ±infinity and magnitudes ≥ 1e127 (exponent > 126 → 400);
    /// magnitudes below 1e-126 become 0.
    public static func number(_ x: Double) -> Double? {
        guard x.isFinite, x.magnitude < maxMagnitude else { return nil }
        return x.magnitude < minMagnitude ? 0 : x
    }

    /// Whether ``tags(_:)`` would return `tags` unchanged: at most ``maxTags``, every name a lower-case tag name and
    /// every value a tag value, all within their lengths. The common case (the hub's own tags), checked without
    /// building anything, so that measurements sharing one tag set keep sharing it.
    static func isClean(tags: [String: String]) -> Bool {
        guard tags.count <= maxTags else { return false }
        for (name, value) in tags {
            let n = name.utf8
            let v = value.utf8
            guard !n.isEmpty, n.count <= maxTagNameLength, n.allSatisfy({ isNameByte($0) && !isUpper($0) }),
                !v.isEmpty, v.count <= maxNameLength, v.allSatisfy(isTagValueByte)
            else { return false }
        }
        return true
    }

    // MARK: character classes

    static func isUpper(_ b: UInt8) -> Bool { b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") }

    /// `A-Za-z0-9.:-_`
    static func isNameByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "-"),
            UInt8(ascii: "_"):
            true
        default: false
        }
    }

    /// `-.:_?\/`, space and ASCII word characters.
    static func isTagValueByte(_ b: UInt8) -> Bool {
        isNameByte(b) || b == UInt8(ascii: "?") || b == UInt8(ascii: "\\") || b == UInt8(ascii: "/")
            || b == UInt8(ascii: " ")
    }

    /// Transliterates, replaces each run of disallowed characters with one `_`, and cuts to `maxLength` bytes
    /// (the result is ASCII, so bytes are characters).
    static func clean(_ input: String, maxLength: Int, allowed: (UInt8) -> Bool) -> String {
        // Already clean (the usual case): the same string, storage shared, nothing allocated.
        if input.utf8.count <= maxLength, input.utf8.allSatisfy(allowed) { return input }
        var out: [UInt8] = []
        out.reserveCapacity(min(input.utf8.count, maxLength))
        var pendingReplacement = false
        func emit(_ b: UInt8) {
            if pendingReplacement {
                out.append(UInt8(ascii: "_"))
                pendingReplacement = false
            }
            out.append(b)
        }
        for scalar in input.unicodeScalars {
            if out.count >= maxLength { break }
            if scalar.isASCII {
                let b = UInt8(scalar.value)
                if allowed(b) { emit(b) } else { pendingReplacement = true }
            } else if scalar.properties.generalCategory == .nonspacingMark {
                continue  // "u" + U+0308 reads as "ü"; keep the "u"
            } else if let ascii = Transliteration.ascii(for: scalar) {
                for b in ascii.utf8 { emit(b) }
            } else {
                pendingReplacement = true
            }
        }
        if pendingReplacement { out.append(UInt8(ascii: "_")) }
        if out.count > maxLength { out.removeLast(out.count - maxLength) }
        return String(decoding: out, as: UTF8.self)
    }
}
