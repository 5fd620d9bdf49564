import Librato
import WireFormat

/// A snapshot of the hub for `/healthz`, `/metrics` and the status page.
package struct HubStatus: Sendable {
    package var nowMs: Int64
    package var startedAtMs: Int64
    package var counters: HubCounters
    package var rejects: [RejectReason: Int]
    package var collectors: [CollectorInfo]
    package var liveContainers: Int
    package var pendingPeriods: Int
    package var closedThrough: Int64?
    package var deliveredThrough: Int64?
    package var backpressure: Bool
    package var lastSubmit: HubRuntime.SubmitSummary?
    package var periodMs: Int64
    /// Librato's measurement budget as the latest submission left it.
    package var rateBudget: RateBudget?
}
