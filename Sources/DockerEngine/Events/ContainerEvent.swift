public import ContainerMetrics

/// One container event from `/events` (`type=container`).
public struct ContainerEvent: Sendable, Equatable, Decodable {
    /// Docker's action as sent: `start`, `die`, `kill`, `health_status: healthy`, `exec_start: sh -c …`.
    public var action: String
    /// The container's full ID (`Actor.ID`).
    public var id: String
    /// `Actor.Attributes`: `name`, `image`, labels, `exitCode` (die), `signal` (kill), …
    public var attributes: [String: String]
    /// When the event happened, Unix nanoseconds (`timeNano`): resume a stream with `since` set to the last one.
    public var timeNano: Int64

    public init(action: String, id: String, attributes: [String: String] = [:], timeNano: Int64) {
        self.action = action
        self.id = id
        self.attributes = attributes
        self.timeNano = timeNano
    }

    /// The container name (without `/`), when the event carries it.
    public var name: String? { attributes["name"] }
    /// The container's image reference.
    public var image: String? { attributes["image"] }
    /// Exit code of a `die`.
    public var exitCode: Int32? { attributes["exitCode"].flatMap { Int32($0) } }
    /// Signal of a `kill` (a number, e.g. `15`).
    public var signal: String? { attributes["signal"] }

    /// The event as the pipeline carries it: action split from its detail (the signal of a `kill`).
    public var lifecycleEvent: LifecycleEvent {
        var (action, detail) = LifecycleEvent.split(action: self.action)
        if action == "kill", detail.isEmpty, let signal { detail = signal }
        return LifecycleEvent(timeNano: timeNano, action: action, detail: detail, exitCode: action == "die" ? exitCode : nil)
    }

    enum CodingKeys: String, CodingKey {
        case action = "Action"
        case actor = "Actor"
        case timeNano, time, status, id
    }

    struct Actor: Decodable {
        var ID: String?
        var Attributes: [String: String]?
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        action = try c.decodeIfPresent(String.self, forKey: .action) ?? c.decodeIfPresent(String.self, forKey: .status) ?? ""
        // Podman's Docker-compatible API says `remove` where dockerd says `destroy` (its `died` it already sends as
        // `die`); dockerd has no container action `remove`.
        if action == "remove" { action = "destroy" }
        let actor = try c.decodeIfPresent(Actor.self, forKey: .actor)
        id = try actor?.ID ?? c.decodeIfPresent(String.self, forKey: .id) ?? ""
        attributes = actor?.Attributes ?? [:]
        if let ns = try c.decodeIfPresent(Int64.self, forKey: .timeNano) {
            timeNano = ns
        } else {
            timeNano = (try c.decodeIfPresent(Int64.self, forKey: .time) ?? 0) * 1_000_000_000
        }
    }
}
