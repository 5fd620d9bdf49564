// Test-only code: Foundation for a temporary directory.
import ContainerMetrics
import DockerLibratoTesting
import Foundation
import Librato
import Logging
import Testing
import Timekeeping
import WireFormat

@_spi(Benchmarks) @testable import Hub

/// What a hub restarted in the middle of things does: it waits for the collectors' replay before closing periods, and
/// it does not post again the part of a period that it delivered before it stopped.
@Suite("hub restart: recovery before closing, delivery progress")
struct RestartRecoveryTests {
    let config = HubConfiguration(periodMs: 60_000, graceMs: 4_000, startupGraceMs: 15_000, takeoverAfterMs: 25_000)

    /// A hub that took each frame at its time and delivered nothing: its state file names the collectors.
    func stateAfter(_ frames: [(OpenedFrame, Int64)]) throws -> HubStateFile {
        var hub = HubCore(configuration: config, now: 0)
        for (f, t) in frames { hub.ingest(f, now: t) }
        let store = HubStateStore(directory: nil)
        return try store.decode(store.encode(hub.stateFile()))
    }

    @Test("periods stay open while a collector alive before the crash replays; one long silent is not waited for")
    func periodsWaitForTheReplay() throws {
        var a = FakeCollector()
        var b = FakeCollector()
        var sent: [OpenedFrame] = []
        for t in stride(from: Int64(60_000), through: 110_000, by: 10_000) {
            sent.append(a.frame { $0.stats(web, sample(at: t)) })
        }
        // B was last heard from more than two periods before A.
        let state = try stateAfter([(b.frame { $0.stats(db, sample(at: 0)) }, 0)] + sent.map { ($0, 130_000) })
        #expect(state.ledgers.compactMap(\.lastSeenMs).sorted() == [0, 130_000])
        let restart: Int64 = 200_000
        var hub = HubCore(configuration: config, now: restart, restoring: state)
        #expect(hub.isRecovering(now: restart))
        // A reconnects late (after the startup grace) and replays in two parts.
        #expect(hub.closeDuePeriods(now: restart + 20_000) == 0, "A has not replayed yet")
        for f in sent.prefix(3) { hub.ingest(f, now: restart + 25_000) }
        #expect(hub.closeDuePeriods(now: restart + 26_000) == 0, "A is still replaying")
        for f in sent.dropFirst(3) { hub.ingest(f, now: restart + 30_000) }
        #expect(hub.isRecovering(now: restart + 30_000), "old frames only: A may hold more")
        // A frame A built after the restart: everything before it has been applied.
        a.sendTime = restart + 31_000
        hub.ingest(a.frame { $0.stats(web, sample(at: restart + 31_000)) }, now: restart + 31_000)
        #expect(hub.closeDuePeriods(now: restart + 31_000) > 0, "A is past period 60 s; B is not waited for")
        let web1 = hub.pending.flatMap(\.containers).filter { $0.identity.name == "web-1" && $0[.memoryUsed].count > 0 }
        // Every sample of period 60 s, none dropped as late.
        #expect(web1.first?[.memoryUsed].count == 6)
        #expect(hub.counters[.lateGaugeSamples] == 0)
        // Period 180 s (the restart's) is due at 244 s by the clock, but A's frames built before its end are not all
        // in: it stays open until one built after it is.
        a.sendTime = restart + 35_000
        hub.ingest(a.frame { $0.stats(web, sample(at: restart + 35_000)) }, now: restart + 50_000)
        #expect(hub.closeDuePeriods(now: restart + 50_000) == 0)
        #expect(hub.isRecovering(now: restart + 50_000), "not yet past the end of the restart's period (240 s)")
        a.sendTime = restart + 41_000
        hub.ingest(a.frame { $0.stats(web, sample(at: restart + 41_000)) }, now: restart + 52_000)
        #expect(!hub.isRecovering(now: restart + 52_000), "past it: later periods close by the clock alone")
        #expect(hub.closeDuePeriods(now: restart + 52_000) == 1)
        #expect(hub.counters[.lateGaugeSamples] == 0)
    }

    @Test("a collector that never catches up holds periods open only until the recovery limit")
    func recoveryIsBounded() throws {
        var a = FakeCollector()
        let sent = [a.frame { $0.stats(web, sample(at: 60_000)) }]
        let restart: Int64 = 200_000
        var hub = HubCore(configuration: config, now: restart, restoring: try stateAfter([(sent[0], 60_000)]))
        hub.ingest(sent[0], now: restart + 1_000)
        #expect(hub.closeDuePeriods(now: restart + config.recoveryLimitMs - 1) == 0)
        #expect(hub.nextCloseDue(now: restart + 20_000) == restart + 21_000, "looks again every second while recovering")
        #expect(hub.closeDuePeriods(now: restart + config.recoveryLimitMs) > 0)
    }

