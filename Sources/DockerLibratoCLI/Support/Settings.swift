import Glibc

/// Resolves a setting from its flag, then its environment variable, then its default — every option of
/// docker-librato is both (the names the original docker-librato and the docker CLI use) — and turns bad values into errors that name the variable and the form.
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

    func int(_ flag: String?, _ variable: String, default value: Int, range: ClosedRange<Int> = 1...Int.max, unit: String = "")
        throws(ConfigError) -> Int
    {
        guard let raw = string(flag, variable) else { return value }
        guard let v = Int(raw.trimmingSpaces), range.contains(v) else {
            throw ConfigError(variable: variable, value: raw, expected: "a whole number\(unit) from \(range.lowerBound) to \(range.upperBound)")
        }
        return v
    }

    /// Seconds, possibly fractional (`10`, `0.5`).
    func seconds(_ flag: String?, _ variable: String, default value: Double, minimum: Double = 0.001) throws(ConfigError) -> Duration {
        guard let raw = string(flag, variable) else { return .milliseconds(Int64(value * 1000)) }
        guard let v = Double(raw.trimmingSpaces), v.isFinite, v >= minimum else {
            throw ConfigError(variable: variable, value: raw, expected: "a number of seconds of at least \(minimum)")
        }
        return .milliseconds(Int64(v * 1000))
    }

    func bool(_ flag: Bool?, _ variable: String, default value: Bool) throws(ConfigError) -> Bool {
        if let flag { return flag }
        guard let raw = string(nil, variable) else { return value }
        switch raw.trimmingSpaces.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigError(variable: variable, value: raw, expected: "true or false")
        }
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
            throw ConfigError(variable: variable, value: raw, expected: "one of " + T.allCases.map(\.rawValue).joined(separator: ", "))
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
        throw ConfigError(variable: variable, value: raw, expected: "a size such as 64MiB, 1GiB or a number of bytes")
    }
}

/// A configuration value that cannot be used; says which variable (or flag) and what form is expected.
struct ConfigError: Error, CustomStringConvertible {
    let variable: String
    let value: String
    let expected: String

    var description: String {
        value.isEmpty ? "\(variable) is required: \(expected)" : "\(variable) must be \(expected), got \"\(value)\""
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
