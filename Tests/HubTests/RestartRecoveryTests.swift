// Test-only code: Foundation for a temporary directory.
import ContainerMetrics
import DockerLibratoTesting
import Foundation
import Librato
import Logging
import Synchronization
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
        #expect(restarted.headDelivered?.period == 60_000 && restarted.headDelivered?.head.all == true)
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
        #expect(stale.headDelivered == nil)
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
        try store.appendProgress(DeliveryProgressCodec.headSeries([7, 9]))
        try store.appendProgress(DeliveryProgressCodec.headSeries([9, 11]))
        let torn = DeliveryProgressCodec.containers([c, c])
        try store.appendProgress(Array(torn.prefix(torn.count - 5)))
        #expect(try store.loadProgress() == DeliveryProgress(periodStart: 60_000, headDelivered: true, headSeries: [7, 9, 11], containers: [c]))
        store.clearProgress()
        #expect(try store.loadProgress() == nil)
        #expect(DeliveryProgressCodec.decode(Array("garbage".utf8)) == nil)
    }

    @Test("the flusher journals each accepted request's part; a hub restarted from the journal knows the head was delivered")
    func flusherJournalsAcceptedParts() async throws {
        let disk = HubOnDisk()
        defer { disk.remove() }
        let (t0, clock, dir, noop, runtime) = (disk.t0, disk.clock, disk.dir, disk.noop, disk.runtime)
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
        let head = naming.rollups(for: period)
        _ = await flusher.streamed(period, head: head, time: Int(period.start / 1000))
        // Not reported finished: as if the hub died right after the last request was accepted.
        let progress = try #require(try HubStateStore(directory: dir).loadProgress())
        #expect(progress.periodStart == period.start && !progress.headDelivered)
        #expect(!head.isEmpty && progress.headSeries == Set(head.map(DeliveryProgress.seriesHash)))
        #expect(Set(progress.containers.map(\.name)) == ["web-1", "db"])
        #expect(progress.containers.allSatisfy { $0.watermarks.stats?.time == t0 + 50_000 })
        let restarted = try runtime()
        let delivered = await restarted.deliveredHead(period.start)
        #expect(!delivered.all && head.allSatisfy { !delivered.keeps($0) })
        #expect(await restarted.deliveredHead(period.start + 60_000) == HeadProgress())
        // A second crash in the same period keeps the first run's records: the restarted hub appends to the journal.
        await restarted.partDelivered(period, containers: 0..<0)
        #expect(try HubStateStore(directory: dir).loadProgress()?.containers.count == 2)
        // Once the period is delivered, the state file holds it and the journal goes.
        var report = SubmitReport()
        report.submitted = 1
        report.accepted = 1
        try await hub.finished(period, report: report, measurements: 1, durationMs: 0)
        #expect(try HubStateStore(directory: dir).loadProgress() == nil)
    }

    @Test("a slice is cut into request-sized parts of whole containers; one too large for a request has its own")
    func requestParts() {
        // Containers of 12, 12, 5, 30, 1 and 0 measurements, at most 25 a request.
        let parts = Flusher.requestParts(ends: [12, 24, 29, 59, 60, 60], limit: 25)
        #expect(parts.map(\.containers) == [0..<2, 2..<3, 3..<4, 4..<6])
        #expect(parts.map(\.measurements) == [0..<24, 24..<29, 29..<59, 59..<60])
        #expect(Flusher.requestParts(ends: [], limit: 25).isEmpty)
        #expect(Flusher.requestParts(ends: [3, 6], limit: 25).map(\.containers) == [0..<2])
    }

    @Test("a head series' journal identity is its name, source and tags, whatever the tags' order")
    func seriesHash() {
        let m = Librato.Measurement(name: "docker.host.cpu", source: "c:h", tags: ["a": "1", "b": "2"], time: 60, value: .single(1))
        var other = m
        other.value = .single(2)
        other.tags = ["b": "2", "a": "1"]
        #expect(DeliveryProgress.seriesHash(m) == DeliveryProgress.seriesHash(other))
        for changed in [
            Librato.Measurement(name: "docker.host.cpux", source: "c:h", tags: m.tags, time: 60, value: .single(1)),
            Librato.Measurement(name: "docker.host.cpu", source: "c:h2", tags: m.tags, time: 60, value: .single(1)),
            Librato.Measurement(name: "docker.host.cpu", source: nil, tags: m.tags, time: 60, value: .single(1)),
            Librato.Measurement(name: "docker.host.cpu", source: "c:h", tags: ["a": "2", "b": "1"], time: 60, value: .single(1)),
            Librato.Measurement(name: "docker.host.cpu", source: "c:h", tags: ["a": "1"], time: 60, value: .single(1)),
        ] {
            #expect(DeliveryProgress.seriesHash(changed) != DeliveryProgress.seriesHash(m))
        }
    }

    @Test("each part is in the journal the moment its request is accepted, before the flusher hears of it")
    func journalledWhenAccepted() async throws {
        let disk = HubOnDisk()
        defer { disk.remove() }
        let hub = try disk.runtime()
        var a = FakeCollector()
        for t in stride(from: disk.t0, to: disk.t0 + 60_000, by: 10_000) {
            await hub.ingest(a.frame {
                $0.stats(web, sample(at: t))
                $0.stats(db, sample(at: t))
            })
        }
        disk.clock.advance(by: .seconds(65))
        await hub.tick()
        let period = try #require(await hub.nextToSubmit())
        let naming = NamingScheme(mode: .standard, periodSeconds: 60)
        let sink = JournalWatchingSink(store: HubStateStore(directory: disk.dir))
        let flusher = Flusher(
            runtime: hub, sink: sink, naming: naming, postSelfMetrics: false, annotations: AnnotationSender(sink: sink, runtime: hub),
            shutdownTimeout: .seconds(5), rateDeferral: .zero, clocks: disk.clock.clocks, logger: disk.noop)
        _ = await flusher.streamed(period, head: naming.rollups(for: period), time: Int(period.start / 1000))
        let seen = sink.seen.withLock { $0 }
        #expect(seen.count >= 4, "roll-ups in parts of 8, then web-1 and db")
        for (batch, journal) in seen {
            let journal = try #require(journal)
            if let container = batch.first(where: { $0.name.hasPrefix("docker.container.") }) {
                #expect(journal.containers.contains { (container.source ?? "").hasSuffix(":\($0.name)") }, "\(container.source ?? "")")
            } else {
                #expect(Set(batch.map(DeliveryProgress.seriesHash)).isSubset(of: journal.headSeries))
            }
        }
        // Each record once: the flusher did not append again what the acceptance had.
        let journal = try #require(try HubStateStore(directory: disk.dir).loadProgress())
        #expect(journal.containers.count == 2)
    }

    @Test(
        "a hub that dies while a period is being sent posts each of its measurements once, counting both runs",
        arguments: [1, 2, 6, 10])
    func aCrashInAPeriodPostsEachMeasurementOnce(acceptedBeforeTheCrash: Int) async throws {
        let disk = HubOnDisk()
        defer { disk.remove() }
        let (t0, clock, noop, runtime) = (disk.t0, disk.clock, disk.noop, disk.runtime)
        let naming = NamingScheme(mode: .standard, periodSeconds: 60)
        func flusher(_ hub: HubRuntime, _ sink: any MetricsSink) -> Flusher {
            Flusher(
                runtime: hub, sink: sink, naming: naming, postSelfMetrics: false, annotations: AnnotationSender(sink: sink, runtime: hub),
                shutdownTimeout: .seconds(5), rateDeferral: .zero, clocks: clock.clocks, logger: noop)
        }
        let containers = "0123456789abcdef".prefix(12).map {
            ContainerIdentity(id: String(repeating: $0, count: 64), name: "svc-\($0)", image: "img", startedAt: 1_000_000_000)
        }
        var a = FakeCollector()
        let frames = stride(from: t0, to: t0 + 60_000, by: 10_000).map { t in a.frame { b in for c in containers { b.stats(c, sample(at: t)) } } }
        let first = try runtime()
        for f in frames { await first.ingest(f) }
        clock.advance(by: .seconds(65))
        await first.tick()
        let period = try #require(await first.nextToSubmit())
        // What one run that never died would post (the sink takes 8 measurements a request: a part per container,
        // and the roll-ups in several).
        let head = naming.rollups(for: period)
        #expect(head.count > 8, "the roll-ups take more than one request: the crash can land inside them")
        let whole = head + naming.containerMeasurements(period.containers[...], periodStart: period.start)
        let dying = DyingSink(measurementsPerRequest: 8, accepting: acceptedBeforeTheCrash)
        await flusher(first, dying).submit(period)
        let beforeTheCrash = dying.accepted.withLock { $0 }
        #expect(!beforeTheCrash.isEmpty && beforeTheCrash.count < whole.count)

        // The restarted hub gets every frame again (none was acknowledged) and sends the period's rest.
        let restarted = try runtime()
        for f in frames { await restarted.ingest(f) }
        a.sendTime = t0 + 70_000
        await restarted.ingest(a.frame { _ in })
        await restarted.tick()
        let again = try #require(await restarted.nextToSubmit())
        #expect(again.start == period.start)
        let sink = RecordingSink()
        await flusher(restarted, sink).submit(again)
        let afterTheRestart = sink.calls.withLock { Array($0.joined()) }

        struct Series: Hashable {
            let name: String
            let source: String?
            let tags: [String: String]
            let time: Int
        }
        let key = { (m: Librato.Measurement) in Series(name: m.name, source: m.source, tags: m.tags, time: m.time) }
        let posted = (beforeTheCrash + afterTheRestart).map(key)
        #expect(Set(posted).count == posted.count, "a measurement was posted twice")
        #expect(Set(posted) == Set(whole.map(key)), "every measurement of the period was posted")
    }
}

