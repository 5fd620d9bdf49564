import Timekeeping
import WireFormat

/// How often the collector asks the hub for its ack: every base interval while something is in question, less often
/// while the hub's answers say there is nothing to do.
///
/// Every poll costs the hub a request to open, a ledger lookup and a reply to seal; with a thousand collectors at one
/// poll a second that was a twelfth of the hub's CPU (BENCHMARKS.md, "Fleet scale"). Most of those answers say the
/// same thing: the hub has every frame sent before the poll, and `ackedThrough` moves only when a period is delivered
/// (once a period). So a poll whose answer shows nothing missing and no back-pressure doubles the interval, up to
/// `maxInterval`; an answer with a gap (a frame lost, to be retransmitted) or back-pressure (to resume as soon as it
/// lifts) goes back to the base. A frame lost after a settled answer is seen at the next poll, at most `maxInterval`
/// later, and retransmitted by the hub's `retransmitAfterMs` rule as before.
///
/// The poll loop wakes every base interval and asks ``isDue(now:)``, so that an answer that ends a back-off takes
/// effect at the next base tick rather than after the long sleep already begun.
struct AckPollPacing {
    let base: Duration
    let maxInterval: Duration
    /// The interval the next poll waits for.
    private(set) var interval: Duration
    /// When the last poll went out, and the highest sequence sent by then.
    private var lastPoll: MonotonicInstant?
    private var polledThrough: UInt64 = 0

    init(base: Duration, maxInterval: Duration) {
        self.base = base
        self.maxInterval = max(base, maxInterval)
        self.interval = base
    }

    /// Whether a poll is due at `now` (always, before the first).
    func isDue(now: MonotonicInstant) -> Bool {
        guard let lastPoll else { return true }
        return now - lastPoll >= interval
    }

    /// A poll went out at `now`, when the highest sequence sent was `sentThrough`.
    mutating func polled(now: MonotonicInstant, sentThrough: UInt64) {
        lastPoll = now
        polledThrough = sentThrough
    }

    /// The hub answered: back off when the answer leaves nothing in question, else poll at the base interval.
    mutating func answered(_ ack: Ack) {
        let settled = ack.nextExpected > polledThrough && !ack.flags.contains(.backpressure)
        interval = settled ? min(interval * 2, maxInterval) : base
    }
}
