import ContainerMetrics
import Crypto
import FoundationEssentials
import Testing
@testable import WireFormat

/// Format 3 seals bodies with AES-256-GCM; format 2 (ChaCha20-Poly1305, otherwise the same) still opens, so that a
/// hub upgraded first reads collectors not yet upgraded and what they spooled (deploy/README.md, "Upgrading").
@Suite("wire format: the seal of each readable version")
struct SealVersionTests {
    let key = try! ClusterKey(text: String(repeating: "ab", count: 32))

    func header(version: UInt8) -> FrameHeader {
        FrameHeader(collectorID: CollectorID(high: 7, low: 9), epoch: 3, sequence: 11, sendTime: 1_000, engineID: "E", cluster: "c", host: "h", version: version)
    }

    func batch() -> Batch {
        var b = Batch()
        b.containers.append(ContainerIdentity(id: String(repeating: "f", count: 64), name: "web-1", image: "nginx"))
        b.logs.append(ContainerRecord(container: 0, LogBucket(stream: .stdout, second: 10, lines: 4, bytes: 40)))
        return b
    }

    /// The body of a sealed frame as docs/wire-format.md describes it: header ‖ ciphertext ‖ 16-byte tag, the
    /// header's nonce at bytes 53..<65, the whole header as associated data.
    func split(_ frame: [UInt8]) throws -> (header: [UInt8], nonce: [UInt8], ciphertext: [UInt8], tag: [UInt8]) {
        var opener = FrameOpener(key: key)
        let opened = try opener.open(frame)
        let headerLength = 65 + 3 + opened.header.engineID.utf8.count + opened.header.cluster.utf8.count + opened.header.host.utf8.count
        return (Array(frame[..<headerLength]), Array(frame[53..<65]), Array(frame[headerLength..<(frame.count - 16)]), Array(frame[(frame.count - 16)...]))
    }

    @Test func formatThreeIsAES256GCMUnderTheWireV3Subkey() throws {
        let frame = FrameSealer(key: key).seal(header(version: 3), batch())
        #expect(frame[2] == 3)
        let p = try split(frame)
        let subkey = key.subkey(collector: CollectorID(high: 7, low: 9), epoch: 3, version: 3)
        let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: p.nonce), ciphertext: p.ciphertext, tag: p.tag)
        let body = try AES.GCM.open(box, using: subkey, authenticating: p.header)
        #expect(Array(body) == batch().encode())
        // Not ChaCha20-Poly1305, and not under format 2's subkey.
        let chacha = try ChaChaPoly.SealedBox(nonce: ChaChaPoly.Nonce(data: p.nonce), ciphertext: p.ciphertext, tag: p.tag)
        #expect(throws: (any Error).self) { try ChaChaPoly.open(chacha, using: subkey, authenticating: p.header) }
        #expect(throws: (any Error).self) {
            try AES.GCM.open(box, using: key.subkey(collector: CollectorID(high: 7, low: 9), epoch: 3, version: 2), authenticating: p.header)
        }
    }

    @Test func formatTwoIsChaCha20Poly1305AndStillOpens() throws {
        let frame = FrameSealer(key: key).seal(header(version: 2), batch())
        #expect(frame[2] == 2)
        var opener = FrameOpener(key: key)
        let opened = try opener.open(frame)
        #expect(opened.header.version == 2 && opened.batch == batch())
        let p = try split(frame)
        let box = try ChaChaPoly.SealedBox(nonce: ChaChaPoly.Nonce(data: p.nonce), ciphertext: p.ciphertext, tag: p.tag)
        let body = try ChaChaPoly.open(box, using: key.subkey(collector: CollectorID(high: 7, low: 9), epoch: 3, version: 2), authenticating: p.header)
        #expect(Array(body) == batch().encode())
    }

    /// The version byte is authenticated: a frame relabelled as the other readable version does not open.
    @Test(arguments: [(UInt8(2), UInt8(3)), (3, 2)])
    func relabellingTheVersionFailsTheSeal(from: UInt8, to: UInt8) {
        var frame = FrameSealer(key: key).seal(header(version: from), batch())
        frame[2] = to
        var opener = FrameOpener(key: key)
        #expect(throws: WireError.authenticationFailed) { try opener.open(frame) }
    }
}
