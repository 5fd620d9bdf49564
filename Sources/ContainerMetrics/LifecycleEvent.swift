/// A container lifecycle event from the engine's `/events` stream (create, start, die, oom, kill, restart, pause,
/// unpause, health_status, destroy, …). The hub counts them per period and turns them into Librato annotations.
public struct LifecycleEvent: Equatable, Sendable {
    /// The engine's `timeNano`: unique enough per container to deduplicate events seen by several collectors.
    public var timeNano: Int64
    /// The action without its detail: `health_status: healthy` becomes `health_status` with detail `healthy`.
    public var action: String
    /// The action's detail, e.g. the health status, or the signal of a `kill`.
    public var detail: String
    /// Exit code of a `die`.
    public var exitCode: Int32?

    public init(timeNano: Int64, action: String, detail: String = "", exitCode: Int32? = nil) {
        self.timeNano = timeNano
        self.action = action
        self.detail = detail
        self.exitCode = exitCode
    }

    /// Actions worth reporting; others (exec_*, attach, resize, top, …) are noise for metrics.
    public static let reportedActions: Set<String> = [
        "create", "start", "die", "oom", "kill", "stop", "restart", "pause", "unpause", "health_status", "destroy", "rename",
        "update",
    ]

    /// Splits Docker's `Action` (`health_status: healthy`, `exec_start: sh`) into action and detail.
    public static func split(action raw: String) -> (action: String, detail: String) {
        guard let colon = raw.firstIndex(of: ":") else { return (raw, "") }
        let detail = raw[raw.index(after: colon)...].drop { $0 == " " }
        return (String(raw[..<colon]), String(detail))
    }
}

/// A collector's periodic report of itself: liveness for the hub's status page and self-metrics.
public struct Heartbeat: Equatable, Sendable {
    /// Unix milliseconds.
    public var time: Int64
    /// Named values (`containers`, `samples_produced`, `frames_sent`, `spool_frames`, `spool_bytes`,
    /// `spool_dropped_frames`, `docker_errors`, …). Names are free-form so that new ones need no format change.
    public var values: [String: Double]

    public init(time: Int64, values: [String: Double] = [:]) {
        self.time = time
        self.values = values
    }
}
