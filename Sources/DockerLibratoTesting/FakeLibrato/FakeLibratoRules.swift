import Librato

/// Librato's 400 body: `{"errors":{"params":{"<param>":["<message>", …]}},"request_time":<epoch>}`, collecting every
/// problem of a request (docs/librato-api.md §5).
struct ParamErrors: Error {
    private(set) var params: [(name: String, messages: [String])] = []

    var isEmpty: Bool { params.isEmpty }

    mutating func add(_ param: String, _ message: String) {
        if let i = params.firstIndex(where: { $0.name == param }) {
            params[i].messages.append(message)
        } else {
            params.append((param, [message]))
        }
    }

    func body(requestTime: Int) -> String {
        var w = JSONWriter()
        w.object { w in
            w.key("errors")
            w.object { w in
                w.key("params")
                w.object { w in
                    for p in params {
                        w.key(p.name)
                        w.array { w in for m in p.messages { w.string(m) } }
                    }
                }
            }
            w.key("request_time")
            w.int(requestTime)
        }
        return w.text
    }
}

/// The field rules of docs/librato-api.md §2, §3.3 and §4, written independently of the client's sanitiser. Regexes
/// use Ruby's `\w`, which is ASCII `[A-Za-z0-9_]`.
enum FakeLibratoRules {
    static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39)
            || b == UInt8(ascii: ".") || b == UInt8(ascii: ":") || b == UInt8(ascii: "-") || b == UInt8(ascii: "_")
    }

    /// Metric names (and, by our choice, annotation stream names): 1–255 of `A-Za-z0-9.:-_`.
    static func isValidName(_ s: String) -> Bool {
        (1...255).contains(s.utf8.count) && s.utf8.allSatisfy(isNameByte)
    }

    /// Sources: the name rule, and not the reserved word `all` (any case).
    static func isValidSource(_ s: String) -> Bool {
        isValidName(s) && s.lowercased() != "all"
    }

    /// `/\A[-.:_\w]{1,64}\z/`
    static func isValidTagName(_ s: String) -> Bool {
        (1...64).contains(s.utf8.count) && s.utf8.allSatisfy(isNameByte)
    }

    /// `/\A[-.:_?\\\/\w ]{1,255}\z/`
    static func isValidTagValue(_ s: String) -> Bool {
        (1...255).contains(s.utf8.count)
            && s.utf8.allSatisfy {
                isNameByte($0) || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "/")
                    || $0 == UInt8(ascii: " ")
            }
    }

    /// A numeric field: a JSON number whose base-10 exponent is at most 126 (larger aborts the request with 400;
    /// docs/librato-api.md §4). Exponents below −130 are stored as 0.0, as Librato does.
    static func number(_ v: JSONValue, _ param: String, _ errors: inout ParamErrors) -> Double? {
        guard let x = v.doubleValue else {
            errors.add(param, "is not a number")
            return nil
        }
        guard x.isFinite, x.magnitude < 1e127 else {
            errors.add(param, "has a base-10 exponent greater than 126")
            return nil
        }
        return x.magnitude < 1e-130 ? 0 : x
    }

    /// An integer field (no fraction, no exponent).
    static func integer(_ v: JSONValue, _ param: String, _ errors: inout ParamErrors) -> Int? {
        guard let n = v.intValue else {
            errors.add(param, "is not an integer")
            return nil
        }
        return n
    }

    /// `measure_time` / `time`: integer epoch seconds within [now − maxPast, now + maxFuture].
    static func time(
        _ v: JSONValue, _ param: String, now: Double, configuration c: FakeLibratoConfiguration, _ errors: inout ParamErrors
    ) -> Int? {
        guard let t = integer(v, param, &errors) else { return nil }
        if Double(t) < now - c.maxPastSeconds {
            errors.add(param, "is too far in the past")
            return nil
        }
        if Double(t) > now + c.maxFutureSeconds {
            errors.add(param, "is too far in the future")
            return nil
        }
        return t
    }

    /// A string field.
    static func string(_ v: JSONValue, _ param: String, _ errors: inout ParamErrors) -> String? {
        guard let s = v.stringValue else {
            errors.add(param, "is not a string")
            return nil
        }
        return s
    }
}
