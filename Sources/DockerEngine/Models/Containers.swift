/// One row of `/containers/json`.
public struct ContainerSummary: Sendable, Equatable, Decodable {
    public var id: String
    /// The primary name without Docker's leading `/`.
    public var name: String
    /// The image as the container was created from it (`Image`; may be an ID when the tag moved).
    public var image: String
    public var labels: [String: String]
    /// `created`, `running`, `paused`, `restarting`, `removing`, `exited` or `dead`.
    public var state: String
    /// Human status (`Up 5 minutes`).
    public var status: String
    /// Creation time, Unix seconds.
    public var created: Int64

    public init(id: String, name: String, image: String, labels: [String: String] = [:], state: String, status: String = "", created: Int64 = 0) {
        self.id = id
        self.name = name
        self.image = image
        self.labels = labels
        self.state = state
        self.status = status
        self.created = created
    }

    enum CodingKeys: String, CodingKey {
        case id = "Id"
        case names = "Names"
        case image = "Image"
        case labels = "Labels"
        case state = "State"
        case status = "Status"
        case created = "Created"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        // Names lists the primary name and, on old daemons, link aliases (`/other/alias`); the primary has one `/`.
        let names = try c.decodeIfPresent([String].self, forKey: .names) ?? []
        let primary = names.first { $0.dropFirst().firstIndex(of: "/") == nil } ?? names.first ?? ""
        name = primary.stripLeadingSlash
        image = try c.decodeIfPresent(String.self, forKey: .image) ?? ""
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        state = try c.decodeIfPresent(String.self, forKey: .state) ?? ""
        status = try c.decodeIfPresent(String.self, forKey: .status) ?? ""
        created = try c.decodeIfPresent(Int64.self, forKey: .created) ?? 0
    }
}

/// The parts of `/containers/{id}/json` a collector uses.
public struct ContainerDetails: Sendable, Equatable, Decodable {
    public var id: String
    /// The name without Docker's leading `/`.
    public var name: String
    /// `Config.Image`: the reference the container was created from (`octoblu/meshblu:v2`).
    public var image: String
    /// `Config.Labels`.
    public var labels: [String: String]
    /// `Config.Tty`: the container's logs are a raw stream, not multiplexed.
    public var tty: Bool
    public var state: State
    /// `HostConfig.NetworkMode`: `default`, `bridge`, `host`, `none`, `container:<id>` or a network name.
    public var networkMode: String

    public init(
        id: String,
        name: String,
        image: String,
        labels: [String: String] = [:],
        tty: Bool = false,
        state: State,
        networkMode: String = "default"
    ) {
        self.id = id
        self.name = name
        self.image = image
        self.labels = labels
        self.tty = tty
        self.state = state
        self.networkMode = networkMode
    }

    /// `State` of an inspected container.
    public struct State: Sendable, Equatable {
        public var running: Bool
        /// The main process's PID on the host (0 when not running).
        public var pid: Int32
        /// Start of the current (or last) run, Unix nanoseconds; 0 when it never started.
        public var startedAt: Int64
        /// `created`, `running`, `paused`, `restarting`, `removing`, `exited` or `dead`.
        public var status: String
        public var exitCode: Int32
        /// `State.OOMKilled`: the last run was killed by the OOM killer.
        public var oomKilled: Bool
        /// `State.Health.Status` (`starting`, `healthy`, `unhealthy`); nil without a HEALTHCHECK.
        public var health: String?
        /// `RestartCount` (top level of the inspect document): restarts by the restart policy.
        public var restartCount: Int

        public init(
            running: Bool, pid: Int32, startedAt: Int64, status: String, exitCode: Int32, oomKilled: Bool = false, health: String? = nil,
            restartCount: Int = 0
        ) {
            self.running = running
            self.pid = pid
            self.startedAt = startedAt
            self.status = status
            self.exitCode = exitCode
            self.oomKilled = oomKilled
            self.health = health
            self.restartCount = restartCount
        }
    }

    struct Wire: Decodable {
        var Id: String
        var Name: String?
        var Config: Config?
        var State: StateWire?
        var HostConfig: HostConfig?
        var RestartCount: Int?
        struct Config: Decodable {
            var Image: String?
            var Labels: [String: String]?
            var Tty: Bool?
        }
        struct StateWire: Decodable {
            var Running: Bool?
            var Pid: Int32?
            var StartedAt: String?
            var Status: String?
            var ExitCode: Int32?
            var OOMKilled: Bool?
            var Health: Health?
        }
        struct Health: Decodable {
            var Status: String?
        }
        struct HostConfig: Decodable {
            var NetworkMode: String?
        }
    }

    public init(from decoder: any Decoder) throws {
        let w = try Wire(from: decoder)
        id = w.Id
        name = (w.Name ?? "").stripLeadingSlash
        image = w.Config?.Image ?? ""
        labels = w.Config?.Labels ?? [:]
        tty = w.Config?.Tty ?? false
        state = State(
            running: w.State?.Running ?? false,
            pid: w.State?.Pid ?? 0,
            startedAt: w.State?.StartedAt.flatMap(RFC3339.nanoseconds) ?? 0,
            status: w.State?.Status ?? "",
            exitCode: w.State?.ExitCode ?? 0,
            oomKilled: w.State?.OOMKilled ?? false,
            health: w.State?.Health?.Status,
            restartCount: w.RestartCount ?? 0
        )
        networkMode = w.HostConfig?.NetworkMode ?? "default"
    }
}

extension String {
    var stripLeadingSlash: String { hasPrefix("/") ? String(dropFirst()) : self }
}
