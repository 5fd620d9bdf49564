import ContainerMetrics
import Testing
import WireFormat

@Suite("wire format: everything that is not a valid frame is rejected")
struct RejectionTests {
    let key = try! ClusterKey(text: String(repeating: "cd", count: 32))

    func sampleFrame() -> [UInt8] {
        var gen = Gen(seed: 42)
        var batch = gen.batch()
        batch.containers.append(ContainerIdentity(id: "x", name: "web-1", image: "busybox"))
        batch.logs.append(ContainerRecord(container: batch.containers.count - 1, LogBucket(stream: .stdout, second: 10, lines: 4, bytes: 40)))
        return FrameSealer(key: key).seal(gen.header(), batch)
    }

    @Test func everyTruncationIsRejected() {
        let frame = sampleFrame()
        var opener = FrameOpener(key: key)
        for length in 0..<frame.count {
            #expect(throws: WireError.self, "truncated to \(length) of \(frame.count)") { try opener.open(Array(frame[..<length])) }
        }
    }

    @Test func everySingleBitFlipIsRejected() {
        let frame = sampleFrame()
        var opener = FrameOpener(key: key)
        for bit in 0..<(frame.count * 8) {
            var flipped = frame
            flipped[bit / 8] ^= 1 << UInt8(bit % 8)
            #expect(throws: WireError.self, "bit \(bit) flipped") { try opener.open(flipped) }
        }
    }

    @Test func wrongKeyIsRejected() {
        let frame = sampleFrame()
        var other = FrameOpener(key: try! ClusterKey(text: String(repeating: "ce", count: 32)))
        #expect(throws: WireError.authenticationFailed) { try other.open(frame) }
    }

    @Test func keyedAndUnkeyedDoNotMix() {
        let frame = sampleFrame()
        var unkeyed = FrameOpener(key: .none)
        #expect(throws: WireError.keyMismatch(frameHasKey: true)) { try unkeyed.open(frame) }
        let header = FrameHeader(collectorID: .random(), epoch: 1, sequence: 1, sendTime: 0, engineID: "e", cluster: "c", host: "h")
        let unkeyedFrame = FrameSealer(key: .none).seal(header, Batch())
        var keyed = FrameOpener(key: key)
        #expect(throws: WireError.keyMismatch(frameHasKey: false)) { try keyed.open(unkeyedFrame) }
        #expect((try? unkeyed.open(unkeyedFrame)) != nil)
        #expect(WireError.keyMismatch(frameHasKey: false).description.contains("CLUSTER_KEY_FILE"))
    }

    @Test(arguments: [UInt8(1), 4])
    func otherVersionsGiveAClearError(version: UInt8) {
        var frame = sampleFrame()
        #expect(frame[2] == FrameHeader.currentVersion && FrameHeader.currentVersion == 3)
        frame[2] = version
        var opener = FrameOpener(key: key)
        #expect(throws: WireError.unsupportedVersion(version)) { try opener.open(frame) }
        let message = WireError.unsupportedVersion(version).description
        #expect(message.contains("unsupported frame format version \(version)") && message.contains("same docker-librato version"))
        #expect(WireError.unsupportedVersion(version).reason == .badVersion)
        #expect(ControlRefusal(WireError.unsupportedVersion(version)).reason == .unsupportedVersion)
    }

    @Test func foreignBytesAreNotOurProtocol() {
        var opener = FrameOpener(key: key)
        #expect(throws: WireError.badMagic) { try opener.open(Array("GET / HTTP/1.1\r\n\r\n".utf8)) }
        #expect(throws: WireError.tooShort(length: 0)) { try opener.open([]) }
    }

    @Test func bodyReferencesAreChecked() {
        // A stats record pointing at container #3 of a frame that defines none.
        var w = [UInt8]()
        w += [1]  // one record
        w += [2, 3, 3, 0, 0]  // kind stats, length 3: container 3, time 0, groups 0
        #expect(throws: WireError.badReference(index: 3, containers: 0)) { try w.withUnsafeBytes { try Batch.decode($0) } }
    }

    @Test func hugeCountsDoNotAllocate() {
        // Claims 2^62 records in a 12-byte body: rejected by the count check before any allocation.
        let body: [UInt8] = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 0, 0, 0]
        #expect {
            try body.withUnsafeBytes { try Batch.decode($0) }
        } throws: { error in
            (error as? WireError)?.reason == .oversize
        }
    }

    @Test func keyParsing() throws {
        #expect(throws: ClusterKeyError.wrongLength(16)) { try ClusterKey(bytes: [UInt8](repeating: 1, count: 16)) }
        #expect(throws: ClusterKeyError.allZero) { try ClusterKey(text: String(repeating: "0", count: 64)) }
        #expect(throws: ClusterKeyError.notHexOrBase64) { try ClusterKey(text: "not a key!") }
        _ = try ClusterKey(text: "  " + ClusterKey.generateText() + "\n")
        _ = try ClusterKey(text: "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=")
        #expect(ClusterKey.generateText().count == 64)
        #expect(ClusterKeyError.notHexOrBase64.description.contains("keygen"))
    }
}