/// Calls `whenAccepted` as a client does when a request's 2xx head arrives, and looks at the journal right then:
/// what was in it before the flusher saw the submit return.
final class JournalWatchingSink: MetricsSink, Sendable {
    let store: HubStateStore
    let measurementsPerRequest = 8
    /// Per submit: its measurements, and the journal when `whenAccepted` had returned.
    let seen = Mutex<[(batch: [Librato.Measurement], journal: DeliveryProgress?)]>([])
    var api: LibratoAPI { .legacy }

    init(store: HubStateStore) { self.store = store }

    func submit(_ measurements: [Librato.Measurement]) async -> SubmitReport { await submit(measurements) {} }

    func submit(_ measurements: [Librato.Measurement], whenAccepted: @escaping @Sendable () -> Void) async -> SubmitReport {
        whenAccepted()
        let journal = try? store.loadProgress()
        seen.withLock { $0.append((measurements, journal)) }
        return .accepted(measurements.count)
    }

    func annotate(_ annotation: Annotation) async -> AnnotationResult { .created(location: nil) }
    func shutdown() async throws {}
}

/// A hub runtime on a manual clock with a state directory of its own, which ``runtime()`` starts again from.
struct HubOnDisk {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dl-progress-\(UInt32.random(in: 0...UInt32.max))").path
    let t0: Int64 = 1_767_225_600_000
    let clock: ManualClock
    let noop = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    init() { clock = ManualClock(epoch: WallTime(milliseconds: t0)) }

