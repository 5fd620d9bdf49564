import Testing
import WireFormat

@_spi(Benchmarks) @testable import Hub

@Suite("collector ledger: ordering, duplicates, gaps, acks")
struct LedgerTests {
    var c = FakeCollector()

    func frames(_ range: ClosedRange<UInt64>) -> [OpenedFrame] { range.map { c.frame(sequence: $0) { _ in } } }

    @Test func inOrderFramesApplyAndDuplicatesAreDropped() {
        var l = CollectorLedger(startingAfter: 0, window: 8)
        for f in frames(1...3) {
            #expect(l.offer(f) == .apply)
            #expect(l.next()?.header.sequence == f.header.sequence)
            #expect(l.next() == nil)
            l.applied(f.header.sequence, period: nil)
        }
        #expect(l.offer(frames(2...2)[0]) == .duplicate)
        l.advance(deliveredThrough: nil)
        #expect(l.ackedThrough == 3)
        #expect(l.nextExpected == 4)
    }

    @Test func aGapHoldsLaterFramesUntilFilled() {
        var l = CollectorLedger(startingAfter: 0, window: 8)
        let f = frames(1...4)
        #expect(l.offer(f[1]) == .buffered)
        #expect(l.offer(f[3]) == .buffered)
        #expect(l.offer(f[3]) == .duplicate)
        #expect(l.nextExpected == 1)
        #expect(l.offer(f[0]) == .apply)
        var applied: [UInt64] = []
        while let n = l.next() { applied.append(n.header.sequence) }
        #expect(applied == [1, 2])  // 3 still missing
        #expect(l.offer(f[2]) == .apply)
        while let n = l.next() { applied.append(n.header.sequence) }
        #expect(applied == [1, 2, 3, 4])
    }

    @Test func framesBeyondTheWindowAreRefused() {
        var l = CollectorLedger(startingAfter: 0, window: 4)
        #expect(l.offer(c.frame(sequence: 6) { _ in }) == .beyondWindow)
        #expect(l.offer(c.frame(sequence: 5) { _ in }) == .buffered)
    }

    @Test func acksWaitForDeliveryOfTheLatestPeriodTouched() {
        var l = CollectorLedger(startingAfter: 0, window: 8)
        for (seq, period) in [(1, Int64(0)), (2, nil), (3, 60_000)] as [(UInt64, Int64?)] {
            _ = l.offer(c.frame(sequence: seq) { _ in })
            _ = l.next()
            l.applied(seq, period: period)
        }
        l.advance(deliveredThrough: nil)
        #expect(l.ackedThrough == 0)
        l.advance(deliveredThrough: 0)
        #expect(l.ackedThrough == 2)  // frame 2 had no data: done once frame 1 is
        l.advance(deliveredThrough: 60_000)
        #expect(l.ackedThrough == 3)
    }

    @Test func abandonedRangesFillGapsAndCountLoss() {
        var l = CollectorLedger(startingAfter: 0, window: 8)
        var f5 = c.frame(sequence: 5) { _ in }
        f5.batch.abandoned = [AbandonedRange(epoch: 1, first: 1, last: 4, reason: .dropped)]
        l.abandon(f5.batch.abandoned[0])
        #expect(l.offer(f5) == .apply)
        #expect(l.next()?.header.sequence == 5)
        #expect(l.lostFrames == 4)
        var l2 = CollectorLedger(startingAfter: 0, window: 8)
        l2.abandon(AbandonedRange(epoch: 1, first: 1, last: 4, reason: .acknowledged))
        #expect(l2.lostFrames == 0)
        #expect(l2.offer(f5) == .apply)
    }

