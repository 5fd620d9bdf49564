/// An Engine API version such as `1.41`, ordered numerically (1.9 < 1.10).
public struct DockerAPIVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int

    public init(_ major: Int, _ minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// Parses `1.41`; nil for anything else.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let major = Int(parts[0]), let minor = Int(parts[1]), major >= 0, minor >= 0 else {
            return nil
        }
        self.init(major, minor)
    }

    public var description: String { "\(major).\(minor)" }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }

    /// The newest version this client speaks (Docker 20.10); negotiation uses min(this, the daemon's).
    public static let clientMaximum = DockerAPIVersion(1, 41)
    /// The oldest daemon API accepted (Docker 1.13): older daemons are refused with ``DockerError/apiVersionTooOld(daemon:minimum:)``.
    public static let clientMinimum = DockerAPIVersion(1, 25)

    /// The version to use with a daemon that announced `daemon`.
    public static func negotiate(daemon: DockerAPIVersion) throws(DockerError) -> DockerAPIVersion {
        guard daemon >= clientMinimum else {
            throw .apiVersionTooOld(daemon: daemon.description, minimum: clientMinimum.description)
        }
        return min(daemon, clientMaximum)
    }
}
