/// What the hub has done, for `/metrics`, the status page and its own Librato metrics. Monotonic counters.
public struct HubCounters: Sendable, Equatable {
    /// Data frames applied (each sequence once).
    public var framesApplied = 0
    /// Frames dropped as duplicates (sequence already applied or buffered).
    public var framesDuplicate = 0
    /// Frames held above a gap, and frames too far above it to hold (the collector retransmits those).
    public var framesBuffered = 0
    public var framesBeyondWindow = 0
    /// Data frames refused while the hub was applying back-pressure.
    public var framesRefusedBackpressure = 0
    /// Frames the collectors reported dropped from their spools (lost).
    public var framesLost: UInt64 = 0
    /// Log lines in those frames, as the collectors reported them.
    public var logLinesLost: UInt64 = 0
    /// Stats samples applied, and individual values in them.
    public var samplesApplied = 0
    public var valuesApplied = 0
    /// Samples ignored: from a collector that does not own the container's stats, or not newer than the last one.
    public var samplesNotOwner = 0
    public var samplesStale = 0
    /// Ownership changes (a collector took over from a silent one).
    public var takeovers = 0
    /// Gauge samples for a period already closed (dropped; their counter deltas went to the open period).
    public var lateGaugeSamples = 0
    /// Log buckets / events for a period already closed (counted in the oldest open period instead).
    public var lateBuckets = 0
    public var lateEvents = 0
    /// Log buckets and events at or below the container's watermark (seen from another collector or re-sent).
    public var bucketsDuplicate = 0
    public var eventsDuplicate = 0
    public var bucketsApplied = 0
    public var logLinesApplied: UInt64 = 0
    public var eventsApplied = 0
    /// Records of containers beyond `maxContainers`, dropped.
    public var seriesOverflow = 0
    /// Records with unknown kinds (from newer collectors), skipped.
    public var recordsSkipped = 0
    /// Periods delivered, measurements accepted/invalid/too old, requests by status.
    public var periodsDelivered = 0
    public var measurementsAccepted = 0
    public var measurementsInvalid = 0
    public var measurementsTooOld = 0
    public var annotationsSent = 0
    public var librato: [Int: Int] = [:]

    public init() {}
}
