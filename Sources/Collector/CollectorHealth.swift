import Synchronization

/// Whether data is flowing from this collector to the hub, for `/healthz`: healthy while its frames are
/// acknowledged; unhealthy once frames have waited longer than ``maxAckAge`` for an acknowledgement, with the
/// likely cause (the same words as the "no acknowledgement" warning in the log).
public final class CollectorHealth: Sendable {
    /// How long frames may wait for an acknowledgement before the collector calls itself unhealthy
    /// (`HEALTH_MAX_ACK_AGE`, default 300 s: five default periods, time for the hub to deliver a period to Librato
    /// several times over).
    public let maxAckAge: Duration
    private let state = Mutex<(ackAgeSeconds: Int, waitingFrames: Int, reason: String)>((0, 0, "starting"))

    public init(maxAckAge: Duration = .seconds(300)) {
        self.maxAckAge = maxAckAge
    }

    func update(ackAgeSeconds: Int, waitingFrames: Int, reason: String) {
        state.withLock { $0 = (ackAgeSeconds, waitingFrames, reason) }
    }

    /// (healthy, why).
    public var status: (healthy: Bool, reason: String) {
        let s = state.withLock { $0 }
        if s.waitingFrames > 0, Double(s.ackAgeSeconds) > Double(maxAckAge.components.seconds) {
            return (false, "no acknowledgement from the hub for \(s.ackAgeSeconds) s with \(s.waitingFrames) frames waiting: \(s.reason)")
        }
        return (true, s.waitingFrames == 0 ? "every frame acknowledged" : "frames acknowledged \(s.ackAgeSeconds) s ago")
    }
}
