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

    /// Opens `bytes`, returning the identities and their tokens.
    func opened(_ opener: inout FrameOpener, _ bytes: [UInt8]) throws -> (identities: [ContainerIdentity], tokens: [UInt64]) {
        let frame = try opener.open(bytes)
        return (frame.batch.containers, frame.identityTokens)
    }

    @Test func aRepeatedRunOfContainerRecordsIsReusedWholeAndAChangedOneIsNot() throws {
        func identity(_ i: Int, name: String = "web") -> ContainerIdentity {
            ContainerIdentity(id: String(repeating: "\(i % 10)", count: 64), name: "\(name)-\(i)", image: "nginx:1", labels: ["k": "v"], startedAt: 5)
        }
        let run = (0..<6).map { identity($0) }
        // Same length, same first 80 bytes: the last record's name differs in its last byte only.
        var changed = run
        changed[5] = identity(5, name: "wec")
        var opener = FrameOpener(key: key)
        let first = try opened(&opener, frame(run, sequence: 1))
        #expect(first.identities == run)
        #expect(Set(first.tokens).count == run.count && !first.tokens.contains(0))
        let again = try opened(&opener, frame(run, sequence: 2))
        #expect(again.identities == run)
        #expect(again.tokens == first.tokens, "the same bytes: the same tokens")
        let other = try opened(&opener, frame(changed, sequence: 3))
        #expect(other.identities == changed, "a run that differs in its last byte is decoded, not reused")
        #expect(Array(other.tokens[0..<5]) == Array(first.tokens[0..<5]))
        #expect(other.tokens[5] != first.tokens[5])
        // The changed run replaced the first under the same fingerprint; both still decode as sent.
        #expect(try opened(&opener, frame(run, sequence: 4)).identities == run)
        #expect(try opened(&opener, frame(changed, sequence: 5)).identities == changed)
    }

    @Test func containerRecordsAfterTheLeadingRunAreDecodedToo() throws {
        let a = ContainerIdentity(id: String(repeating: "a", count: 64), name: "a", image: "i")
        let b = ContainerIdentity(id: String(repeating: "b", count: 64), name: "b", image: "i")
        // A body written by hand: a container record, a log bucket for it, then a second container record.
        var w = ByteWriter(capacity: 256)
        w.varint(3)
        for (i, identity) in [a, b].enumerated() {
            w.record(.container) { w in
                w.string(identity.id)
                w.string(identity.name)
                w.string(identity.image)
                w.zigzag(identity.startedAt)
                w.varint(0)
            }
            if i == 0 { w.record(.logBucket) { $0.logBucket(ContainerRecord(container: 0, LogBucket(stream: .stdout, second: 1, lines: 1, bytes: 1))) } }
        }
        var interner = IdentityInterner(capacity: 100)
        var tokens: [UInt64] = []
        for _ in 0..<2 {
            tokens = []
            let decoded = try w.bytes.withUnsafeBytes { body throws(WireError) in try Batch.decode(body, identities: &interner, tokens: &tokens) }
            #expect(decoded.containers == [a, b])
            #expect(decoded.logs.count == 1)
            #expect(tokens.count == 2)
        }
        #expect(interner.runIdentityCount == 1, "the leading run is the first record alone")
        #expect(interner.runsReused == 1, "the second body's run was the first one's")
    }

    @Test func keptRunsStayWithinTheCapacity() throws {
        var opener = FrameOpener(key: key, maxCachedIdentities: 10)
        for i in 0..<40 {
            let identities = (0..<3).map { ContainerIdentity(id: "c\(i)-\($0)", name: "n", image: "i") }
            #expect(try opened(&opener, frame(identities, sequence: UInt64(i + 1))).identities == identities)
        }
        var interner = IdentityInterner(capacity: 10)
        for i in 0..<40 {
            let ids = (0..<3).map { ContainerIdentity(id: "c\(i)-\($0)", name: "n", image: "i") }
            let bytes: [UInt8] = Array("run \(i)".utf8)
            bytes.withUnsafeBytes { interner.keepRun($0, identities: ids, tokens: [1, 2, 3]) }
            #expect(interner.runIdentityCount <= 10)
        }
        // A run replaced under the same fingerprint (same first 80 bytes and length) by a longer list of identities.
        var replaced = IdentityInterner(capacity: 10)
        let five = (0..<5).map { ContainerIdentity(id: "o\($0)", name: "n", image: "i") }
        Array(repeating: UInt8(3), count: 100).withUnsafeBytes { replaced.keepRun($0, identities: five, tokens: Array(repeating: 1, count: 5)) }
        let head: [UInt8] = Array(repeating: 7, count: 100)
        for (n, expected) in [(2, 7), (9, 9), (4, 4)] {
            let ids = (0..<n).map { ContainerIdentity(id: "r\($0)", name: "n", image: "i") }
            head.withUnsafeBytes { replaced.keepRun($0, identities: ids, tokens: Array(repeating: 1, count: n)) }
            #expect(replaced.runIdentityCount == expected, "\(n) identities replacing a run: within the capacity")
        }
        // Bytes are bounded too: 1 KiB per identity of capacity.
        var small = IdentityInterner(capacity: 2)
        let big: [UInt8] = Array(repeating: 1, count: 2048)
        for i in 0..<3 {
            var bytes = big
            bytes[0] = UInt8(i)
            bytes.withUnsafeBytes { small.keepRun($0, identities: [ContainerIdentity(id: "b", name: "n", image: "i")], tokens: [1]) }
            #expect(small.runIdentityCount == 1, "a second 2 KiB run does not fit beside the first")
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
