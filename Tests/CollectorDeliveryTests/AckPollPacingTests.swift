import Testing
import Timekeeping
import WireFormat

@testable import Collector

/// The ack poll backs off while the hub's answers leave nothing in question, and returns to the base interval as soon
/// as one shows a gap or back-pressure (the hub's control load per collector, BENCHMARKS.md "Fleet scale").
@Suite("delivery: ack poll pacing")
struct AckPollPacingTests {
    func at(_ seconds: Int) -> MonotonicInstant { .zero + .seconds(seconds) }

    @Test func settledAnswersDoubleTheIntervalUpToTheMaximum() {
        var p = AckPollPacing(base: .seconds(1), maxInterval: .seconds(4))
        var seen: [Duration] = []
        for i in 1...4 {
            p.polled(now: at(i), sentThrough: UInt64(i))
            p.answered(Ack(epoch: 1, ackedThrough: 0, nextExpected: UInt64(i) + 1))
            seen.append(p.interval)
        }
        #expect(seen == [.seconds(2), .seconds(4), .seconds(4), .seconds(4)])
    }

    @Test func aGapOrBackPressureReturnsToTheBaseInterval() {
        var p = AckPollPacing(base: .seconds(1), maxInterval: .seconds(4))
        p.polled(now: at(0), sentThrough: 5)
        p.answered(Ack(epoch: 1, ackedThrough: 0, nextExpected: 6))
        #expect(p.interval == .seconds(2))
        // Frame 6 was sent before the poll and the hub has not got it: a lost frame, to be retransmitted.
        p.polled(now: at(2), sentThrough: 6)
        p.answered(Ack(epoch: 1, ackedThrough: 0, nextExpected: 6))
        #expect(p.interval == .seconds(1))
        p.polled(now: at(3), sentThrough: 6)
        p.answered(Ack(epoch: 1, ackedThrough: 0, nextExpected: 7))
        #expect(p.interval == .seconds(2))
        p.polled(now: at(5), sentThrough: 6)
        p.answered(Ack(epoch: 1, ackedThrough: 0, nextExpected: 7, flags: .backpressure))
        #expect(p.interval == .seconds(1))
    }

    @Test func aPollIsDueFirstAtOnceThenWhenTheIntervalHasPassedSinceTheLast() {
        var p = AckPollPacing(base: .seconds(1), maxInterval: .seconds(4))
        #expect(p.isDue(now: at(0)))
        p.polled(now: at(0), sentThrough: 0)
        p.answered(Ack(epoch: 1, ackedThrough: 0, nextExpected: 1))
        #expect(!p.isDue(now: at(1)))
        #expect(p.isDue(now: at(2)))
        // An answer that ends the back-off takes effect at the next base tick, not after the longer wait.
        p.polled(now: at(2), sentThrough: 3)
        p.answered(Ack(epoch: 1, ackedThrough: 0, nextExpected: 2))
        #expect(p.isDue(now: at(3)))
    }

    @Test func theMaximumIsNeverBelowTheBase() {
        let p = AckPollPacing(base: .seconds(2), maxInterval: .seconds(1))
        #expect(p.maxInterval == .seconds(2))
    }
}
