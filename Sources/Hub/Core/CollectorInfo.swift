import WireFormat

/// What the hub knows about a collector, for the status page and self-metrics.
public struct CollectorInfo: Sendable, Equatable {
    public var id: CollectorID
    public var epoch: UInt64
    public var cluster: String
    public var host: String
    public var engineID: String
    public var firstSeenMs: Int64
    public var lastSeenMs: Int64
    public var frames = 0
    public var duplicates = 0
    /// The latest heartbeat's values (spool depth, containers, …).
    public var heartbeat: [String: Double] = [:]
    public var lostFrames: UInt64 = 0
    public var lostLogLines: UInt64 = 0
    public var ackedThrough: UInt64 = 0
    public var nextExpected: UInt64 = 1
    /// Frames per second over the last minute (exponentially smoothed).
    public var frameRate: Double = 0

    public init(id: CollectorID, epoch: UInt64, cluster: String, host: String, engineID: String, now: Int64) {
        self.id = id
        self.epoch = epoch
        self.cluster = cluster
        self.host = host
        self.engineID = engineID
        self.firstSeenMs = now
        self.lastSeenMs = now
    }

    mutating func seen(at now: Int64) {
        let dt = Double(max(now - lastSeenMs, 1)) / 1000
        let alpha = min(1, dt / 60)
        frameRate = frameRate * (1 - alpha) + (1 / dt) * alpha
        lastSeenMs = now
        frames += 1
    }
}
