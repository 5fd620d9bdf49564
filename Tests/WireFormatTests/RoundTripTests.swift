import ContainerMetrics
import Testing
import WireFormat

@Suite("wire format: round trips")
struct RoundTripTests {
    let key = try! ClusterKey(text: String(repeating: "ab", count: 32))

    @Test(arguments: 0..<20)
    func randomBatchesSurviveSealAndOpen(chunk: Int) throws {
        let sealer = FrameSealer(key: key)
        var opener = FrameOpener(key: key)
        for i in 0..<100 {
            let seed = UInt64(chunk * 100 + i)
            var gen = Gen(seed: seed)
            let header = gen.header()
            let batch = gen.batch()
            let frame = sealer.seal(header, batch)
            let opened = try opener.open(frame)
            #expect(opened.header == header, "seed \(seed)")
            #expect(equivalent(opened.batch, batch), "seed \(seed)")
        }
    }

    /// The decoder reuses the last short interface name when the bytes are the same: names that differ in one
    /// byte, in length only, or are longer than the 8 bytes compared at once must still come back as sent.
    @Test func interfaceNamesThatNearlyRepeatDecodeAsSent() throws {
        let names = ["eth0", "eth0", "eth1", "eth", "eth00", "", "eth0", "vethabcd", "vethabce", "vethabcd", "veth1234567890ab", "eth0", "é0"]
        var batch = Batch()
        for (k, name) in names.enumerated() {
            let identity = ContainerIdentity(id: String(repeating: "c", count: 63) + String(k % 10), name: "n\(k)", image: "i", labels: [:], startedAt: 1)
            let networks = [StatsSample.NetworkCounters(interface: name, rxBytes: UInt64(k)), .init(interface: names[(k + 1) % names.count], txBytes: UInt64(k))]
            batch.stats.append(ContainerRecord(container: batch.index(of: identity), StatsSample(time: Int64(k), networks: networks)))
        }
        let header = FrameHeader(collectorID: .random(), epoch: 1, sequence: 1, sendTime: 0, engineID: "", cluster: "", host: "")
        var opener = FrameOpener(key: key)
        let opened = try opener.open(FrameSealer(key: key).seal(header, batch))
        #expect(opened.batch.stats.map { $0.value.networks.map(\.interface) } == batch.stats.map { $0.value.networks.map(\.interface) })
        #expect(opened.batch == batch)
    }

    /// The opener reuses the names of a header whose name bytes it has seen: names that differ in one byte, or move
    /// a byte from one field to the next, must still come back as sent, frame after frame.
    @Test(arguments: [1, 4096])  // one slot: every header meets the previous one's names
    func headerNamesThatNearlyRepeatDecodeAsSent(slots: Int) throws {
        let engine = "ABCD:EFGH:IJKL:MNOP:QRST:UVWX:YZ12:3456:7890:ABCD:EFGH:IJKL"
        let names: [(String, String, String)] = [
            (engine, "prod", "host-1"), (engine, "prod", "host-2"), (engine, "prod", "host-1"), (engine + "X", "prod", "host-1"),
            (engine, "prodh", "ost-1"), (engine, "prod", "host-1"), ("", "", ""), (engine, "prod", "hôst-1"), (engine, "prod", "host-1"),
        ]
        let sealer = FrameSealer(key: key)
        var opener = FrameOpener(key: key, maxCachedHeaderNames: slots)
        for round in 0..<2 {
            for (k, (e, c, h)) in names.enumerated() {
                let header = FrameHeader(collectorID: CollectorID(high: 1, low: UInt64(k % 3)), epoch: 1, sequence: UInt64(round * 100 + k + 1), sendTime: 0, engineID: e, cluster: c, host: h)
                let opened = try opener.open(sealer.seal(header, Batch()))
                #expect(opened.header == header, "round \(round), frame \(k)")
            }
        }
    }

    @Test func emptyBatchIsAValidFrame() throws {
        let header = FrameHeader(collectorID: .random(), epoch: 1, sequence: 1, sendTime: 0, engineID: "", cluster: "", host: "")
        let frame = FrameSealer(key: key).seal(header, Batch())
        #expect(frame.count == FrameHeader.minimumLength + 1)  // + the zero record count
        var opener = FrameOpener(key: key)
        let opened = try opener.open(frame)
        #expect(opened.batch.isEmpty)
        #expect(opened.header == header)
    }

