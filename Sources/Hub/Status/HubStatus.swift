public import WireFormat

/// A snapshot of the hub for `/healthz`, `/metrics` and the status page.
public struct HubStatus: Sendable {
    public var nowMs: Int64
    public var startedAtMs: Int64
    public var counters: HubCounters
    public var rejects: [RejectReason: Int]
    public var collectors: [CollectorInfo]
    public var liveContainers: Int
    public var pendingPeriods: Int
    public var closedThrough: Int64?
    public var deliveredThrough: Int64?
    public var backpressure: Bool
    public var lastSubmit: HubEngine.SubmitSummary?
    public var periodMs: Int64
}
