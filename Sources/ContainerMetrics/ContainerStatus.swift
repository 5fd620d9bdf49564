/// A container's state as `docker inspect` reports it: what Telegraf's docker input calls `docker_container_status`
/// and `docker_container_health`. The collector sends one per stats interval for every container it follows (and
/// one more when a followed container stops: its exit code and whether it was OOM-killed); the hub posts the latest
/// of each period.
public struct ContainerStatus: Equatable, Sendable {
    /// `State.Status`.
    public enum State: UInt8, Sendable, CaseIterable {
        case created = 0, running, paused, restarting, removing, exited, dead

        /// Docker's name (`running`, `exited`, …); unknown names read as nil.
        public init?(docker name: String) {
            switch name {
            case "created": self = .created
            case "running": self = .running
            case "paused": self = .paused
            case "restarting": self = .restarting
            case "removing": self = .removing
            case "exited": self = .exited
            case "dead": self = .dead
            default: return nil
            }
        }

        /// Docker's name.
        public var name: String {
            switch self {
            case .created: "created"
            case .running: "running"
            case .paused: "paused"
            case .restarting: "restarting"
            case .removing: "removing"
            case .exited: "exited"
            case .dead: "dead"
            }
        }
    }

    /// `State.Health.Status`; `none` without a HEALTHCHECK.
    public enum Health: UInt8, Sendable, CaseIterable {
        case none = 0, starting, healthy, unhealthy

        /// Docker's name (empty or unknown: none).
        public init(docker name: String?) {
            switch name {
            case "starting": self = .starting
            case "healthy": self = .healthy
            case "unhealthy": self = .unhealthy
            default: self = .none
            }
        }

        public var name: String {
            switch self {
            case .none: "none"
            case .starting: "starting"
            case .healthy: "healthy"
            case .unhealthy: "unhealthy"
            }
        }
    }

    /// When the state was read, Unix milliseconds (the collector's clock).
    public var time: Int64
    public var state: State
    public var health: Health
    /// `RestartCount`: restarts by the restart policy (not `docker restart`).
    public var restartCount: UInt64
    /// Start of the current (or last) run, Unix milliseconds; 0 when it never started.
    public var startedAt: Int64
    /// `State.ExitCode`: of the last run (0 while the first run goes on).
    public var exitCode: Int32
    /// `State.OOMKilled`: the last run was killed by the kernel's OOM killer.
    public var oomKilled: Bool

    public init(
        time: Int64, state: State, health: Health = .none, restartCount: UInt64 = 0, startedAt: Int64 = 0, exitCode: Int32 = 0,
        oomKilled: Bool = false
    ) {
        self.time = time
        self.state = state
        self.health = health
        self.restartCount = restartCount
        self.startedAt = startedAt
        self.exitCode = exitCode
        self.oomKilled = oomKilled
    }

    /// Seconds since the current run started, while it runs (running or paused); nil otherwise.
    public var uptimeSeconds: Double? {
        guard state == .running || state == .paused, startedAt > 0, time >= startedAt else { return nil }
        return Double(time - startedAt) / 1000
    }
}

/// How many containers of one engine are in each state (those the collector's filters admit, itself excluded),
/// from one `/containers/json?all=1` listing per stats interval.
public struct HostStates: Equatable, Sendable {
    /// When listed, Unix milliseconds.
    public var time: Int64
    /// Counts indexed by ``ContainerStatus/State/rawValue``.
    public var counts: [UInt64]

    public init(time: Int64, counts: [UInt64] = Array(repeating: 0, count: ContainerStatus.State.allCases.count)) {
        self.time = time
        self.counts = counts
    }

    public subscript(state: ContainerStatus.State) -> UInt64 {
        get { Int(state.rawValue) < counts.count ? counts[Int(state.rawValue)] : 0 }
        set {
            while counts.count <= Int(state.rawValue) { counts.append(0) }
            counts[Int(state.rawValue)] = newValue
        }
    }
}