    @Test func unicodeAndHostileNamesRoundTrip() throws {
        let names = ["my app/ü", "漢字-サービス", "😀 rocket", "a\u{0}b", String(repeating: "x", count: 10_000), ""]
        var batch = Batch()
        for (i, n) in names.enumerated() {
            let ref = batch.index(of: ContainerIdentity(id: "id\(i)", name: n, image: n, labels: [n: n]))
            batch.logs.append(ContainerRecord(container: ref, LogBucket(stream: .stderr, second: 1, lines: 1, bytes: 2)))
        }
        let header = FrameHeader(collectorID: .random(), epoch: 7, sequence: 9, sendTime: 1, engineID: "É", cluster: "clüster", host: "hôst")
        var opener = FrameOpener(key: key)
        let opened = try opener.open(FrameSealer(key: key).seal(header, batch))
        #expect(opened.batch == batch)
        #expect(opened.header.cluster == "clüster")
    }

    @Test func nonFiniteDoublesHaveDefinedEncodings() throws {
        // NaN is canonicalised to the quiet NaN; ±∞ and -0 keep their bits. (The hub refuses non-finite values
        // before they reach Librato; the wire format carries whatever the sender had.)
        let weird = [Double.nan, -Double.nan, Double(bitPattern: 0x7FF0_0000_0000_0001), .infinity, -.infinity, -0.0]
        var batch = Batch()
        batch.heartbeats = [Heartbeat(time: 0, values: Dictionary(uniqueKeysWithValues: weird.enumerated().map { ("v\($0.offset)", $0.element) }))]
        let body = batch.encode()
        let decoded = try body.withUnsafeBytes { try Batch.decode($0) }
        let v = decoded.heartbeats[0].values
        #expect(v["v0"]!.bitPattern == Double.nan.bitPattern)
        #expect(v["v1"]!.bitPattern == Double.nan.bitPattern)
        #expect(v["v2"]!.bitPattern == Double.nan.bitPattern)
        #expect(v["v3"] == .infinity)
        #expect(v["v4"] == -.infinity)
        #expect(v["v5"]!.bitPattern == (-0.0).bitPattern)
    }

    @Test func headerStringsLongerThan255BytesAreCutAtACharacterBoundary() throws {
        let header = FrameHeader(
            collectorID: .random(), epoch: 1, sequence: 1, sendTime: 0, engineID: String(repeating: "é", count: 200), cluster: "c",
            host: "h")
        var opener = FrameOpener(key: key)
        let opened = try opener.open(FrameSealer(key: key).seal(header, Batch()))
        #expect(opened.header.engineID == String(repeating: "é", count: 127))
    }

    @Test func unknownRecordKindsAreSkippedNotFatal() throws {
        // A newer collector adds record kind 99; this hub skips it and still reads the rest.
        var batch = Batch()
        let ref = batch.index(of: ContainerIdentity(id: "abc", name: "web", image: "busybox"))
        batch.logs.append(ContainerRecord(container: ref, LogBucket(stream: .stdout, second: 5, lines: 3, bytes: 30)))
        var body = batch.encode()
        body[0] += 1  // one more record
        body += [99, 3, 0xAA, 0xBB, 0xCC]
        let decoded = try body.withUnsafeBytes { try Batch.decode($0) }
        #expect(decoded.skippedRecords == 1)
        #expect(decoded.logs == batch.logs)
    }

    @Test func unknownStatsGroupsAreIgnored() throws {
        var batch = Batch()
        let ref = batch.index(of: ContainerIdentity(id: "abc", name: "web", image: "busybox"))
        batch.stats.append(ContainerRecord(container: ref, StatsSample(time: 5, pids: 7)))
        let encoded = batch.encode()
        // Rebuild the stats record with an extra group bit (1<<10) and an extra trailing field.
        let decoded = try encoded.withUnsafeBytes { try Batch.decode($0) }
        #expect(decoded.stats[0].value.pids == 7)
    }

    @Test func collectorIDTextForm() {
        let id = CollectorID(high: 0x0123_4567_89AB_CDEF, low: 0x1)
        #expect(id.description == "0123456789abcdef0000000000000001")
        #expect(CollectorID(hex: id.description) == id)
        #expect(CollectorID(hex: "01234567-89ab-cdef-0000-000000000001") == id)
        #expect(CollectorID(hex: "xyz") == nil)
    }
}