    /// The next frame is held aside until ``CollectorLedger/next()`` takes it (not in the reorder buffer): it must
    /// still be a duplicate when offered again, stay ahead of frames offered after it, and be applied — not skipped —
    /// when an abandoned range announced meanwhile covers it.
    @Test func theNextFrameHeldForApplyingBehavesLikeABufferedOne() {
        var l = CollectorLedger(startingAfter: 0, window: 8)
        let f = frames(1...3)
        #expect(l.offer(f[0]) == .apply)
        #expect(l.offer(f[0]) == .duplicate)
        #expect(l.bufferedCount == 1)
        #expect(l.offer(f[2]) == .apply)  // 1 is still ready: 1 then (2 missing) nothing more
        var applied: [UInt64] = []
        while let n = l.next() { applied.append(n.header.sequence) }
        #expect(applied == [1])
        #expect(l.offer(f[1]) == .apply)
        while let n = l.next() { applied.append(n.header.sequence) }
        #expect(applied == [1, 2, 3])

        var m = CollectorLedger(startingAfter: 0, window: 8)
        #expect(m.offer(f[0]) == .apply)
        m.abandon(AbandonedRange(epoch: 1, first: 1, last: 2, reason: .dropped))
        #expect(m.next()?.header.sequence == 1)  // arrived although announced dropped: applied, not lost
        #expect(m.next() == nil)
        #expect(m.lostFrames == 1)  // only 2
        #expect(m.offer(f[2]) == .apply)
        #expect(m.next()?.header.sequence == 3)

        var n = CollectorLedger(startingAfter: 0, window: 8)
        #expect(n.offer(f[0]) == .apply)
        n.collectorAcked(through: 1)  // acknowledged by an earlier hub: never applied twice
        #expect(n.next() == nil)
        #expect(n.bufferedCount == 0)
    }

    @Test func theCollectorsAckedThroughMovesAStatelessHubForward() {
        var l = CollectorLedger(startingAfter: 0, window: 8)
        l.collectorAcked(through: 10)
        #expect(l.nextExpected == 11)
        #expect(l.offer(c.frame(sequence: 9) { _ in }) == .duplicate)
        #expect(l.offer(c.frame(sequence: 11) { _ in }) == .apply)
    }
}

@Suite("collector ledger: abandoned ranges are idempotent")
struct AbandonTests {
    var c = FakeCollector()

    @Test func aFrameAnnouncedDroppedButReceivedIsAppliedNotLost() {
        var l = CollectorLedger(startingAfter: 0, window: 8)
        #expect(l.offer(c.frame(sequence: 2) { _ in }) == .buffered)
        l.abandon(AbandonedRange(epoch: 1, first: 1, last: 3, reason: .dropped))
        l.abandon(AbandonedRange(epoch: 1, first: 1, last: 3, reason: .dropped))  // reported twice
        #expect(l.offer(c.frame(sequence: 4) { _ in }) == .apply)
        var applied: [UInt64] = []
        while let f = l.next() { applied.append(f.header.sequence) }
        #expect(applied == [2, 4])
        #expect(l.lostFrames == 2)  // 1 and 3
    }

    @Test func lostLogLinesCountOnlyFramesThatNeverArrived() {
        var l = CollectorLedger(startingAfter: 0, window: 8)
        #expect(l.offer(c.frame(sequence: 2) { _ in }) == .buffered)
        l.abandon(AbandonedRange(epoch: 1, first: 1, last: 3, reason: .dropped, logLines: [10, 20, 30]))
        #expect(l.offer(c.frame(sequence: 4) { _ in }) == .apply)
        while l.next() != nil {}
        #expect(l.lostLogLines == 40)  // frames 1 and 3; frame 2 arrived
    }

    @Test func aRestartedCollectorsReservedBlockDoesNotTripTheWindow() {
        // The collector restarted at 1025; 21…1024 were never used (acknowledged), announced in frame 1025.
        var l = CollectorLedger(startingAfter: 20, window: 256)
        var f = c.frame(sequence: 1025) { _ in }
        f.batch.abandoned = [AbandonedRange(epoch: 1, first: 21, last: 1024, reason: .acknowledged)]
        l.abandon(f.batch.abandoned[0])
        #expect(l.offer(f) == .apply)
        #expect(l.next()?.header.sequence == 1025)
        #expect(l.lostFrames == 0)
    }
}
