@_spi(Simulation) import Collector
import DockerLibratoTesting
import Testing
import WireFormat

@Suite("Spool state machine: memory, disk, drop-oldest, restore")
struct SpoolBoundsTests {
    @Test func memoryOnlySpoolDropsTheOldestWithExactCounts() {
        var d = Driver(memory: 1000, epoch: 7)
        for _ in 0..<3 { d.build(size: 300) }
        #expect(d.droppedActions.isEmpty)
        #expect(d.machine.memoryBytes == 900)
        d.build(size: 300)
        #expect(d.droppedActions == [dropped(7, 1...1)])
        #expect(d.machine.spooledSequences == [2, 3, 4])
        #expect(d.machine.pending == [dropped(7, 1...1)])
        #expect(d.machine.counters.dropped == 1)
        #expect(d.machine.memoryBytes == 900)
        // The next frame carries the report, exactly once.
        d.build(size: 300)
        #expect(d.carried[5] == [dropped(7, 1...1)])
        #expect(d.machine.pending == [dropped(7, 2...2)], "5 pushed out 2")
        d.build(size: 300)
        #expect(d.carried[6] == [dropped(7, 2...2)])
        #expect(d.machine.counters.dropped == 3)
        #expect(d.droppedActions == [dropped(7, 1...1), dropped(7, 2...2), dropped(7, 3...3)])
    }

    @Test func aDroppedCarrierHandsItsReportOn() {
        var d = Driver(memory: 1000, epoch: 7)
        for _ in 0..<4 { d.build(size: 300) }  // drops 1
        d.build(size: 300)  // 5 carries 1...1, drops 2
        d.build(size: 600)  // 6 carries 2...2, drops 3 and 4
        #expect(d.carried[6] == [dropped(7, 2...2)])
        #expect(d.machine.pending == [dropped(7, 3...4)])
        d.build(size: 300)  // 7 carries 3...4, drops 5 (which carried 1...1)
        #expect(d.machine.spooledSequences == [6, 7])
        #expect(d.machine.pending == [dropped(7, 1...1), dropped(7, 5...5)])
        d.build(size: 100)
        #expect(d.carried[8] == [dropped(7, 1...1), dropped(7, 5...5)])
    }

    /// Whatever the sizes, every sequence built is either still spooled or reported dropped in exactly one place: a
    /// surviving frame's batch or the pending list.
    @Test(arguments: [1, 2, 3, 4, 5])
    func everyDroppedSequenceIsReportedExactlyOnce(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        var d = Driver(memory: 2_000, epoch: 7)
        for _ in 0..<300 { d.build(size: Int(rng.next() % 400) + 20) }
        let spooled = Set(d.machine.spooledSequences)
        var reports: [UInt64: Int] = [:]
        let ranges = spooled.flatMap { d.carried[$0] ?? [] } + d.machine.pending
        for range in ranges {
            #expect(range.reason == .dropped && range.epoch == 7)
            for s in range.first...range.last { reports[s, default: 0] += 1 }
        }
        for s in UInt64(1)...300 {
            if spooled.contains(s) {
                #expect(reports[s] == nil, "\(s) is spooled and reported dropped")
            } else {
                #expect(reports[s] == 1, "\(s) reported \(reports[s] ?? 0) times")
            }
        }
        #expect(d.machine.counters.dropped == 300 - spooled.count)
        #expect(d.droppedActions.reduce(0) { $0 + Int($1.count) } == 300 - spooled.count)
        #expect(d.machine.memoryBytes <= 2_000)
    }

    @Test func memoryThenDiskThenDropOldest() {
        // 300-byte frames: 316 bytes each on disk; memory caches two, the disk holds six.
        var d = Driver(memory: 600, disk: 2_000, epoch: 7)
        for _ in 0..<6 { d.build(size: 300) }
        #expect(d.droppedActions.isEmpty)
        #expect(d.machine.memoryBytes == 600)
        #expect(d.machine.diskBytes == 6 * 316)
        d.build(size: 300)
        #expect(d.actions.contains(.dropped(dropped(7, 1...1))))
        #expect(d.actions.contains(.releaseDisk(through: 1)))
        #expect(d.machine.spooledSequences == [2, 3, 4, 5, 6, 7])
        #expect(d.machine.diskBytes == 6 * 316)
        #expect(d.machine.memoryBytes == 300)
        #expect(d.machine.settledThrough == 1)
        let sent = d.sendAll()
        #expect(sent.map(\.sequence) == [2, 3, 4, 5, 6, 7])
        #expect(sent.map { $0.bytes != nil } == [true, false, false, false, false, false], "only 2 is still cached")
        // Acks free disk too.
        d.ack(through: 4, next: 8, now: at(1))
        #expect(d.actions.suffix(2) == [.releaseDisk(through: 4), .buildFrame], "and the hub is there for the pending report")
        #expect(d.machine.diskBytes == 3 * 316)
        #expect(d.machine.memoryBytes == 0)
    }

    @Test func aFrameTheDiskRefusedStaysInMemoryUnderTheMemoryBound() {
        var d = Driver(memory: 500, disk: 10_000, epoch: 7)
        d.build(size: 300, onDisk: true)
        d.build(size: 300, onDisk: false)
        // 600 bytes in memory: the cached copy of 1 (still on disk) goes first, nothing is dropped.
        #expect(d.droppedActions.isEmpty)
        #expect(d.machine.memoryBytes == 300)
        d.build(size: 300, onDisk: false)
        #expect(d.droppedActions == [dropped(7, 2...2)], "then the oldest frame holding memory; 1 is safe on disk")
        #expect(d.machine.spooledSequences == [1, 3])
        #expect(d.machine.settledThrough == 0)
        #expect(d.machine.memoryBytes == 300)
    }

