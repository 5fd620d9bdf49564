public import ContainerMetrics

/// A value that belongs to the container at index `container` of its frame's ``Batch/containers``.
public struct ContainerRecord<Value: Equatable & Sendable>: Equatable, Sendable {
    public var container: Int
    public var value: Value

    public init(container: Int, _ value: Value) {
        self.container = container
        self.value = value
    }
}

/// Sequences of the sender's current epoch that it will never send (again): the hub stops waiting for them.
public struct AbandonedRange: Equatable, Sendable {
    public enum Reason: UInt8, Sendable {
        /// Dropped by a full spool (drop-oldest): the hub counts them as lost.
        case dropped = 0
        /// Acknowledged earlier (by a hub that has since lost its state): done, not lost.
        case acknowledged = 1
    }

    public var epoch: UInt64
    public var first: UInt64
    public var last: UInt64
    public var reason: Reason
    /// For dropped frames: the log lines each sequence `first…last` carried, so that the hub can count exactly the
    /// lines of the frames it never received. Empty when unknown (e.g. frames restored from disk after a restart).
    public var logLines: [UInt64]

    public init(epoch: UInt64, first: UInt64, last: UInt64, reason: Reason = .dropped, logLines: [UInt64] = []) {
        self.epoch = epoch
        self.first = first
        self.last = last
        self.reason = reason
        self.logLines = logLines
    }

    public var count: UInt64 { last >= first ? last - first + 1 : 0 }
}

/// The hub's cumulative acknowledgement for one collector epoch (sent in control frames).
public struct Ack: Equatable, Sendable {
    /// Every sequence ≤ this one is done: its data was accepted by Librato (or deliberately dropped and counted).
    public var ackedThrough: UInt64
    public var epoch: UInt64
    /// The lowest sequence the hub has not received yet: retransmit from here without waiting for a timeout.
    public var nextExpected: UInt64
    public var flags: Flags
    /// How long the collector should wait after sending a frame before retransmitting it when it is still at or
    /// above ``nextExpected`` (milliseconds; the hub derives it from its period and grace).
    public var retransmitAfterMs: UInt64

    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt64
        public init(rawValue: UInt64) { self.rawValue = rawValue }
        /// The hub holds as much as its bounds allow (Librato down): it will not accept new frames for now.
        public static let backpressure = Flags(rawValue: 1)
    }

    public init(epoch: UInt64, ackedThrough: UInt64, nextExpected: UInt64, flags: Flags = [], retransmitAfterMs: UInt64 = 2_000) {
        self.epoch = epoch
        self.ackedThrough = ackedThrough
        self.nextExpected = nextExpected
        self.flags = flags
        self.retransmitAfterMs = retransmitAfterMs
    }
}

/// The records of one frame. Containers come first and are referred to by index from the other records, so that
/// every frame can be decoded alone.
public struct Batch: Equatable, Sendable {
    public var containers: [ContainerIdentity]
    public var stats: [ContainerRecord<StatsSample>]
    public var logs: [ContainerRecord<LogBucket>]
    public var events: [ContainerRecord<LifecycleEvent>]
    /// Container states (`docker inspect`'s State, health, restart count).
    public var statuses: [ContainerRecord<ContainerStatus>]
    /// Containers of the engine counted by state.
    public var hostStates: [HostStates]
    public var heartbeats: [Heartbeat]
    public var abandoned: [AbandonedRange]
    public var acks: [Ack]
    /// Records of kinds this build does not know, skipped while decoding (sent by a newer collector).
    public var skippedRecords: Int

    public init(
        containers: [ContainerIdentity] = [], stats: [ContainerRecord<StatsSample>] = [], logs: [ContainerRecord<LogBucket>] = [],
        events: [ContainerRecord<LifecycleEvent>] = [], statuses: [ContainerRecord<ContainerStatus>] = [], hostStates: [HostStates] = [],
        heartbeats: [Heartbeat] = [], abandoned: [AbandonedRange] = [], acks: [Ack] = [], skippedRecords: Int = 0
    ) {
        self.containers = containers
        self.stats = stats
        self.logs = logs
        self.events = events
        self.statuses = statuses
        self.hostStates = hostStates
        self.heartbeats = heartbeats
        self.abandoned = abandoned
        self.acks = acks
        self.skippedRecords = skippedRecords
    }

    public var isEmpty: Bool {
        containers.isEmpty && stats.isEmpty && logs.isEmpty && events.isEmpty && statuses.isEmpty && hostStates.isEmpty && heartbeats.isEmpty
            && abandoned.isEmpty && acks.isEmpty
    }

    /// Number of records (what the body's record count says).
    public var recordCount: Int {
        containers.count + stats.count + logs.count + events.count + statuses.count + hostStates.count + heartbeats.count + abandoned.count
            + acks.count
    }

    /// Index of `identity` in ``containers``, appending it when new.
    public mutating func index(of identity: ContainerIdentity) -> Int {
        if let i = containers.firstIndex(of: identity) { return i }
        containers.append(identity)
        return containers.count - 1
    }
}
