/// A shell-style wildcard pattern, matched against a whole string: `*` any run of characters (`/` included),
/// `?` one character, `[abc]`, `[a-z]` and `[!abc]` one character of (or not of) a set. Any other character,
/// and a `[` without its `]`, matches itself.
///
/// Pure and allocation-free while matching; used by ``ContainerMatcher`` for names, images and label values.
package struct Glob: Sendable, Hashable, CustomStringConvertible {
    enum Element: Sendable, Hashable {
        case literal(Character)
        case any
        case anyRun
        case set(negated: Bool, members: [Character], ranges: [ClosedRange<Character>])

        func matches(_ c: Character) -> Bool {
            switch self {
            case .literal(let l): return l == c
            case .any: return true
            case .anyRun: return true
            case .set(let negated, let members, let ranges):
                let inside = members.contains(c) || ranges.contains { $0.contains(c) }
                return inside != negated
            }
        }
    }

    /// The pattern as written.
    package let pattern: String
    let elements: [Element]

    /// Compiles `pattern`; every string is a valid pattern.
    package init(_ pattern: String) {
        self.pattern = pattern
        var elements: [Element] = []
        let chars = Array(pattern)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            switch c {
            case "*":
                if elements.last != .anyRun { elements.append(.anyRun) }
                i += 1
            case "?":
                elements.append(.any)
                i += 1
            case "[":
                if let (set, next) = Self.parseSet(chars, from: i) {
                    elements.append(set)
                    i = next
                } else {
                    elements.append(.literal("["))
                    i += 1
                }
            default:
                elements.append(.literal(c))
                i += 1
            }
        }
        self.elements = elements
    }

    /// `[` at `from`: the set and the index after its `]`, or nil when there is no closing `]`.
    static func parseSet(_ chars: [Character], from: Int) -> (Element, Int)? {
        var i = from + 1
        var negated = false
        if i < chars.count, chars[i] == "!" || chars[i] == "^" {
            negated = true
            i += 1
        }
        var members: [Character] = []
        var ranges: [ClosedRange<Character>] = []
        var first = true
        while i < chars.count {
            let c = chars[i]
            if c == "]" && !first { return (.set(negated: negated, members: members, ranges: ranges), i + 1) }
            first = false
            if i + 2 < chars.count, chars[i + 1] == "-", chars[i + 2] != "]" {
                let low = c
                let high = chars[i + 2]
                if low <= high { ranges.append(low...high) }
                i += 3
            } else {
                members.append(c)
                i += 1
            }
        }
        return nil
    }

    package var description: String { pattern }

    /// Whether the whole of `text` matches.
    package func matches(_ text: String) -> Bool {
        let chars = Array(text)
        var p = 0
        var t = 0
        // Classic wildcard matching with one backtracking point (the last `*`): linear for typical patterns.
        var starP = -1
        var starT = 0
        while t < chars.count {
            if p < elements.count, elements[p] != .anyRun, elements[p].matches(chars[t]) {
                p += 1
                t += 1
            } else if p < elements.count, elements[p] == .anyRun {
                starP = p
                starT = t
                p += 1
            } else if starP >= 0 {
                p = starP + 1
                starT += 1
                t = starT
            } else {
                return false
            }
        }
        while p < elements.count, elements[p] == .anyRun { p += 1 }
        return p == elements.count
    }
}
