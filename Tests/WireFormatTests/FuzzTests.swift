import ContainerMetrics
import DockerLibratoTesting
import Testing
import WireFormat

/// The decoder is total: a seeded random mutator feeds it mutated frames and bodies; every input must decode or
/// throw a WireError. A crash fails the whole run. (The libFuzzer harness in Fuzz/ explores further; see
/// docs/wire-format.md.)
@Suite("wire format: seeded mutation fuzzing")
struct FuzzTests {
    static let iterations = 1_000_000

    struct Mutator {
        var rng: SeededGenerator

        mutating func mutate(_ input: [UInt8]) -> [UInt8] {
            var b = input
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                switch rng.next() % 8 {
                case 0 where !b.isEmpty:
                    let i = Int(rng.next() % UInt64(b.count))
                    b[i] ^= 1 << UInt8(rng.next() % 8)
                case 1 where !b.isEmpty:
                    b[Int(rng.next() % UInt64(b.count))] = UInt8(truncatingIfNeeded: rng.next())
                case 2 where !b.isEmpty:
                    b.removeLast(Int(rng.next() % UInt64(b.count)))
                case 3:
                    b.insert(contentsOf: (0..<(1 + rng.next() % 10)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: Int(rng.next() % UInt64(b.count + 1)))
                case 4 where !b.isEmpty:
                    // Interesting bytes: varint continuation, max lengths.
                    b[Int(rng.next() % UInt64(b.count))] = [0x00, 0x01, 0x7F, 0x80, 0xFF][Int(rng.next() % 5)]
                case 5 where b.count > 2:
                    let i = Int(rng.next() % UInt64(b.count - 1))
                    let n = Int(rng.next() % UInt64(b.count - i))
                    b.insert(contentsOf: b[i..<(i + n)], at: i)
                case 6 where b.count > 2:
                    let i = Int(rng.next() % UInt64(b.count - 1))
                    b.remove(at: i)
                default:
                    b.append(UInt8(truncatingIfNeeded: rng.next()))
                }
            }
            return b
        }
    }

    @Test func bodyDecoderSurvivesAMillionMutations() async throws {
        // A million decodes: on a thread of its own, not the concurrency pool the other tests need (see onOwnThread).
        let (decoded, rejected) = try await onOwnThread { () -> (Int, Int) in
            var gen = Gen(seed: 7)
            let corpus = (0..<64).map { _ in gen.batch().encode() }
            var mutator = Mutator(rng: SeededGenerator(seed: 99))
            var decoded = 0
            var rejected = 0
            for i in 0..<Self.iterations {
                let input = mutator.mutate(corpus[i % corpus.count])
                do {
                    _ = try input.withUnsafeBytes { try Batch.decode($0) }
                    decoded += 1
                } catch {
                    rejected += 1
                }
            }
            return (decoded, rejected)
        }
        print("fuzz(body): \(Self.iterations) mutated bodies, \(decoded) decoded, \(rejected) rejected, 0 crashes")
        #expect(decoded + rejected == Self.iterations)
        #expect(rejected > 0 && decoded > 0, "the mutator should produce both valid and invalid bodies")
    }

    @Test func frameOpenerSurvivesMutatedSealedFrames() async throws {
        let key = try ClusterKey(text: String(repeating: "9f", count: 32))
        let n = 200_000
        let (accepted, reasons) = try await onOwnThread { () -> (Int, [RejectReason: Int]) in
            var gen = Gen(seed: 11)
            let sealer = FrameSealer(key: key)
            let corpus = (0..<32).map { _ in sealer.seal(gen.header(), gen.batch()) }
            var opener = FrameOpener(key: key)
            var mutator = Mutator(rng: SeededGenerator(seed: 5))
            var accepted = 0
            var reasons: [RejectReason: Int] = [:]
            for i in 0..<n {
                let input = mutator.mutate(corpus[i % corpus.count])
                do throws(WireError) {
                    _ = try opener.open(input)
                    accepted += 1
                } catch {
                    reasons[error.reason, default: 0] += 1
                }
            }
            return (accepted, reasons)
        }
        print("fuzz(frames): \(n) mutated sealed frames, \(accepted) accepted, rejected by reason \(reasons)")
        // Mutations that leave the bytes unchanged are possible (e.g. removing 0 bytes), anything else is rejected.
        #expect(accepted < n / 100)
    }
}
