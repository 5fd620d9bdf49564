/// The hub's knobs. The CLI fills them from flags and environment variables (the names the original docker-librato and the docker CLI use); tests build them directly.
public struct HubConfiguration: Sendable {
    /// `LIBRATO_PERIOD`: aggregation period in milliseconds (the original's name and unit), default 60 000.
    public var periodMs: Int64
    /// A period is closed (and submitted) this long after its end, so that late frames still make it.
    public var graceMs: Int64
    /// After the hub starts, no period is closed for this long: collectors reconnect and retransmit first.
    public var startupGraceMs: Int64
    /// Stats of a container come from one collector at a time; another takes over when the owner's samples stop
    /// for this long (measured on the samples' own clocks).
    public var takeoverAfterMs: Int64
    /// Frames above a gap in a collector's sequence are held up to this many per collector.
    public var reorderWindow: Int
    /// Bound on live container series; data of further containers is dropped and counted.
    public var maxContainers: Int
    /// Closed periods waiting for Librato (e.g. while it is down) before the hub applies back-pressure.
    public var maxPendingPeriods: Int
    /// Containers and collectors not heard from for this long are forgotten (their watermarks too).
    public var retainMs: Int64
    /// Acks tell collectors to retransmit frames at or above `nextExpected` sent longer ago than this.
    public var retransmitAfterMs: Int64
    /// The cluster the hub's own self-metrics are posted under.
    public var selfCluster: String
    /// `HUB_HEALTH_PERIODS`: `/healthz` turns unhealthy when a closed period has waited this many periods for Librato.
    public var healthPeriods: Int = 3
    /// Software prefetch of the next containers' state while a frame is applied (HubCore+Prefetch.swift). Always on
    /// in the hub; HubBench turns it off to measure what it buys in the same process (`--ab-prefetch`).
    @_spi(Benchmarks) public var prefetchHints = true

    public init(
        periodMs: Int64 = 60_000, graceMs: Int64 = 4_000, startupGraceMs: Int64 = 15_000, takeoverAfterMs: Int64 = 25_000,
        reorderWindow: Int = 1024, maxContainers: Int = 20_000, maxPendingPeriods: Int = 150, retainMs: Int64 = 2 * 3_600_000,
        retransmitAfterMs: Int64 = 3_000, selfCluster: String = "docker"
    ) {
        self.periodMs = periodMs
        self.graceMs = graceMs
        self.startupGraceMs = startupGraceMs
        self.takeoverAfterMs = takeoverAfterMs
        self.reorderWindow = reorderWindow
        self.maxContainers = maxContainers
        self.maxPendingPeriods = maxPendingPeriods
        self.retainMs = retainMs
        self.retransmitAfterMs = retransmitAfterMs
        self.selfCluster = selfCluster
    }

    /// After a restart, periods stay open at most this long while collectors replay what they held
    /// (``HubCore/isRecovering(now:)``): the startup grace and two periods.
    public var recoveryLimitMs: Int64 { startupGraceMs + 2 * periodMs }

    /// The start of the period containing `ms` (floor, also for negative times).
    @inline(__always)
    public func period(ofMs ms: Int64) -> Int64 {
        let r = ms % periodMs
        return r >= 0 ? ms - r : ms - r - periodMs
    }
}
