import ContainerMetrics
import DockerLibratoTesting
import Foundation
import Logging
import Testing
import WireFormat

@_spi(Simulation) @testable import Collector

@Suite("Disk spool segments and the collector state file")
struct DiskSpoolTests {
    func frame(_ sequence: UInt64, size: Int) -> [UInt8] {
        (0..<size).map { UInt8(truncatingIfNeeded: Int(sequence) &* 31 &+ $0) }
    }

    @Test func framesRoundTripAcrossSegments() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let spool = try DiskSpool(directory: dir.path + "/spool", epoch: 42, segmentLimit: 1_000)
        _ = try spool.load(settledThrough: 0, memoryBudget: 0)
        for s in UInt64(1)...10 { try spool.append(sequence: s, frame: frame(s, size: 100 + Int(s) * 10)) }
        try spool.sync()
        #expect(try spool.read(sequence: 7) == frame(7, size: 170))
        spool.close()
        #expect(dir.files("spool").count > 1, "segments of at most ~1000 bytes")
        #expect(dir.files("spool").first == "00000000000000000001.seg")

        let reopened = try DiskSpool(directory: dir.path + "/spool", epoch: 42, segmentLimit: 1_000)
        let loaded = try reopened.load(settledThrough: 3, memoryBudget: 500)
        #expect(loaded.damage.isEmpty)
        #expect(loaded.highestSequence == 10)
        #expect(loaded.frames.map(\.sequence) == Array(4...10), "settled frames are not loaded")
        #expect(loaded.frames.map(\.size) == (4...10).map { 100 + $0 * 10 })
        // 140 + 150 + 160 = 450 bytes fit the memory budget; the rest stays on disk.
        #expect(loaded.frames.map { $0.bytes != nil } == [true, true, true, false, false, false, false])
        #expect(loaded.frames[0].bytes == frame(4, size: 140))
        for s in UInt64(4)...10 { #expect(try reopened.read(sequence: s) == frame(s, size: 100 + Int(s) * 10)) }
        // New appends go to a new segment after the loaded ones.
        try reopened.append(sequence: 11, frame: frame(11, size: 50))
        #expect(dir.files("spool").last == "00000000000000000011.seg")
        #expect(try reopened.read(sequence: 11) == frame(11, size: 50))
    }

    @Test func aTornTailIsTruncatedOnLoad() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let spool = try DiskSpool(directory: dir.path + "/spool", epoch: 42, segmentLimit: 1 << 20)
        _ = try spool.load(settledThrough: 0, memoryBudget: 1 << 20)
        for s in UInt64(1)...3 { try spool.append(sequence: s, frame: frame(s, size: 200)) }
        spool.abandon()
        let path = dir.path + "/spool/00000000000000000001.seg"
        let full = try Data(contentsOf: URL(fileURLWithPath: path))
        let goodLength = DiskSpool.headerLength + 2 * (DiskSpool.recordOverhead + 200)
        // kill -9 in the middle of writing frame 3: only part of its record reached the file.
        try full.prefix(goodLength + 70).write(to: URL(fileURLWithPath: path))

