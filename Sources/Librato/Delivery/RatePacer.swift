/// The account's measurement budget as the latest response described it (`X-Librato-RateLimit-Agg`:
/// `limit=…,remaining=…,reset=…`). What the `Agg` window counts is not documented (docs/librato-api.md §5); the
/// pacer takes it to count measurements, as Librato's `measure:raw_rate` limit does — the cautious reading.
public struct RateBudget: Sendable, Equatable {
    /// Measurements allowed per window.
    public var limit: Int
    /// Measurements left in the current window.
    public var remaining: Int
    /// When the window resets, epoch seconds.
    public var resetAt: Double
    /// When the response that said so arrived, epoch seconds.
    public var seenAt: Double

    public init(limit: Int, remaining: Int, resetAt: Double, seenAt: Double) {
        self.limit = limit
        self.remaining = remaining
        self.resetAt = resetAt
        self.seenAt = seenAt
    }

    /// The budget a response's headers describe, nil when they carry no complete `Agg` header.
    public init?(_ state: RateLimitState, now: Double) {
        guard let agg = state.aggregate, let limit = agg.limit, let remaining = agg.remaining, let reset = agg.resetTime(now: now) else { return nil }
        self.init(limit: limit, remaining: remaining, resetAt: reset, seenAt: now)
    }
}

/// How many measurements the hub may send now so that a load that fits the account's limit never meets a 429, and
/// one that does not is cut to what fits — spread over the window, so that every period gets its share (the
/// highest-priority series first) instead of the first periods spending the whole window. Pure.
public struct RatePacer: Sendable, Equatable {
    /// Kept in reserve of every window (annotations, the hub's own metrics, clock skew): a fraction of the limit.
    public var reserveFraction: Double

    public init(reserveFraction: Double = 0.02) {
        self.reserveFraction = reserveFraction
    }

    /// Measurements that may be sent at `now` for one period of `periodSeconds`: what is left of the window (all of
    /// a new window once its reset has passed), less the reserve, divided among the periods left until the reset.
    /// `Int.max` without a budget (no response seen yet).
    public func allowance(_ budget: RateBudget?, now: Double, periodSeconds: Double) -> Int {
        guard let b = budget else { return .max }
        let reserve = Int((Double(b.limit) * reserveFraction).rounded(.up))
        if now >= b.resetAt {
            // The window reset since the last response: a fresh one, whose length we do not know; give this period
            // a whole window's share only if the old window was as short as one period.
            let window = max(b.resetAt - b.seenAt, periodSeconds)
            let periods = max(1, (window / periodSeconds).rounded(.up))
            return max(0, Int(Double(b.limit - reserve) / periods))
        }
        let periodsLeft = max(1, ((b.resetAt - now) / periodSeconds).rounded(.up))
        return max(0, Int(Double(b.remaining - reserve) / periodsLeft))
    }
}
