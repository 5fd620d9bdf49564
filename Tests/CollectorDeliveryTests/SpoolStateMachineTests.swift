@_spi(Simulation) import Collector
import Testing
import WireFormat

@Suite("Spool state machine: sequences, sending, acks, retransmission")
struct SpoolStateMachineTests {
    @Test func sequencesStartAtOneAndNeverRepeat() {
        var d = Driver(memory: 1 << 20)
        #expect(d.machine.planFrame().sequence == 1)
        #expect(d.machine.planFrame().reservation == nil, "no state file without a disk tier")
        for expected in UInt64(1)...5 { #expect(d.build() == expected) }
        #expect(d.machine.nextSequence == 6)
        #expect(d.sendAll().map(\.sequence) == [1, 2, 3, 4, 5])
    }

    @Test func sequencesAreReservedInTheStateFileBeforeUse() {
        var d = Driver(memory: 1 << 20, disk: 1 << 20, block: 3)
        #expect(d.machine.planFrame().reservation == 4)
        for _ in 0..<7 { d.build() }
        #expect(d.reservations == [4, 7, 10], "one state write per block of 3, before its first sequence")
        #expect(d.machine.state().nextSequence == 10)
    }

    @Test func ackAfterSendFreesEverythingAtOrBelowIt() {
        var d = Driver(memory: 1 << 20)
        for _ in 0..<3 { d.build() }
        d.sendAll(now: at(0))
        let actions = d.ack(through: 2, next: 4, now: at(0.5))
        #expect(actions.isEmpty)
        #expect(d.machine.spooledSequences == [3])
        #expect(d.machine.ackedThrough == 2)
        #expect(d.machine.counters.acked == 2)
        #expect(d.machine.nextTransmission() == nil, "3 was sent and the hub has it: nothing to send")
    }

    @Test func ackBeforeSendSkipsTheAcknowledgedFrames() {
        // After a restart the spool is resent from disk; the hub may ack frames before we get to resend them.
        var d = Driver(memory: 1 << 20)
        for _ in 0..<3 { d.build() }
        d.ack(through: 2, next: 3, now: at(0))
        #expect(d.sendAll().map(\.sequence) == [3])
        #expect(d.machine.counters.acked == 2)
    }

    @Test func duplicateOldAndLostAcks() {
        var d = Driver(memory: 1 << 20)
        for _ in 0..<6 { d.build() }
        d.sendAll(now: at(0))
        // The ack for 1...2 is lost; the next one is cumulative.
        d.ack(through: 4, next: 7, now: at(1))
        #expect(d.machine.spooledSequences == [5, 6])
        // A duplicate changes nothing.
        #expect(d.ack(through: 4, next: 7, now: at(1.1)).isEmpty)
        #expect(d.machine.spooledSequences == [5, 6])
        #expect(d.machine.counters.acked == 4)
        // An older ack frees nothing and resurrects nothing; our acked-through stays.
        d.ack(through: 3, next: 5, now: at(1.2))
        #expect(d.machine.ackedThrough == 4)
        #expect(d.machine.spooledSequences == [5, 6])
        // An ack beyond what was built says nothing about our frames.
        d.ack(through: 99, next: 100, now: at(1.3))
        #expect(d.machine.ackedThrough == 6)
        #expect(d.machine.spooledSequences == [])
    }

    @Test func acksForAnotherEpochAreIgnored() {
        var d = Driver(memory: 1 << 20, epoch: 7)
        for _ in 0..<3 { d.build() }
        d.sendAll(now: at(0))
        #expect(d.ack(through: 3, next: 1, epoch: 8, now: at(10)).isEmpty)
        #expect(d.machine.spooledSequences == [1, 2, 3])
        #expect(d.machine.counters.acksIgnored == 1)
        #expect(d.machine.nextTransmission() == nil, "no retransmission on another epoch's nextExpected")
        #expect(d.machine.hubNextExpected == nil)
    }

    @Test func retransmitsOnlyFramesSentLongEnoughBeforeTheAck() {
        var d = Driver(memory: 1 << 20)
        for _ in 0..<3 { d.build() }
        d.sendAll(now: at(0))
        d.build()
        d.sendAll(now: at(1.5))
        // 1.9 s after the first sends: still in flight as far as we can tell.
        d.ack(through: 0, next: 1, retransmitAfterMs: 2_000, now: at(1.9))
        #expect(d.machine.nextTransmission() == nil)
        // 2 s: frames 1...3 are due, in order; 4 (sent at 1.5 s) is not.
        let actions = d.ack(through: 0, next: 1, retransmitAfterMs: 2_000, now: at(2))
        #expect(actions == [.transmit])
        let resent = d.sendAll(now: at(2))
        #expect(resent.map(\.sequence) == [1, 2, 3])
        #expect(resent.allSatisfy { $0.isRetransmission })
        #expect(d.machine.counters.retransmitted == 3)
        #expect(d.machine.counters.sent == 7)
        // The hub still lacks them a second later: not yet (resent at 2 s), but 4 is due now.
        d.ack(through: 0, next: 1, retransmitAfterMs: 2_000, now: at(3.6))
        #expect(d.sendAll(now: at(3.6)).map(\.sequence) == [4])
        d.ack(through: 0, next: 1, retransmitAfterMs: 2_000, now: at(4))
        #expect(d.sendAll(now: at(4)).map(\.sequence) == [1, 2, 3])
    }

    @Test func retransmitsFromNextExpectedWhenItRewindsAfterAHubRestart() {
        var d = Driver(memory: 1 << 20)
        for _ in 0..<6 { d.build() }
        d.sendAll(now: at(0))
        d.ack(through: 2, next: 7, now: at(1))
        #expect(d.machine.nextTransmission() == nil)
        // The hub restarts with its state (acked through 2) but lost 5 and 6 in flight.
        d.ack(through: 2, next: 5, now: at(3))
        #expect(d.sendAll(now: at(3)).map(\.sequence) == [5, 6], "3 and 4 arrived: not resent")
        #expect(d.machine.pending.isEmpty)
    }

    @Test func hubAskingForAcknowledgedFramesGetsAnAcknowledgedRange() {
        var d = Driver(memory: 1 << 20, epoch: 7)
        for _ in 0..<6 { d.build() }
        d.sendAll(now: at(0))
        d.ack(through: 4, next: 7, now: at(1))
        // A hub without state started its ledger at a retransmitted frame's old acked-through (2).
        let actions = d.ack(through: 2, next: 3, now: at(5))
        #expect(actions.contains(.buildFrame))
        #expect(d.machine.pending == [acknowledged(7, 3...4)])
        #expect(d.machine.ackedThrough == 4, "a lower ack never lowers ours")
        let carrier = d.build(now: at(5))
        #expect(carrier == 7)
        #expect(d.carried[7] == [acknowledged(7, 3...4)])
        #expect(d.machine.pending.isEmpty)
        #expect(d.sendAll(now: at(5)).map(\.sequence) == [5, 7, 6], "5, 6 resent (interleaved with the new frame 7)")
        // The hub repeats its ack before it sees frame 7: no second report, 7 is retransmitted like any frame.
        #expect(!d.ack(through: 2, next: 3, now: at(6)).contains(.buildFrame))
        #expect(d.machine.pending.isEmpty)
        d.ack(through: 2, next: 3, now: at(7.5))
        #expect(d.sendAll(now: at(7.5)).map(\.sequence) == [5, 6, 7])
        // Once the carrier is acknowledged, a hub that loses its state again gets a new report.
        d.ack(through: 7, next: 8, now: at(8))
        d.ack(through: 0, next: 1, now: at(9))
        #expect(d.machine.pending == [acknowledged(7, 1...7)])
    }

    @Test func newFramesAndRetransmissionsInterleave() {
        var d = Driver(memory: 1 << 20, ratio: 1)
        for _ in 0..<5 { d.build() }
        d.sendAll(now: at(0))
        for _ in 0..<2 { d.build() }
        d.ack(through: 0, next: 1, now: at(3))
        #expect(d.sendAll(now: at(3)).map(\.sequence) == [1, 6, 2, 7, 3, 4, 5])

        var e = Driver(memory: 1 << 20, ratio: 2)
        for _ in 0..<5 { e.build() }
        e.sendAll(now: at(0))
        for _ in 0..<2 { e.build() }
        e.ack(through: 0, next: 1, now: at(3))
        #expect(e.sendAll(now: at(3)).map(\.sequence) == [1, 2, 6, 3, 4, 7, 5])
    }

    @Test func retransmissionIsLimitedPerAck() {
        var d = Driver(memory: 1 << 20, budget: 250)
        for _ in 0..<6 { d.build(size: 100) }
        d.sendAll(now: at(0))
        d.ack(through: 0, next: 1, now: at(3))
        #expect(d.sendAll(now: at(3)).map(\.sequence) == [1, 2, 3], "budget of 250 bytes: three 100-byte frames")
        d.ack(through: 0, next: 1, now: at(4))
        #expect(d.sendAll(now: at(4)).map(\.sequence) == [4, 5, 6], "the next ack schedules the rest")
    }

    @Test func backpressureStopsRetransmissionButKeepsSpooling() {
        var d = Driver(memory: 1 << 20)
        for _ in 0..<3 { d.build() }
        d.sendAll(now: at(0))
        #expect(d.ack(through: 1, next: 2, backpressure: true, now: at(5)).isEmpty)
        #expect(d.machine.backpressure)
        #expect(d.machine.nextTransmission() == nil, "no retransmission under back-pressure")
        d.build()
        #expect(d.machine.spooledSequences == [2, 3, 4])
        #expect(d.sendAll(now: at(5)).map(\.sequence) == [4], "a new frame is still sent once")
        d.ack(through: 1, next: 2, now: at(8))
        #expect(!d.machine.backpressure)
        #expect(d.sendAll(now: at(8)).map(\.sequence) == [2, 3, 4])
    }

    @Test func heartbeatsAndFsyncsFallDueWithTheClock() {
        var d = Driver(memory: 1 << 20, disk: 1 << 20)
        #expect(d.machine.tick(now: at(0)).isEmpty, "the first tick starts the heartbeat clock")
        #expect(d.machine.tick(now: at(9.9)).isEmpty)
        #expect(d.machine.tick(now: at(10)) == [.buildHeartbeat])
        #expect(d.machine.tick(now: at(15)).isEmpty)
        #expect(d.machine.tick(now: at(20)) == [.buildHeartbeat])
        d.build(now: at(20.01))
        #expect(d.machine.tick(now: at(20.02)) == [.syncDisk])
        d.machine.diskSynced(now: at(20.02))
        #expect(d.machine.tick(now: at(20.03)).isEmpty)
        d.build(now: at(20.04))
        #expect(d.machine.tick(now: at(20.05)).isEmpty, "at most one fsync per 100 ms")
        #expect(d.machine.tick(now: at(20.12)) == [.syncDisk])
    }

    @Test func aFrameThatCannotBeReadBackIsDroppedAndReported() {
        var d = Driver(memory: 0, disk: 1 << 20, epoch: 7)
        for _ in 0..<3 { d.build() }
        #expect(d.machine.nextTransmission()?.bytes == nil, "beyond the memory cache: read from disk")
        let actions = d.machine.frameUnreadable(sequence: 2)
        #expect(actions == [.dropped(dropped(7, 2...2))])
        #expect(d.machine.spooledSequences == [1, 3])
        #expect(d.machine.settledThrough == 0, "1 is not settled, so nothing above it is")
        #expect(d.machine.pending == [dropped(7, 2...2)])
        #expect(d.machine.counters.dropped == 1)
    }
}
