import ContainerMetrics
import Testing
@testable import WireFormat

@Suite("wire format: identity interning in the opener")
struct IdentityInternerTests {
    let key = try! ClusterKey(text: String(repeating: "cd", count: 32))

    func frame(_ identities: [ContainerIdentity], sequence: UInt64) -> [UInt8] {
        var batch = Batch()
        for identity in identities {
            let ref = batch.index(of: identity)
            batch.logs.append(ContainerRecord(container: ref, LogBucket(stream: .stdout, second: Int64(sequence), lines: 1, bytes: 1)))
        }
        let header = FrameHeader(collectorID: CollectorID(high: 9, low: 9), epoch: 1, sequence: sequence, sendTime: 0, engineID: "E", cluster: "c", host: "h")
        return FrameSealer(key: key).seal(header, batch)
    }

    @Test func repeatedAndNearlyRepeatedIdentitiesDecodeAsTheyWereSent() throws {
        let a = ContainerIdentity(id: String(repeating: "a", count: 64), name: "web", image: "nginx:1", labels: ["k": "v", "com.docker.compose.service": "web"], startedAt: 5)
        // Each differs from `a` in one field, often by one byte at the end (past the first 8-byte words).
        let variants = [
            ContainerIdentity(id: String(repeating: "a", count: 63) + "b", name: "web", image: "nginx:1", labels: a.labels, startedAt: 5),
            ContainerIdentity(id: a.id, name: "wec", image: "nginx:1", labels: a.labels, startedAt: 5),
            ContainerIdentity(id: a.id, name: "web", image: "nginx:1", labels: ["k": "w", "com.docker.compose.service": "web"], startedAt: 5),
            ContainerIdentity(id: a.id, name: "web", image: "nginx:1", labels: a.labels, startedAt: 6),
            ContainerIdentity(id: a.id, name: "web", image: "nginx:1", labels: [:], startedAt: 5),
        ]
        var interning = FrameOpener(key: key)
        var plain = FrameOpener(key: key, maxCachedIdentities: 0)
        var sequence: UInt64 = 0
        for round in 0..<3 {
            for identities in [[a], variants, [a] + variants, variants.reversed()] {
                sequence += 1
                let bytes = frame(identities, sequence: sequence)
                let withCache = try interning.open(bytes).batch.containers
                #expect(withCache == identities, "round \(round)")
                #expect(try plain.open(bytes).batch.containers == withCache)
            }
        }
    }

    @Test func theTableStaysWithinItsCapacity() throws {
        var interner = IdentityInterner(capacity: 10)
        for i in 0..<95 {
            let payload: [UInt8] = Array("container \(i)".utf8)
            let decoded = try payload.withUnsafeBytes { p throws(WireError) in
                try interner.identity(for: p) { () throws(WireError) in ContainerIdentity(id: "\(i)", name: "", image: "") }
            }
            #expect(decoded.id == "\(i)")
            #expect(interner.count <= 10)
        }
        #expect(interner.count == 5)  // emptied at 90, then 5 more
    }

    @Test func byteEqualityLooksAtEveryByte() {
        let base: [UInt8] = Array(0..<21)
        for i in base.indices {
            var other = base
            other[i] ^= 0x40
            other.withUnsafeBytes { #expect(!IdentityInterner.equal(base, $0), "byte \(i)") }
        }
        base.withUnsafeBytes { #expect(IdentityInterner.equal(base, $0)) }
        Array(base.dropLast()).withUnsafeBytes { #expect(!IdentityInterner.equal(base, $0)) }
    }
}
