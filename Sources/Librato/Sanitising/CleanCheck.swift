extension Sanitiser {
    /// Whether ``Sanitiser/measurement(_:for:)`` would send measurements exactly as they are — the usual case: the
    /// hub's names, sources and tags are clean — checked without copying them, so that the encoder can write a
    /// clean measurement directly. It remembers the last source and tag set it found clean: the ~30 measurements of
    /// a container share one (the same storage, which `==` recognises at once), so each is scanned once per
    /// container rather than once per measurement.
    struct CleanCheck {
        private var source: String?
        private var tags: [String: String]?

        init() {}

        /// True when sanitising `m` for `api` changes nothing (same fields, nothing renamed or dropped).
        mutating func isClean(_ m: Measurement, for api: LibratoAPI) -> Bool {
            guard m.time > 0, m.period.map({ $0 > 0 }) ?? true, Self.isName(m.name) else { return false }
            if let s = m.source, s != source {
                guard Self.isSource(s) else { return false }
                source = s
            }
            if api == .tagged, m.tags != tags {
                // Without tags the tagged API sends the source as one: a change.
                guard !m.tags.isEmpty, Sanitiser.isClean(tags: m.tags) else { return false }
                tags = m.tags
            }
            switch m.value {
            case .single(let v):
                guard Self.isNumber(v) else { return false }
            case .summary(let s):
                guard s.count >= 1, Self.isNumber(s.sum), Self.isNumber(s.min), Self.isNumber(s.max), Self.isNumber(s.sumSquares),
                    Self.isNumber(s.last)
                else { return false }
            }
            // Empty attributes are dropped (the same JSON, but not the same measurement).
            if let a = m.attributes, !(Self.isNumber(a.displayMax) && Self.isNumber(a.displayMin)) || a.isEmpty { return false }
            return true
        }

        static func isName(_ s: String) -> Bool {
            let n = s.utf8.count
            return n > 0 && n <= maxNameLength && allBytes(of: s, satisfy: isNameByte)
        }

        /// A clean name that is not the reserved word `all` (which becomes `all_`).
        static func isSource(_ s: String) -> Bool {
            isName(s) && !(s.utf8.count == 3 && s.lowercased() == "all")
        }

        /// Sent as it is: finite, below the largest magnitude, and not so small that it is sent as 0.
        static func isNumber(_ x: Double) -> Bool {
            x.isFinite && (x == 0 || (x.magnitude >= minMagnitude && x.magnitude < maxMagnitude))
        }

        static func isNumber(_ x: Double?) -> Bool { x.map(isNumber) ?? true }
    }
}