    // MARK: restore

    @Test func restoreResumesTheSpoolAndReportsTheUnusedReservation() {
        let state = CollectorState(collectorID: CollectorID(high: 1, low: 2), epoch: 9, nextSequence: 1025, ackedThrough: 3, settledThrough: 3)
        let configuration = SpoolStateMachine.Configuration(memoryBytes: 150, diskBytes: 1 << 20)
        var m = SpoolStateMachine(
            configuration: configuration,
            restoring: state,
            frames: [(4, 100, [UInt8](repeating: 4, count: 100)), (5, 100, nil), (6, 100, nil)],
            highestOnDisk: 6,
            tailCorrupted: false
        )
        #expect(m.nextSequence == 1025)
        #expect(m.spooledSequences == [4, 5, 6])
        #expect(m.pending == [acknowledged(9, 7...1024)], "no frame ever had 7...1024")
        #expect(m.planFrame().reservation == 1025 + 1024, "a new block is reserved before 1025 is used")
        #expect(m.memoryBytes == 100)
        #expect(m.diskBytes == 3 * 116)
        let first = m.nextTransmission()
        #expect(first?.sequence == 4)
        #expect(first?.isRetransmission == true, "it may have reached the hub before the restart")
        #expect(first?.bytes != nil)
        m.transmitted(first!, now: at(0))
        #expect(m.nextTransmission()?.bytes == nil)
        #expect(m.counters.dropped == 0)
    }

    @Test func restoreAfterDiskDamageReportsTheLostFramesAsDropped() {
        let state = CollectorState(
            collectorID: CollectorID(high: 1, low: 2),
            epoch: 9,
            nextSequence: 20,
            ackedThrough: 3,
            settledThrough: 3,
            pendingAbandoned: [AbandonedRange(epoch: 9, first: 2, last: 3, reason: .dropped)]
        )
        let configuration = SpoolStateMachine.Configuration(memoryBytes: 1 << 20, diskBytes: 1 << 20)
        let m = SpoolStateMachine(
            configuration: configuration,
            restoring: state,
            frames: [(4, 10, nil), (6, 10, nil)],
            highestOnDisk: 6,
            tailCorrupted: true
        )
        // 5 is missing between good frames; 7...19 may have been written and sent after the corruption: all lost.
        #expect(m.pending == [dropped(9, 2...3), dropped(9, 5...5), dropped(9, 7...19)])
        #expect(m.counters.dropped == 1 + 13)
        #expect(m.nextSequence == 20)
        // After a torn tail (kill -9 during an append) the rest was never sent: done, not lost.
        let torn = SpoolStateMachine(
            configuration: configuration,
            restoring: state,
            frames: [(4, 10, nil), (6, 10, nil)],
            highestOnDisk: 6,
            tailCorrupted: false
        )
        #expect(torn.pending == [dropped(9, 2...3), dropped(9, 5...5), acknowledged(9, 7...19)])
        #expect(torn.counters.dropped == 1)
    }

    @Test func gapsExplainedBeforeTheRestartKeepTheirReasonAndAreReportedAgainWhenAsked() {
        // A previous restart skipped 21...1024 (reported as acknowledged in frame 1025, which was spooled but not
        // acknowledged when this one crashed); 11...17 were dropped and reported long ago.
        let state = CollectorState(
            collectorID: CollectorID(high: 1, low: 2),
            epoch: 9,
            nextSequence: 2049,
            ackedThrough: 10,
            settledThrough: 17,
            knownAbandoned: [acknowledged(9, 21...1024)]
        )
        var d = Driver(
            machine: SpoolStateMachine(
                configuration: SpoolStateMachine.Configuration(memoryBytes: 1 << 20, diskBytes: 1 << 20),
                restoring: state,
                frames: [(18, 10, nil), (19, 10, nil), (20, 10, nil), (1025, 10, nil)],
                highestOnDisk: 1025,
                tailCorrupted: false
            )
        )
        #expect(d.machine.counters.dropped == 0, "21...1024 is not a gap left by damage")
        #expect(d.machine.pending == [acknowledged(9, 1026...2048)])
        // A hub that lost its state starts from a retransmission's old acked-through and asks for what we no longer
        // hold: each gap is reported again with its own reason.
        var actions = d.ack(through: 10, next: 11, now: at(0))
        #expect(actions.contains(.buildFrame))
        #expect(d.machine.pending == [dropped(9, 11...17), acknowledged(9, 1026...2048)], "settled but not acknowledged: dropped")
        d.build(size: 1)
        actions = d.ack(through: 20, next: 21, now: at(1))
        #expect(d.machine.pending == [acknowledged(9, 21...1024)])
        #expect(actions.contains(.buildFrame))
        // Asked again before the report arrives: it is on its way, not queued twice.
        d.build(size: 1)
        d.ack(through: 20, next: 21, now: at(1.5))
        #expect(d.machine.pending.isEmpty)
    }

    @Test func restoreWithNothingUnusedReportsNothing() {
        let state = CollectorState(collectorID: CollectorID(high: 1, low: 2), epoch: 9, nextSequence: 7, ackedThrough: 6, settledThrough: 6)
        let m = SpoolStateMachine(
            configuration: SpoolStateMachine.Configuration(memoryBytes: 1 << 20, diskBytes: 1 << 20),
            restoring: state,
            frames: [],
            highestOnDisk: 6,
            tailCorrupted: false
        )
        #expect(m.pending.isEmpty)
        #expect(m.nextSequence == 7)
        #expect(m.spooledSequences.isEmpty)
    }
}

