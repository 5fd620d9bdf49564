import Testing

@testable import Librato

@Suite("rate pacer: a load that fits never meets a 429, one that does not is cut to its share")
struct RatePacerTests {
    let pacer = RatePacer(reserveFraction: 0.02)

    @Test func withoutABudgetEverythingGoes() {
        #expect(pacer.allowance(nil, now: 0, periodSeconds: 60) == .max)
    }

    @Test func theWindowIsSharedAmongThePeriodsLeftInIt() {
        // 6,000 per hour-long window, 10 minutes left, 1-minute periods: (remaining − 2 % reserve) / 10.
        let b = RateBudget(limit: 6_000, remaining: 3_120, resetAt: 1_000 + 600, seenAt: 1_000)
        #expect(pacer.allowance(b, now: 1_000, periodSeconds: 60) == 300)
        // The last period of the window gets all that is left.
        #expect(pacer.allowance(b, now: 1_590, periodSeconds: 60) == 3_000)
    }

    @Test func aLoadThatFitsIsAlwaysAllowedWholeAcrossAWindow() {
        // 60 periods per window, a load of exactly the sustainable rate less the reserve.
        let limit = 60_000
        let load = 980
        var remaining = limit
        let start = 10_000.0
        for p in 0..<60 {
            let now = start + Double(p) * 60
            let b = RateBudget(limit: limit, remaining: remaining, resetAt: start + 3_600, seenAt: now)
            let allowed = pacer.allowance(b, now: now, periodSeconds: 60)
            #expect(allowed >= load, "period \(p): \(allowed) < \(load)")
            remaining -= load
        }
        #expect(remaining >= 0, "the window was never overspent")
    }

    @Test func aFreshWindowAfterTheResetIsSharedLikeTheLastOne() {
        let b = RateBudget(limit: 1_000, remaining: 0, resetAt: 2_000, seenAt: 1_400)
        // The old window lasted at least 600 s (10 periods): a tenth of the new one, less the reserve.
        #expect(pacer.allowance(b, now: 2_001, periodSeconds: 60) == 98)
    }

    @Test func anExhaustedWindowAllowsNothingUntilItResets() {
        let b = RateBudget(limit: 1_000, remaining: 10, resetAt: 2_000, seenAt: 1_900)
        #expect(pacer.allowance(b, now: 1_950, periodSeconds: 60) == 0)
    }

    @Test func theBudgetComesFromTheAggregateHeader() {
        let state = RateLimitState(headers: [("X-Librato-RateLimit-Agg", "limit=600,remaining=42,reset=1700000000")], now: 1_699_999_000)
        #expect(RateBudget(state, now: 1_699_999_000) == RateBudget(limit: 600, remaining: 42, resetAt: 1_700_000_000, seenAt: 1_699_999_000))
        #expect(RateBudget(RateLimitState(headers: [("X-Librato-RateLimit-Agg", "remaining=42")], now: 0), now: 0) == nil)
    }

    func headers(_ remaining: Int, reset: Int = 2_000) -> RateLimitState {
        RateLimitState(headers: [("X-Librato-RateLimit-Agg", "limit=600000,remaining=\(remaining),reset=\(reset)")], now: 1_000)
    }

    @Test func theMeterLearnsWhetherTheWindowCountsMeasurementsOrRequests() {
        // A window that counts requests: 300 measurements per request, remaining falls by one each time.
        var requests = RateMeter()
        for i in 0..<3 { requests.observe(headers(599_999 - i), measurements: 300, now: 1_000) }
        let perRequest = try! #require(requests.budget)
        #expect(abs(perRequest.costPerMeasurement - 1.0 / 300) < 1e-9)
        // Some 588,000 requests left for the window: millions of measurements a period, more than any fleet sends.
        #expect(pacer.allowance(perRequest, now: 1_040, periodSeconds: 60) > 1_000_000)
        // A window that counts measurements.
        var measurements = RateMeter()
        for i in 0..<3 { measurements.observe(headers(600_000 - 300 * (i + 1)), measurements: 300, now: 1_000) }
        #expect(measurements.budget?.costPerMeasurement == 1)
        // Until two responses of a window were seen, the cautious reading: one unit per measurement.
        var fresh = RateMeter()
        fresh.observe(headers(599_999), measurements: 300, now: 1_000)
        #expect(fresh.budget?.costPerMeasurement == 1)
        // A new window starts learning again from its own first response, keeping what was learned.
        requests.observe(headers(599_000, reset: 5_600), measurements: 300, now: 2_001)
        #expect(abs((requests.budget?.costPerMeasurement ?? 0) - 1.0 / 300) < 1e-9)
    }
}
