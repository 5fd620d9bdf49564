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
    /// The sink sends nothing (no credential): a dry run.
    package var dryRun = false
    /// Periods a closed period may wait for Librato before the hub calls itself unhealthy.
    package var healthPeriods = 3
    /// The control path's requests (answered, refused).
    package var control = AckBoard.Counters()

    /// Whether data is flowing, and why not: unhealthy under back-pressure, or when the oldest period waiting for
    /// Librato closed more than ``healthPeriods`` periods ago.
    package var health: (healthy: Bool, reason: String) {
        if backpressure {
            return (false, "back-pressure: \(pendingPeriods) periods held while Librato does not accept them; collectors keep their frames")
        }
        if pendingPeriods > 0, let delivered = deliveredThrough ?? closedThrough.map({ $0 - periodMs * Int64(pendingPeriods) }) {
            let lag = nowMs - (delivered + periodMs * 2)
            if lag > periodMs * Int64(healthPeriods) {
                let last = lastSubmit.map { "last submission: \($0.accepted) of \($0.measurements) accepted, \($0.requests) requests" } ?? "nothing submitted yet"
                return (false, "Librato has accepted nothing for \(lag / 1000) s (\(pendingPeriods) periods waiting; \(last))")
            }
        }
        if collectors.isEmpty { return (true, "no collector has sent a frame yet") }
        return (true, dryRun ? "data is flowing (dry run: printed, not sent)" : "data is flowing")
    }
}
