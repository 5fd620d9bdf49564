import ContainerMetrics
import Testing

@testable @_spi(Benchmarks) import Hub
import WireFormat

/// Frames opened by a ``FrameOpener`` carry each container's identity token (equal tokens: byte-identical identity
/// records), and the hub resolves a container by it without comparing the identity. The token only ever stands for
/// those bytes: a changed identity, another engine with the same record, or a slot given to another container must
/// each be told apart.
@Suite("hub ingest: containers found by identity token")
struct IdentityTokenTests {
    let key = try! ClusterKey(text: String(repeating: "5e", count: 32))
    let t0: Int64 = 1_800_000_000_000

    /// Seals `collector`'s next frame and opens it as the hub's ingest does.
    func opened(_ collector: inout FakeCollector, _ opener: inout FrameOpener, _ build: (inout Batch) -> Void) throws -> OpenedFrame {
        let plain = collector.frame(build)
        let frame = try opener.open(FrameSealer(key: key).seal(plain.header, plain.batch))
        #expect(frame.identityTokens.count == frame.batch.containers.count && !frame.identityTokens.contains(0))
        return frame
    }

    @Test func aRenamedContainerIsPostedUnderItsNewName() throws {
        var core = HubCore(configuration: HubConfiguration(periodMs: 60_000, startupGraceMs: 0), now: t0)
        var opener = FrameOpener(key: key)
        var collector = FakeCollector()
        var renamed = web
        renamed.name = "web-renamed"
        // Two periods: a period keeps the identity it opened with, the next one takes the new name.
        let frames = [
            try opened(&collector, &opener) { $0.stats(web, sample(at: t0 + 1_000)) },
            try opened(&collector, &opener) { $0.stats(web, sample(at: t0 + 11_000)) },
            try opened(&collector, &opener) { $0.stats(renamed, sample(at: t0 + 61_000)) },
            try opened(&collector, &opener) { $0.stats(renamed, sample(at: t0 + 71_000)) },
        ]
        #expect(frames[0].identityTokens == frames[1].identityTokens)
        #expect(frames[1].identityTokens != frames[2].identityTokens)
        #expect(frames[2].identityTokens == frames[3].identityTokens)
        for f in frames { core.ingest(f, now: t0) }
        core.closeAll()
        #expect(core.pending.map { $0.containers.map(\.identity.name) } == [["web-1"], ["web-renamed"]])
        #expect(core.pending.map { $0.containers.map(\.samples) } == [[2], [2]])
        #expect(core.liveContainers == 1)
    }

    @Test func theSameRecordFromTwoEnginesIsTwoContainers() throws {
        var core = HubCore(configuration: HubConfiguration(periodMs: 60_000, startupGraceMs: 0), now: t0)
        var opener = FrameOpener(key: key)
        var a = FakeCollector()
        var b = FakeCollector()
        b.engine = "ENGINE-B"
        b.host = "host-b"
        for round in 0..<3 {
            let t = t0 + 1_000 + Int64(round) * 10_000
            let fa = try opened(&a, &opener) { $0.stats(web, sample(at: t)) }
            let fb = try opened(&b, &opener) { $0.stats(web, sample(at: t, cpuShare: 0.25)) }
            // The same bytes: one kept identity, one token, for both engines.
            #expect(fa.identityTokens == fb.identityTokens)
            core.ingest(fa, now: t0)
            core.ingest(fb, now: t0)
        }
        #expect(core.liveContainers == 2)
        core.closeAll()
        let containers = core.pending.flatMap(\.containers)
        #expect(Set(containers.map(\.engineID)) == ["ENGINE-A", "ENGINE-B"])
        #expect(containers.allSatisfy { $0.samples == 3 })
        #expect(Set(containers.map(\.host)) == ["host-a", "host-b"])
    }

    @Test func aSlotGivenToAnotherContainerIsNotFoundByTheFormerToken() throws {
        var core = HubCore(configuration: HubConfiguration(periodMs: 60_000, startupGraceMs: 0, retainMs: 60_000), now: t0)
        var opener = FrameOpener(key: key)
        var collector = FakeCollector()
        core.ingest(try opened(&collector, &opener) { $0.stats(web, sample(at: t0 + 1_000)) }, now: t0)
        _ = core.deliverAll(now: t0 + 200_000)
        core.retire(now: t0 + 200_000)
        #expect(core.liveContainers == 0)
        // db takes web's slot; then web comes back with its old record (and token), from the collector's next epoch
        // (its ledger was retired with it).
        collector.epoch = 2
        collector.sequence = 0
        core.ingest(try opened(&collector, &opener) { $0.stats(db, sample(at: t0 + 201_000)) }, now: t0 + 201_000)
        core.ingest(try opened(&collector, &opener) { $0.stats(web, sample(at: t0 + 202_000)) }, now: t0 + 202_000)
        #expect(core.liveContainers == 2)
        core.closeAll()
        let names = core.pending.flatMap(\.containers).map(\.identity.name).sorted()
        #expect(names == ["db", "web-1"])
    }
}
