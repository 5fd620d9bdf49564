/// A parsed JSON document, kept close to its text: numbers keep their source spelling (so a strict reader can tell
/// `60` from `60.0` and see a number's exponent) and objects keep member order.
///
/// Small on purpose: the Librato module avoids Foundation, and both the client (error bodies) and the test suite's
/// fake server (request bodies) need exactly this much.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// The number exactly as written, e.g. `"1.5e3"`.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    /// The first member named `key` of an object; nil for other values or a missing key.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// The string of a `.string`.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The value of a `.number` as a Double (may be ±infinity for huge exponents).
    public var doubleValue: Double? {
        if case .number(let raw) = self { return Double(raw) }
        return nil
    }

    /// The value of a `.number` written as an integer (no fraction, no exponent) that fits in `Int`.
    public var intValue: Int? {
        guard case .number(let raw) = self, !raw.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) else { return nil }
        return Int(raw)
    }

    /// The elements of an `.array`.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The members of an `.object`.
    public var objectMembers: [JSONMember]? {
        if case .object(let m) = self { return m }
        return nil
    }

    /// Parses a complete JSON text (RFC 8259; nesting limited to `maxDepth`).
    /// - Throws: ``JSONParseError`` with the byte offset of the problem.
    public static func parse(_ bytes: some Collection<UInt8>, maxDepth: Int = 64) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: Array(bytes), maxDepth: maxDepth)
        return try parser.parseDocument()
    }

    /// Parses UTF-8 JSON text.
    public static func parse(_ text: String, maxDepth: Int = 64) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8), maxDepth: maxDepth)
    }

    /// Compact JSON text of this value (numbers as written, members in order).
    public var jsonText: String {
        var w = JSONWriter()
        w.value(self)
        return w.text
    }
}

/// One `"key": value` pair of a JSON object.
public struct JSONMember: Sendable, Hashable {
    public var key: String
    public var value: JSONValue

    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// Why a JSON text could not be parsed.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Byte offset where parsing failed.
    public var offset: Int
    /// What was wrong there.
    public var reason: String

    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

extension JSONValue {
    /// The value as indented JSON text (two spaces per level; short arrays of scalars and measurements' tag objects
    /// stay readable): what the dry-run sink prints for people.
    public func prettyText(indent: Int = 0) -> String {
        let pad = String(repeating: "  ", count: indent)
        let inner = String(repeating: "  ", count: indent + 1)
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let raw): return raw
        case .string(let s): return JSONWriter.quoted(s)
        case .array(let items):
            if items.isEmpty { return "[]" }
            return "[\n" + items.map { inner + $0.prettyText(indent: indent + 1) }.joined(separator: ",\n") + "\n" + pad + "]"
        case .object(let members):
            if members.isEmpty { return "{}" }
            // A flat object of scalars (one measurement, a tag set) on one line.
            if members.allSatisfy({ !$0.value.isContainer }) || members.count <= 2 && members.allSatisfy({ $0.value.isFlat }) {
                return "{" + members.map { JSONWriter.quoted($0.key) + ": " + $0.value.prettyText(indent: indent + 1) }.joined(separator: ", ") + "}"
            }
            return "{\n" + members.map { inner + JSONWriter.quoted($0.key) + ": " + $0.value.prettyText(indent: indent + 1) }.joined(separator: ",\n")
                + "\n" + pad + "}"
        }
    }

    private var isContainer: Bool {
        switch self {
        case .array, .object: true
        default: false
        }
    }

    private var isFlat: Bool {
        switch self {
        case .array: false
        case .object(let m): m.allSatisfy { !$0.value.isContainer }
        default: true
        }
    }
}