    func runtime() throws -> HubRuntime {
        try HubRuntime(
            configuration: HubConfiguration(periodMs: 60_000, graceMs: 4_000, startupGraceMs: 0), store: HubStateStore(directory: dir), key: .none,
            hostName: "hub", logger: noop, wallClock: clock.wallClock)
    }

    func remove() { try? FileManager.default.removeItem(atPath: dir) }
}

/// Accepts its first `accepting` submits, then nothing more: a hub that died with those requests answered.
final class DyingSink: MetricsSink, Sendable {
    let measurementsPerRequest: Int
    let accepting: Int
    let accepted = Mutex<[Librato.Measurement]>([])
    private let submits = Mutex(0)
    var api: LibratoAPI { .legacy }

    init(measurementsPerRequest: Int, accepting: Int) {
        self.measurementsPerRequest = measurementsPerRequest
        self.accepting = accepting
    }

    func submit(_ measurements: [Librato.Measurement]) async -> SubmitReport {
        var r = SubmitReport()
        r.submitted = measurements.count
        guard submits.withLock({ n in
            n += 1
            return n <= accepting
        }) else {
            r.undelivered = measurements
            return r
        }
        accepted.withLock { $0 += measurements }
        return .accepted(measurements.count)
    }

    func annotate(_ annotation: Annotation) async -> AnnotationResult { .created(location: nil) }
    func shutdown() async throws {}
}
