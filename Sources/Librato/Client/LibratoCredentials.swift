public import Logging

/// The Librato credential: account e-mail (Basic auth user) and API token (password). The token never appears in
/// `description`, `debugDescription`, `dump` or mirrors; only ``authorizationHeader`` reveals it, for the wire.
public struct LibratoCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The account e-mail address.
    public let email: String
    private let secret: Secret

    /// Creates credentials. Prefer ``fromEnvironment(_:logger:readFile:)``, which validates them.
    public init(email: String, token: String) {
        self.email = email
        self.secret = Secret(value: token)
    }

    /// The API token. Handle with care: do not log it.
    public var token: String { secret.value }

    /// `Basic base64(email:token)`.
    public var authorizationHeader: String { "Basic " + Base64.encode(Array("\(email):\(token)".utf8)) }

    public var description: String { "LibratoCredentials(email: \(email), token: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["email": email, "token": "<redacted>"]) }

    /// Reads `LIBRATO_EMAIL` with `LIBRATO_TOKEN_FILE` (Docker/Swarm secrets; preferred when both token forms are
    /// set, with a warning) or `LIBRATO_TOKEN`. Surrounding blanks and the file's trailing newline are trimmed.
    ///
    /// - Returns: nil when none of the three is set: run the dry-run sink.
    /// - Throws: ``LibratoConfigurationError`` naming the variable when only half is set, the file cannot be read
    ///   or is empty, or a value is not printable ASCII (Basic auth cannot carry it). The token is never quoted.
    public static func fromEnvironment(
        _ environment: [String: String],
        logger: Logger? = nil,
        readFile: ((String) throws -> String)? = nil
    ) throws(LibratoConfigurationError) -> LibratoCredentials? {
        try resolve(
            email: environment["LIBRATO_EMAIL"], tokenFile: environment["LIBRATO_TOKEN_FILE"], token: environment["LIBRATO_TOKEN"], logger: logger,
            readFile: readFile)
    }

    /// The credentials from typed values (the CLI passes its flags or their variables; ``fromEnvironment(_:logger:readFile:)``
    /// reads the variables), with the same rules and errors.
    public static func resolve(
        email: String?, tokenFile: String?, token: String?, logger: Logger? = nil, readFile: ((String) throws -> String)? = nil
    ) throws(LibratoConfigurationError) -> LibratoCredentials? {
        let readFile = readFile ?? { path in try SystemIO.readFile(path) }
        func value(_ v: String?) -> String? {
            guard let v = v?.trimmingASCIIWhitespace(), !v.isEmpty else { return nil }
            return v
        }
        let email = value(email)
        let tokenFile = value(tokenFile)
        let envToken = value(token)
        if email == nil, tokenFile == nil, envToken == nil { return nil }

        var token: String?
        var tokenVariable = "LIBRATO_TOKEN"
        if let path = tokenFile {
            tokenVariable = "LIBRATO_TOKEN_FILE"
            if envToken != nil {
                logger?.warning("Both LIBRATO_TOKEN_FILE and LIBRATO_TOKEN are set; using LIBRATO_TOKEN_FILE. Unset one of them.")
            }
            let contents: String
            do {
                contents = try readFile(path)
            } catch {
                throw .unreadableTokenFile(variable: "LIBRATO_TOKEN_FILE", path: path, reason: "\(error)")
            }
            token = contents.trimmingASCIIWhitespace()
            if token?.isEmpty ?? true {
                throw .unreadableTokenFile(variable: "LIBRATO_TOKEN_FILE", path: path, reason: "the file is empty")
            }
        } else {
            token = envToken
        }
        guard let email else {
            throw .incompleteCredentials(missing: "LIBRATO_EMAIL", present: tokenVariable)
        }
        guard let token else {
            throw .incompleteCredentials(missing: "LIBRATO_TOKEN or LIBRATO_TOKEN_FILE", present: "LIBRATO_EMAIL")
        }
        guard isPrintableASCII(email) else {
            throw .invalidValue(variable: "LIBRATO_EMAIL", value: email, expected: "an e-mail address in printable ASCII")
        }
        guard isPrintableASCII(token), !token.contains(" ") else {
            throw .invalidValue(
                variable: tokenVariable, value: "<redacted>",
                expected: "an API token of printable ASCII without spaces (copy it again from Librato's token page)"
            )
        }
        return LibratoCredentials(email: email, token: token)
    }

    /// ``fromEnvironment(_:logger:readFile:)`` over the process environment.
    public static func fromProcessEnvironment(logger: Logger? = nil) throws(LibratoConfigurationError) -> LibratoCredentials? {
        try fromEnvironment(SystemIO.environment(), logger: logger)
    }

    private static func isPrintableASCII(_ s: String) -> Bool {
        s.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }

    /// Holds the token so that reflection of the credentials never shows it.
    private struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
        let value: String
        var description: String { "<redacted>" }
        var debugDescription: String { "<redacted>" }
        var customMirror: Mirror { Mirror(self, children: []) }
    }
}
