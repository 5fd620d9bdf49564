import WireFormat

/// What the hub knows about a collector, for the status page and self-metrics.
package struct CollectorInfo: Sendable, Equatable {
    package var id: CollectorID
    package var epoch: UInt64
    package var cluster: String
    package var host: String
    package var engineID: String
    package var firstSeenMs: Int64
    package var lastSeenMs: Int64
    package var frames = 0
    package var duplicates = 0
    /// The latest heartbeat's values (spool depth, containers, …).
    package var heartbeat: [String: Double] = [:]
    package var lostFrames: UInt64 = 0
    package var lostLogLines: UInt64 = 0
    package var ackedThrough: UInt64 = 0
    package var nextExpected: UInt64 = 1
    /// Frames per second over the last minute (exponentially smoothed).
    package var frameRate: Double = 0

    package init(id: CollectorID, epoch: UInt64, cluster: String, host: String, engineID: String, now: Int64) {
        self.id = id
        self.epoch = epoch
        self.cluster = cluster
        self.host = host
        self.engineID = engineID
        self.firstSeenMs = now
        self.lastSeenMs = now
    }

    /// The ledger's counts and positions, after a frame.
    mutating func record(_ ledger: CollectorLedger) {
        lostFrames = ledger.lostFrames
        lostLogLines = ledger.lostLogLines
        ackedThrough = ledger.ackedThrough
        nextExpected = ledger.nextExpected
    }

    mutating func seen(at now: Int64) {
        let dt = Double(max(now - lastSeenMs, 1)) / 1000
        let alpha = min(1, dt / 60)
        frameRate = frameRate * (1 - alpha) + (1 / dt) * alpha
        lastSeenMs = now
        frames += 1
    }
}
