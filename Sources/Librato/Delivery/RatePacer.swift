/// The account's budget as the latest response described it (`X-Librato-RateLimit-Agg`: `limit=…,remaining=…,reset=…`).
/// What the `Agg` window counts is not documented (docs/librato-api.md §5): Librato's `measure:raw_rate` suggests
/// measurements, the header's name could mean requests. ``costPerMeasurement`` says which, as ``RateMeter`` learns it
/// from successive responses (1 when a measurement costs one unit; about 1/300 when the window counts requests).
public struct RateBudget: Sendable, Equatable {
    /// Measurements allowed per window.
    public var limit: Int
    /// Measurements left in the current window.
    public var remaining: Int
    /// When the window resets, epoch seconds.
    public var resetAt: Double
    /// When the response that said so arrived, epoch seconds.
    public var seenAt: Double
    /// Units of the window one measurement costs (1 until learned otherwise: the cautious reading).
    public var costPerMeasurement: Double

    public init(limit: Int, remaining: Int, resetAt: Double, seenAt: Double, costPerMeasurement: Double = 1) {
        self.limit = limit
        self.remaining = remaining
        self.resetAt = resetAt
        self.seenAt = seenAt
        self.costPerMeasurement = costPerMeasurement
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
            return Self.measurements(Double(b.limit - reserve) / periods, b)
        }
        let periodsLeft = max(1, ((b.resetAt - now) / periodSeconds).rounded(.up))
        return Self.measurements(Double(b.remaining - reserve) / periodsLeft, b)
    }

    static func measurements(_ units: Double, _ b: RateBudget) -> Int {
        let n = max(0, units) / max(b.costPerMeasurement, 1e-9)
        return n >= Double(Int.max / 2) ? Int.max / 2 : Int(n)
    }
}

/// Learns what one measurement costs in the rate-limit window's unit from successive responses of one window: the
/// window's `remaining` fell by so much while so many measurements were sent.
public struct RateMeter: Sendable {
    public private(set) var budget: RateBudget?
    /// `remaining` at the first response of the current window, and the measurements sent in requests answered
    /// since.
    private var windowStart: (reset: Double, remaining: Int, measurements: Int)?
    private var cost: Double = 1

    public init() {}

    /// A response to a request that carried `measurements` measurements.
    public mutating func observe(_ state: RateLimitState, measurements: Int, now: Double) {
        guard var seen = RateBudget(state, now: now) else { return }
        if let w = windowStart, w.reset == seen.resetAt, seen.remaining <= w.remaining {
            let sent = w.measurements + measurements
            windowStart = (w.reset, w.remaining, sent)
            // Enough to tell apart "one per measurement" from "one per request" (batches are tens to hundreds).
            if sent >= 20 { cost = Double(w.remaining - seen.remaining) / Double(sent) }
        } else {
            windowStart = (seen.resetAt, seen.remaining, 0)
        }
        seen.costPerMeasurement = cost
        budget = seen
    }
}
