/// What `/info` says about the engine: the fields a collector needs to identify the host and read cgroups.
public struct SystemInfo: Sendable, Equatable, Decodable {
    /// The engine's unique ID: several collectors reporting the same engine share it. For Podman, whose `/info` ID is
    /// new on every call, ``podmanEngineID(name:root:)``.
    public var engineID: String
    /// The host name dockerd reports.
    public var name: String
    /// `"1"` or `"2"`; `"1"` when the daemon predates API 1.40 and does not say.
    public var cgroupVersion: String
    /// `cgroupfs` or `systemd`.
    public var cgroupDriver: String
    public var ncpu: Int
    /// Host RAM in bytes: what the API reports as the memory limit of an unlimited container.
    public var memTotal: UInt64
    public var serverVersion: String
    public var dockerRootDir: String
    /// The engine is Podman (its Docker-compatible API), not dockerd.
    public var isPodman: Bool

    public init(
        engineID: String,
        name: String,
        cgroupVersion: String,
        cgroupDriver: String,
        ncpu: Int,
        memTotal: UInt64,
        serverVersion: String,
        dockerRootDir: String,
        isPodman: Bool = false
    ) {
        self.engineID = engineID
        self.name = name
        self.cgroupVersion = cgroupVersion
        self.cgroupDriver = cgroupDriver
        self.ncpu = ncpu
        self.memTotal = memTotal
        self.serverVersion = serverVersion
        self.dockerRootDir = dockerRootDir
        self.isPodman = isPodman
    }

    enum CodingKeys: String, CodingKey {
        case engineID = "ID"
        case name = "Name"
        case cgroupVersion = "CgroupVersion"
        case cgroupDriver = "CgroupDriver"
        case ncpu = "NCPU"
        case memTotal = "MemTotal"
        case serverVersion = "ServerVersion"
        case dockerRootDir = "DockerRootDir"
        case buildahVersion = "BuildahVersion"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        engineID = try c.decode(String.self, forKey: .engineID)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        let version = try c.decodeIfPresent(String.self, forKey: .cgroupVersion) ?? ""
        cgroupVersion = version.isEmpty ? "1" : version
        cgroupDriver = try c.decodeIfPresent(String.self, forKey: .cgroupDriver) ?? "cgroupfs"
        ncpu = try c.decodeIfPresent(Int.self, forKey: .ncpu) ?? 0
        memTotal = try c.decodeIfPresent(UInt64.self, forKey: .memTotal) ?? 0
        serverVersion = try c.decodeIfPresent(String.self, forKey: .serverVersion) ?? ""
        dockerRootDir = try c.decodeIfPresent(String.self, forKey: .dockerRootDir) ?? ""
        // Podman's compatible /info has BuildahVersion, and an ID that is a new random UUID on every call: no
        // identity at all. Its host name and storage root are stable, and unique per Podman installation.
        isPodman = c.contains(.buildahVersion)
        if isPodman { engineID = Self.podmanEngineID(name: name, root: dockerRootDir) }
    }

    /// `podman:<host name>:<storage root>`: what identifies a Podman engine across calls and restarts.
    public static func podmanEngineID(name: String, root: String) -> String {
        "podman:\(name):\(root)"
    }
}
