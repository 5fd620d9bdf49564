import Timekeeping
/// How the client waits between attempts. Every delay is bounded; nothing is retried forever except within the
/// data's own deadline (``maxAge``), after which a measurement is dropped as too old.
public struct RetryPolicy: Sendable, Hashable {
    /// First delay after a 5xx, timeout or connection error (doubled per consecutive failure).
    public var initialBackoff: Duration
    /// Largest such delay.
    public var maxBackoff: Duration
    /// Delay between attempts after 401, 403 (not rate limit) and other configuration errors: the data is kept,
    /// but retrying fast cannot help until an operator fixes something.
    public var slowRetryInterval: Duration
    /// Longest pause for a rate limit, whatever the `reset`/`Retry-After` headers say.
    public var maxRateLimitWait: Duration
    /// Measurements whose time is older than this are dropped (counted and logged) instead of sent: Librato
    /// rejects `measure_time` older than about 120 minutes (docs/librato-api.md §4, UNCONFIRMED exact window).
    public var maxAge: Duration
    /// Seed for the jitter; nil picks a random one. Tests set it to make delays reproducible.
    public var jitterSeed: UInt64?

    /// The defaults: 1 s doubling to 60 s, slow retry every 60 s, rate-limit pauses ≤ 5 min, max age 110 min.
    public init(
        initialBackoff: Duration = .seconds(1),
        maxBackoff: Duration = .seconds(60),
        slowRetryInterval: Duration = .seconds(60),
        maxRateLimitWait: Duration = .seconds(300),
        maxAge: Duration = .seconds(110 * 60),
        jitterSeed: UInt64? = nil
    ) {
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.slowRetryInterval = slowRetryInterval
        self.maxRateLimitWait = maxRateLimitWait
        self.maxAge = maxAge
        self.jitterSeed = jitterSeed
    }

    /// The un-jittered delay after `failures` consecutive failures (≥ 1): initial × 2^(failures−1), capped.
    public func backoff(failures: Int) -> Double {
        let base = initialBackoff.seconds
        let cap = maxBackoff.seconds
        let exponent = min(max(failures - 1, 0), 60)
        return min(cap, base * Double(sign: .plus, exponent: exponent, significand: 1))
    }
}

/// A tiny deterministic generator (SplitMix64) for jitter, so the state machine stays a pure value.
struct SplitMix64: RandomNumberGenerator, Sendable, Hashable {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
