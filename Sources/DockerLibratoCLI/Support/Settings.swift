import Glibc

/// Resolves a setting from its flag, then its environment variable, then its default — every option of
/// docker-librato is both — and turns bad values into errors that name the flag or the variable the value came from
/// and the form expected. One message style: `NAME must be FORM, got "VALUE"`. (the names the original docker-librato and the docker CLI use)
struct Settings {
    let environment: [String: String]

    init(environment: [String: String] = Settings.processEnvironment()) {
        self.environment = environment
    }

    static func processEnvironment() -> [String: String] {
        var out: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") { out[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
            p += 1
        }
        return out
    }

    /// The flag's value, else the variable's (blank counts as unset), else nil.
    func string(_ flag: String?, _ variable: String) -> String? {
        if let flag { return flag }
        guard let v = environment[variable], !v.allSatisfy(\.isWhitespace) else { return nil }
        return v
    }

    func string(_ flag: String?, _ variable: String, default value: String) -> String {
        string(flag, variable) ?? value
    }

    /// The name to put in an error about this setting: the flag when the value came from it, else the variable.
    func name(_ flag: String?, _ variable: String) -> String {
        flag != nil ? (FlagNames.byVariable[variable] ?? variable) : variable
    }

    func error(_ flag: String?, _ variable: String, value: String, expected: String) -> ConfigError {
        ConfigError(variable: name(flag, variable), value: value, expected: expected)
    }

    func int(_ flag: String?, _ variable: String, default value: Int, range: ClosedRange<Int> = 1...Int.max, unit: String = "")
        throws(ConfigError) -> Int
    {
        guard let raw = string(flag, variable) else { return value }
        guard let v = Int(raw.trimmingSpaces), range.contains(v) else {
            throw error(flag, variable, value: raw, expected: "a whole number\(unit) from \(range.lowerBound) to \(range.upperBound)")
        }
        return v
    }

    /// Seconds, possibly fractional (`10`, `0.5`).
    func seconds(_ flag: String?, _ variable: String, default value: Double, minimum: Double = 0.001) throws(ConfigError) -> Duration {
        guard let raw = string(flag, variable) else { return .milliseconds(Int64(value * 1000)) }
        guard let v = Double(raw.trimmingSpaces), v.isFinite, v >= minimum else {
            throw error(flag, variable, value: raw, expected: "a number of seconds of at least \(minimum)")
        }
        return .milliseconds(Int64(v * 1000))
    }

    func bool(_ flag: String?, _ variable: String, default value: Bool) throws(ConfigError) -> Bool {
        guard let raw = string(flag, variable) else { return value }
        switch raw.trimmingSpaces.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw error(flag, variable, value: raw, expected: "true or false")
        }
    }

    /// A nanomsg address: `tcp://HOST:PORT` (`*` for every interface) or `ipc://PATH`.
    func address(_ flag: String?, _ variable: String, default value: String) throws(ConfigError) -> String {
        let raw = string(flag, variable, default: value).trimmingSpaces
        let expected = "tcp://HOST:PORT (HOST may be * to listen on every interface) or ipc://PATH"
        if raw.hasPrefix("ipc://"), raw.count > 6 { return raw }
        guard raw.hasPrefix("tcp://"), let colon = raw.lastIndex(of: ":"), colon > raw.index(raw.startIndex, offsetBy: 6),
            let port = Int(raw[raw.index(after: colon)...]), (1...65535).contains(port)
        else { throw error(flag, variable, value: raw, expected: expected) }
        return raw
    }

    /// An HTTP listen address: `HOST:PORT` (`:PORT` for every interface), or nil for `off`.
    func listen(_ flag: String?, _ variable: String, default value: String?) throws(ConfigError) -> String? {
        guard let raw = string(flag, variable) ?? value else { return nil }
        if raw.trimmingSpaces.lowercased() == "off" { return nil }
        let parts = raw.trimmingSpaces.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 2, let port = Int(parts.last!), (1...65535).contains(port) else {
            throw error(flag, variable, value: raw, expected: "HOST:PORT (e.g. 0.0.0.0:8080 or 127.0.0.1:8080), or off")
        }
        return raw.trimmingSpaces
    }

    /// A comma-separated list.
    func list(_ flag: String?, _ variable: String) -> [String] {
        guard let raw = string(flag, variable) else { return [] }
        return raw.split(separator: ",").map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
    }

    func choice<T: RawRepresentable & CaseIterable>(_ flag: String?, _ variable: String, default value: T) throws(ConfigError) -> T
    where T.RawValue == String {
        guard let raw = string(flag, variable) else { return value }
        guard let v = T(rawValue: raw.trimmingSpaces.lowercased()) else {
            throw error(flag, variable, value: raw, expected: "one of " + T.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return v
    }

    /// Byte sizes: `64MiB`, `1GiB`, `512KiB`, `1000000` (bytes), also `MB`/`GB` (decimal).
    func bytes(_ flag: String?, _ variable: String, default value: Int) throws(ConfigError) -> Int {
        guard let raw = string(flag, variable) else { return value }
        let s = raw.trimmingSpaces
        let units: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1)]
        for (suffix, factor) in units where s.hasSuffix(suffix) {
            if let n = Double(s.dropLast(suffix.count).trimmingSpaces), n >= 0 { return Int(n * Double(factor)) }
        }
        if let n = Int(s), n >= 0 { return n }
        throw error(flag, variable, value: raw, expected: "a size such as 64MiB, 1GiB or a number of bytes")
    }
}

/// A configuration value that cannot be used; says which variable (or flag) and what form is expected.
struct ConfigError: Error, CustomStringConvertible {
    let variable: String
    let value: String
    let expected: String
    /// A whole sentence instead of "must be …" (when the problem is not the form, e.g. a regex that does not compile).
    var problem: String?

    init(variable: String, value: String, expected: String) {
        self.variable = variable
        self.value = value
        self.expected = expected
    }

    init(variable: String, problem: String) {
        self.init(variable: variable, value: "", expected: "")
        self.problem = problem
    }

    var description: String {
        if let problem { return "\(variable): \(problem)" }
        return value.isEmpty ? "\(variable) is required: \(expected)" : "\(variable) must be \(expected), got \"\(value)\""
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