        let reopened = try DiskSpool(directory: dir.path + "/spool", epoch: 42, segmentLimit: 1 << 20)
        let loaded = try reopened.load(settledThrough: 0, memoryBudget: 1 << 20)
        #expect(loaded.frames.map(\.sequence) == [1, 2])
        #expect(loaded.damage == [DiskSpool.Damage(path: path, kind: .tornTail, offset: goodLength)])
        #expect(!loaded.tailCorrupted)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == goodLength, "truncated to the last good record")
        // A second load finds nothing wrong.
        let again = try DiskSpool(directory: dir.path + "/spool", epoch: 42, segmentLimit: 1 << 20).load(settledThrough: 0, memoryBudget: 0)
        #expect(again.damage.isEmpty)
        #expect(again.frames.map(\.sequence) == [1, 2])
    }

    @Test func aCRCMismatchIsDetectedAndEndsTheSegment() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let spool = try DiskSpool(directory: dir.path + "/spool", epoch: 42, segmentLimit: 1 << 20)
        _ = try spool.load(settledThrough: 0, memoryBudget: 0)
        for s in UInt64(1)...4 { try spool.append(sequence: s, frame: frame(s, size: 100)) }
        spool.close()
        let path = dir.path + "/spool/00000000000000000001.seg"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let record2 = DiskSpool.headerLength + DiskSpool.recordOverhead + 100
        bytes[record2 + DiskSpool.recordOverhead + 50] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: path))

        // Reading the altered frame back is refused.
        let live = try DiskSpool(directory: dir.path + "/spool", epoch: 42, segmentLimit: 1 << 20)
        let loaded = try live.load(settledThrough: 0, memoryBudget: 0)
        #expect(loaded.damage == [DiskSpool.Damage(path: path, kind: .crcMismatch, offset: record2)])
        #expect(loaded.frames.map(\.sequence) == [1], "nothing after a bad record is trusted")
        #expect(loaded.highestSequence == 1)
        #expect(loaded.tailCorrupted)
    }

    @Test func aFrameAlteredAfterLoadingIsNotSent() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let spool = try DiskSpool(directory: dir.path + "/spool", epoch: 42, segmentLimit: 1_000)
        _ = try spool.load(settledThrough: 0, memoryBudget: 0)
        for s in UInt64(1)...2 { try spool.append(sequence: s, frame: frame(s, size: 100)) }
        let path = dir.path + "/spool/00000000000000000001.seg"
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.seek(toOffset: UInt64(DiskSpool.headerLength + DiskSpool.recordOverhead + 10))
        try handle.write(contentsOf: [0xFF, 0xFF])
        try handle.close()
        #expect(throws: StateDirectoryError.self) { try spool.read(sequence: 1) }
        #expect(try spool.read(sequence: 2) == frame(2, size: 100))
    }

    @Test func settledSegmentsAreRemovedButNotTheOneBeingWritten() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let spool = try DiskSpool(directory: dir.path + "/spool", epoch: 42, segmentLimit: 400)
        _ = try spool.load(settledThrough: 0, memoryBudget: 0)
        // 116 bytes per record, 16-byte header: three records per segment.
        for s in UInt64(1)...8 { try spool.append(sequence: s, frame: frame(s, size: 100)) }
        #expect(dir.files("spool") == ["00000000000000000001.seg", "00000000000000000004.seg", "00000000000000000007.seg"])
        spool.settle(through: 2)
        #expect(!spool.hasRemovableSegments, "segment 1 still holds 3")
        spool.settle(through: 5)
        #expect(spool.hasRemovableSegments)
        #expect(try spool.removeSettledSegments() == 1)
        #expect(dir.files("spool") == ["00000000000000000004.seg", "00000000000000000007.seg"])
        spool.settle(through: 8)
        #expect(try spool.removeSettledSegments() == 1)
        #expect(dir.files("spool") == ["00000000000000000007.seg"], "the active segment stays until it is full")
        try spool.append(sequence: 9, frame: frame(9, size: 100))
        try spool.append(sequence: 10, frame: frame(10, size: 100))
        #expect(dir.files("spool") == ["00000000000000000007.seg", "00000000000000000010.seg"])
        #expect(try spool.removeSettledSegments() == 0, "9 is not settled")
        #expect(try spool.read(sequence: 9) == frame(9, size: 100))
        spool.settle(through: 9)
        #expect(try spool.removeSettledSegments() == 1)
        #expect(dir.files("spool") == ["00000000000000000010.seg"])
    }

    @Test func segmentsOfAnotherEpochAreRemoved() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let old = try DiskSpool(directory: dir.path + "/spool", epoch: 1, segmentLimit: 1 << 20)
        _ = try old.load(settledThrough: 0, memoryBudget: 0)
        for s in UInt64(1)...3 { try old.append(sequence: s, frame: frame(s, size: 10)) }
        old.close()
        let new = try DiskSpool(directory: dir.path + "/spool", epoch: 2, segmentLimit: 1 << 20)
        let loaded = try new.load(settledThrough: 0, memoryBudget: 0)
        #expect(loaded.otherEpochFrames == 3)
        #expect(loaded.frames.isEmpty)
        #expect(dir.files("spool").isEmpty)
    }

    @Test func aCollectorKilledDuringAnAppendResumesBelowTheTornFrame() async throws {
        let dir = try TemporaryDirectory("torn")
        defer { dir.remove() }
        let configuration = CollectorConfiguration(stateDirectory: dir.path, spoolMemoryBytes: 1 << 20, spoolDiskBytes: 1 << 20)
        let first = try FrameDeliverer(configuration: configuration, engineID: "e", host: "h")
        for i in 0..<5 { try await first.submit(Batch(heartbeats: [Heartbeat(time: Int64(i))])) }
        await first.simulateCrash()
        // The process died in the middle of writing frame 5.
        let segment = dir.path + "/spool/" + dir.files("spool")[0]
        let bytes = try Data(contentsOf: URL(fileURLWithPath: segment))
        try bytes.prefix(bytes.count - 7).write(to: URL(fileURLWithPath: segment))

        let logs = LogCapture()
        let second = try FrameDeliverer(configuration: configuration, engineID: "e", host: "h", logger: logs.logger())
        #expect(second.collectorID == first.collectorID)
        #expect(second.epoch == first.epoch)
        let state = await second.spoolState
        #expect(state.spooledSequences == [1, 2, 3, 4])
        #expect(state.nextSequence == 1025)
        #expect(state.pending == [AbandonedRange(epoch: first.epoch, first: 5, last: 1024, reason: .acknowledged)])
        #expect(state.counters.dropped == 0, "frame 5 was never sent: submit had not returned for it")
        #expect(logs.entries.contains { $0.level == .error && $0.metadata["kind"] == "torn_tail" })
    }

    @Test func theStateFileRoundTripsAndIsReplacedAtomically() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        #expect(try CollectorState.load(directory: dir.path) == nil)
        let state = CollectorState(
            collectorID: CollectorID(high: 0xDEAD_BEEF, low: 0x1234),
            epoch: .max - 5,
            nextSequence: 2049,
            ackedThrough: 1500,
            settledThrough: 1510,
            pendingAbandoned: [AbandonedRange(epoch: .max - 5, first: 1501, last: 1510, reason: .dropped)],
            knownAbandoned: [
                AbandonedRange(epoch: .max - 5, first: 1501, last: 1510, reason: .dropped),
                AbandonedRange(epoch: .max - 5, first: 1520, last: 2048, reason: .acknowledged),
            ]
        )
        try state.write(directory: dir.path)
        #expect(try CollectorState.load(directory: dir.path) == state)
        var next = state
        next.nextSequence = 3073
        try next.write(directory: dir.path)
        #expect(try CollectorState.load(directory: dir.path) == next)
        #expect(dir.files("") == ["collector.json"], "no temporary file left behind")
        try Data("{ not json".utf8).write(to: URL(fileURLWithPath: dir.path + "/collector.json"))
        #expect(throws: StateDirectoryError.self) { try CollectorState.load(directory: dir.path) }
    }
}
