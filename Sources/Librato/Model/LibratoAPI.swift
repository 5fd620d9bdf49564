/// Which Librato measurement API to post to (`LIBRATO_API`).
public enum LibratoAPI: String, Sendable, Hashable, CaseIterable {
    /// Source-based `POST /v1/metrics`: a `gauges` array whose entries carry `measure_time` and `source`.
    case legacy
    /// Tag-based `POST /v1/measurements`: a `measurements` array whose entries carry `time` and `tags`.
    case tagged

    /// Parses `LIBRATO_API` (case-insensitive, surrounding blanks ignored); nil or empty selects ``legacy``.
    /// - Throws: ``LibratoConfigurationError/invalidValue(variable:value:expected:)`` naming the variable.
    public init(environmentValue: String?) throws(LibratoConfigurationError) {
        let raw = (environmentValue ?? "").trimmingASCIIWhitespace().lowercased()
        if raw.isEmpty {
            self = .legacy
        } else if let api = LibratoAPI(rawValue: raw) {
            self = api
        } else {
            throw .invalidValue(variable: "LIBRATO_API", value: environmentValue ?? "", expected: "`legacy` or `tagged`")
        }
    }

    /// The request path of the measurement endpoint.
    public var path: String {
        switch self {
        case .legacy: "/v1/metrics"
        case .tagged: "/v1/measurements"
        }
    }

    /// Librato's guidance on measurements per request: about 300 (legacy), under 1,000 (tagged).
    public var maxMeasurementsPerRequest: Int {
        switch self {
        case .legacy: 300
        case .tagged: 1000
        }
    }
}

/// A configuration value that cannot be used; the description names the variable and says what to do.
public enum LibratoConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A variable holds a value we cannot use.
    case invalidValue(variable: String, value: String, expected: String)
    /// One half of the credential is set without the other.
    case incompleteCredentials(missing: String, present: String)
    /// The token file cannot be read or is empty.
    case unreadableTokenFile(variable: String, path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidValue(let variable, let value, let expected):
            "\(variable)=\"\(value)\" is not valid: expected \(expected)."
        case .incompleteCredentials(let missing, let present):
            "\(present) is set but \(missing) is not: set both to send to Librato, or neither to run the dry-run sink."
        case .unreadableTokenFile(let variable, let path, let reason):
            "\(variable)=\(path): \(reason). Point it at a readable file holding the Librato API token "
                + "(e.g. a Docker secret under /run/secrets/)."
        }
    }
}