    @Test("a hub that stopped in the middle of a period posts neither its head nor its delivered containers again")
    func deliveredPartIsNotPostedAgain() throws {
        let config = HubConfiguration(periodMs: 60_000, graceMs: 4_000, startupGraceMs: 0, takeoverAfterMs: 25_000)
        var hub = HubCore(configuration: config, now: 0)
        var a = FakeCollector()
        var sent: [OpenedFrame] = []
        for t in stride(from: Int64(60_000), through: 130_000, by: 10_000) {
            let f = a.frame {
                $0.stats(web, sample(at: t))
                $0.stats(db, sample(at: t))
            }
            sent.append(f)
            hub.ingest(f, now: t)
        }
        #expect(hub.closeDuePeriods(now: 124_000) == 1)
        let period = try #require(hub.pending.first)
        // Submitting period 60 s: the head and web-1 were accepted, then the hub died.
        let webPart = period.containers.filter { $0.identity.name == "web-1" }
        let records = hub.delivered(periodStart: period.start, containers: webPart)
        #expect(records.map(\.name) == ["web-1"])
        let progress = DeliveryProgress(periodStart: period.start, headDelivered: true, containers: records)
        let store = HubStateStore(directory: nil)
        let state = try store.decode(store.encode(hub.stateFile()))

        var restarted = HubCore(configuration: config, now: 200_000, restoring: state, progress: progress)
        #expect(restarted.headDeliveredFor == 60_000)
        for f in sent { restarted.ingest(f, now: 200_000) }
        a.sendTime = 200_000
        restarted.ingest(a.frame { _ in }, now: 200_000)
        restarted.closeDuePeriods(now: 200_000)
        let again = try #require(restarted.pending.first { $0.start == 60_000 })
        #expect(again.containers.map(\.identity.name) == ["db"], "web-1's part of the period was delivered before the crash")
        #expect(again.containers.first?[.memoryUsed].count == 6)
        // web-1 goes on from its delivered watermark: period 120 s has its samples, once.
        let next = try #require(restarted.pending.first { $0.start == 120_000 })
        #expect(next.containers.first { $0.identity.name == "web-1" }?[.memoryUsed].count == 2)

        // A journal of any other period than the one after the state file's is stale and ignored.
        let stale = HubCore(
            configuration: config, now: 200_000, restoring: state, progress: DeliveryProgress(periodStart: 0, headDelivered: true, containers: records))
        #expect(stale.headDeliveredFor == nil)
    }

    @Test("the progress journal: begun per period, appended per part, a torn last record ignored, cleared after delivery")
    func progressJournal() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dl-progress-\(UInt32.random(in: 0...UInt32.max))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = HubStateStore(directory: dir)
        try store.prepare()
        #expect(try store.loadProgress() == nil)
        var w = Watermarks()
        w.stats = sample(at: 110_000)
        w.stdout = 119
        let c = HubStateFile.Container(
            key: ContainerKey(engine: EngineKey(cluster: "c1", engineID: "E"), id: web.id), name: "web-1", image: "img", host: "h", watermarks: w)
        try store.beginProgress(periodStart: 0)
        try store.appendProgress(DeliveryProgressCodec.head())
        try store.beginProgress(periodStart: 60_000)  // a new period replaces the journal
        try store.appendProgress(DeliveryProgressCodec.head())
        try store.appendProgress(DeliveryProgressCodec.containers([c]))
        let torn = DeliveryProgressCodec.containers([c, c])
        try store.appendProgress(Array(torn.prefix(torn.count - 5)))
        #expect(try store.loadProgress() == DeliveryProgress(periodStart: 60_000, headDelivered: true, containers: [c]))
        store.clearProgress()
        #expect(try store.loadProgress() == nil)
        #expect(DeliveryProgressCodec.decode(Array("garbage".utf8)) == nil)
    }

    @Test("the flusher journals each accepted part; a hub restarted from the journal knows the head was delivered")
    func flusherJournalsAcceptedParts() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dl-progress-\(UInt32.random(in: 0...UInt32.max))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t0: Int64 = 1_767_225_600_000
        let clock = ManualClock(epoch: WallTime(milliseconds: t0))
        let noop = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let configuration = HubConfiguration(periodMs: 60_000, graceMs: 4_000, startupGraceMs: 0)
        func runtime() throws -> HubRuntime {
            try HubRuntime(
                configuration: configuration, store: HubStateStore(directory: dir), key: .none, hostName: "hub", logger: noop, wallClock: clock.wallClock)
        }
        let hub = try runtime()
        var a = FakeCollector()
        for t in stride(from: t0, to: t0 + 60_000, by: 10_000) {
            await hub.ingest(a.frame {
                $0.stats(web, sample(at: t))
                $0.stats(db, sample(at: t))
            })
        }
        clock.advance(by: .seconds(65))
        await hub.tick()
        let period = try #require(await hub.nextToSubmit())
        let sink = RecordingSink()
        let naming = NamingScheme(mode: .standard, periodSeconds: 60)
        let flusher = Flusher(
            runtime: hub, sink: sink, naming: naming, postSelfMetrics: false, annotations: AnnotationSender(sink: sink, runtime: hub),
            shutdownTimeout: .seconds(5), rateDeferral: .zero, clocks: clock.clocks, logger: noop)
        _ = await flusher.streamed(period, head: naming.rollups(for: period), time: Int(period.start / 1000))
        // Not reported finished: as if the hub died right after the last request was accepted.
        let progress = try #require(try HubStateStore(directory: dir).loadProgress())
        #expect(progress.periodStart == period.start && progress.headDelivered)
        #expect(Set(progress.containers.map(\.name)) == ["web-1", "db"])
        #expect(progress.containers.allSatisfy { $0.watermarks.stats?.time == t0 + 50_000 })
        let restarted = try runtime()
        #expect(await restarted.isHeadDelivered(period.start))
        // A second crash in the same period keeps the first run's records: the restarted hub appends to the journal.
        await restarted.partDelivered(period, head: false, containers: 0..<0)
        #expect(try HubStateStore(directory: dir).loadProgress()?.containers.count == 2)
        // Once the period is delivered, the state file holds it and the journal goes.
        var report = SubmitReport()
        report.submitted = 1
        report.accepted = 1
        try await hub.finished(period, report: report, measurements: 1, durationMs: 0)
        #expect(try HubStateStore(directory: dir).loadProgress() == nil)
    }
}
