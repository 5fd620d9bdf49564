import FoundationEssentials
import Testing

@testable import DockerEngine

@Suite struct RFC3339Tests {
    @Test func parsesDockerTimestamps() {
        #expect(RFC3339.nanoseconds("1970-01-01T00:00:00Z") == 0)
        #expect(RFC3339.nanoseconds("2026-11-25T03:25:08.517974356Z") == 1_795_577_108_517_974_356)
        // Go's RFC3339Nano trims trailing zeros: any number of fraction digits.
        #expect(RFC3339.nanoseconds("2026-11-25T03:25:08.5Z") == 1_795_577_108_500_000_000)
        #expect(RFC3339.nanoseconds("2026-11-25T03:25:08Z") == 1_795_577_108_000_000_000)
        #expect(RFC3339.nanoseconds("2026-11-25T05:25:08.000000001+02:00") == 1_795_577_108_000_000_001)
        #expect(RFC3339.nanoseconds("2026-11-24T22:55:08-04:30") == 1_795_577_108_000_000_000)
        // Leap year day.
        #expect(RFC3339.nanoseconds("2024-02-29T00:00:00Z") == 1_709_164_800_000_000_000)
        // Extra fraction digits beyond nanoseconds are ignored.
        #expect(RFC3339.nanoseconds("1970-01-01T00:00:00.1234567891Z") == 123_456_789)
    }

    @Test func rejectsWhatIsNotATimestamp() {
        #expect(RFC3339.nanoseconds("0001-01-01T00:00:00Z") == nil)  // Go's zero time: "never"
        #expect(RFC3339.nanoseconds("2026-11-25 03:25:08") == nil)
        #expect(RFC3339.nanoseconds("2026-13-25T03:25:08Z") == nil)
        #expect(RFC3339.nanoseconds("2026-11-25T03:25:08.Z") == nil)
        #expect(RFC3339.nanoseconds("2026-11-25T03:25:08Zjunk") == nil)
        #expect(RFC3339.nanoseconds("") == nil)
    }

    @Test func formatsSinceParameters() {
        #expect(RFC3339.unixSecondsString(nanoseconds: 1_700_000_000_000_000_042) == "1700000000.000000042")
        #expect(RFC3339.unixSecondsString(nanoseconds: 0) == "0.000000000")
    }

    /// Agrees with FoundationEssentials' ISO 8601 parser and prints the speed of both (not an assertion).
    @Test func agreesWithFoundationAndIsFast() throws {
        let samples = (0..<2000).map { i in
            "2026-\(String(format2: 1 + i % 12))-\(String(format2: 1 + i % 28))T\(String(format2: i % 24)):\(String(format2: i % 60)):\(String(format2: (i * 7) % 60)).\(String(123_456_000 + i))Z"
        }
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        for text in samples.prefix(50) {
            let ours = try #require(RFC3339.nanoseconds(text))
            let theirs = try style.parse(text).timeIntervalSince1970
            // Foundation keeps a Double: microsecond agreement is all it can give.
            #expect(abs(Double(ours) / 1e9 - theirs) < 1e-6, "\(text)")
        }
        let clock = ContinuousClock()
        var sum: Int64 = 0
        let ours = clock.measure { for _ in 0..<10 { for t in samples { sum &+= RFC3339.nanoseconds(t) ?? 0 } } }
        var sumF = 0.0
        let theirs = clock.measure { for _ in 0..<10 { for t in samples { sumF += (try? style.parse(t))?.timeIntervalSince1970 ?? 0 } } }
        print("RFC3339: \(samples.count * 10) parses: ours \(ours), FoundationEssentials ISO8601FormatStyle \(theirs) (sums \(sum), \(sumF))")
    }
}

extension String {
    init(format2 value: Int) { self = value < 10 ? "0\(value)" : "\(value)" }
}
