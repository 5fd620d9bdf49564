@_spi(Simulation) import Collector
import ContainerMetrics
import DockerEngine
import Testing

@Suite struct LogBucketerTests {
    static let s: Int64 = 1_700_000_000
    func ts(_ second: Int64, _ ms: Int64 = 0) -> Int64 { (Self.s + second) * 1_000_000_000 + ms * 1_000_000 }
    func line(_ text: String, _ stream: LogBucket.Stream = .stdout, at t: Int64) -> LogEntry {
        LogEntry(stream: stream, timestampNs: t, message: Array(text.utf8))
    }

    @Test func laterSecondClosesTheBucketOfItsStreamOnly() {
        var b = LogBucketer(closeDelay: .seconds(2))
        #expect(b.add(line("a\n", at: ts(0, 100))).isEmpty)
        #expect(b.add(line("b\n", at: ts(0, 900))).isEmpty)
        #expect(b.add(line("e\n", .stderr, at: ts(1, 0))).isEmpty, "stderr does not close stdout's bucket")
        let closed = b.add(line("c\n", at: ts(1, 5)))
        #expect(closed == [LogBucket(stream: .stdout, second: Self.s, lines: 2, bytes: 4)])
        #expect(
            b.flush() == [
                LogBucket(stream: .stdout, second: Self.s + 1, lines: 1, bytes: 2),
                LogBucket(stream: .stderr, second: Self.s + 1, lines: 1, bytes: 2),
            ]
        )
        #expect(b.flush().isEmpty, "never emitted twice, never empty")
    }

    @Test func wallClockClosesAfterTheDelay() {
        var b = LogBucketer(closeDelay: .milliseconds(1500))
        _ = b.add(line("a\n", at: ts(0, 300)))
        #expect(b.closeDue(nowNs: ts(2, 499)).isEmpty)
        #expect(b.closeDue(nowNs: ts(2, 500)) == [LogBucket(stream: .stdout, second: Self.s, lines: 1, bytes: 2)])
        #expect(b.closeDue(nowNs: ts(9)).isEmpty)
        #expect(b.lastEmitted[.stdout] == Self.s)
    }

    @Test func partsAreJoinedIntoTheFirstPartsSecond() {
        var b = LogBucketer(closeDelay: .seconds(1))
        let t = ts(0, 999)
        let part = [UInt8](repeating: UInt8(ascii: "x"), count: 16_384)
        _ = b.add(LogEntry(stream: .stdout, timestampNs: t, message: part))
        #expect(b.hasPendingPart)
        _ = b.add(line("short err\n", .stderr, at: ts(1, 0)))
        _ = b.add(LogEntry(stream: .stdout, timestampNs: t, message: part))
        _ = b.add(LogEntry(stream: .stdout, timestampNs: t, message: Array("tail measure#x=2s\n".utf8)))
        #expect(!b.hasPendingPart)
        let out = b.flush()
        #expect(out.count == 2)
        let stdout = out.first { $0.stream == .stdout }
        #expect(stdout?.second == Self.s)
        #expect(stdout?.lines == 1)
        #expect(stdout?.bytes == UInt64(2 * 16_384 + 18))
        #expect(stdout?.measurements.map(\.name) == ["x"])
        #expect(stdout?.measurements.first?.sum == 2000)
        #expect(stdout?.measurements.first?.unit == "ms")
    }

    @Test func pendingPartEndsWhenADifferentLineStarts() {
        var b = LogBucketer(closeDelay: .seconds(1))
        _ = b.add(line("prompt> ", at: ts(0)))
        _ = b.add(line("next\n", at: ts(0, 10)))
        #expect(b.flush() == [LogBucket(stream: .stdout, second: Self.s, lines: 2, bytes: 13)])
        var c = LogBucketer(closeDelay: .seconds(1))
        _ = c.add(line("no newline at the end", at: ts(0)))
        #expect(c.flush() == [LogBucket(stream: .stdout, second: Self.s, lines: 1, bytes: 21)], "flush counts the last line")
    }

    @Test func checkpointSkipsLinesAlreadyEmitted() {
        var b = LogBucketer(closeDelay: .seconds(1), resumeAfter: [.stdout: Self.s + 1])
        _ = b.add(line("old\n", at: ts(0)))
        _ = b.add(line("old\n", at: ts(1, 999)))
        _ = b.add(line("old err\n", .stderr, at: ts(1)))
        _ = b.add(line("new\n", at: ts(2)))
        #expect(
            b.flush() == [
                LogBucket(stream: .stdout, second: Self.s + 2, lines: 1, bytes: 4),
                LogBucket(stream: .stderr, second: Self.s + 1, lines: 1, bytes: 8),
            ]
        )
    }

    @Test func aLateLineNeverReopensAnEmittedSecond() {
        var b = LogBucketer(closeDelay: .seconds(1))
        _ = b.add(line("a\n", at: ts(5)))
        let first = b.closeDue(nowNs: ts(7))
        #expect(first.map(\.second) == [Self.s + 5])
        // The clock stepped back, or a restarted container wrote within the same second: counted, in a new second.
        _ = b.add(line("late\n", at: ts(5, 500)))
        _ = b.add(line("older\n", at: ts(3)))
        let second = b.flush()
        #expect(second == [LogBucket(stream: .stdout, second: Self.s + 6, lines: 2, bytes: 11)])
    }

    @Test func resumesRightAfterTheLastEntry() {
        var b = LogBucketer(closeDelay: .seconds(1))
        #expect(b.resumeSinceNs() == nil, "nothing read: start from the origin")
        _ = b.add(line("a\n", at: ts(0, 1)))
        _ = b.add(line("e\n", .stderr, at: ts(0, 2)))
        #expect(b.resumeSinceNs() == ts(0, 2) + 1)
    }

    /// Podman's compatible API stamps lines to the whole second but filters `since` on the exact time it stored,
    /// so `last + 1 ns` returned that second's lines again (a session that ends while the container runs — a follow
    /// request made before the container started — or a restart counted them twice). The request starts just
    /// before that second and the entries of it already added are skipped, per stream; later ones are counted.
    @Test func resumesAWholeSecondStampOnceAtTheSecond() {
        var b = LogBucketer(closeDelay: .seconds(1))
        var buckets: [LogBucket] = []
        for e in [line("a\n", at: ts(0)), line("b\n", at: ts(1)), line("c\n", at: ts(1)), line("e\n", .stderr, at: ts(1))] { buckets += b.add(e) }
        let since = b.resumeSinceNs()
        #expect(since == ts(1) - 1)
        // What Podman sends from there: every line of that second again, then one more of it and a later one.
        for e in [line("b\n", at: ts(1)), line("e\n", .stderr, at: ts(1)), line("c\n", at: ts(1)), line("d\n", at: ts(1)), line("f\n", .stderr, at: ts(2))] {
            buckets += b.add(e)
        }
        buckets += b.flush()
        #expect(buckets.filter { $0.stream == .stdout }.reduce(0) { $0 + $1.lines } == 4)
        #expect(buckets.filter { $0.stream == .stderr }.reduce(0) { $0 + $1.lines } == 2)
        // Once a later second was read, a new request resumes at that one.
        #expect(b.resumeSinceNs() == ts(2) - 1)
    }

    /// dockerd's timestamps have nanoseconds: one that happens to fall on a whole second still resumes right after.
    @Test func aDockerStampOnAWholeSecondResumesRightAfterIt() {
        var b = LogBucketer(closeDelay: .seconds(1))
        _ = b.add(line("a\n", at: ts(0, 5)))
        _ = b.add(line("b\n", at: ts(1)))
        #expect(b.resumeSinceNs() == ts(1) + 1)
    }

    /// The stream broke off inside a split stdout line while stderr went on: the re-read starts at the split line's
    /// first part and skips the stderr lines already counted; the split line is counted once, whole.
    @Test func rereadsABrokenSplitLineOnce() {
        var b = LogBucketer(closeDelay: .seconds(1))
        let part = [UInt8](repeating: UInt8(ascii: "x"), count: 16_384)
        let first = [
            line("before\n", at: ts(0, 100)),
            LogEntry(stream: .stdout, timestampNs: ts(0, 200), message: part),
            line("err 1\n", .stderr, at: ts(0, 300)),
        ]
        var buckets: [LogBucket] = []
        for e in first { buckets += b.add(e) }
        let since = b.resumeSinceNs()
        #expect(since == ts(0, 200))
        // What Docker sends from `since`: the split line again (all its parts), the stderr line again, then more.
        let reread = [
            LogEntry(stream: .stdout, timestampNs: ts(0, 200), message: part),
            line("err 1\n", .stderr, at: ts(0, 300)),
            LogEntry(stream: .stdout, timestampNs: ts(0, 200), message: Array("end\n".utf8)),
            line("err 2\n", .stderr, at: ts(0, 400)),
            line("after\n", at: ts(1, 0)),
        ]
        for e in reread { buckets += b.add(e) }
        buckets += b.flush()
        let out = buckets.filter { $0.stream == .stdout }
        let err = buckets.filter { $0.stream == .stderr }
        #expect(out.reduce(0) { $0 + $1.lines } == 3)
        #expect(out.reduce(0) { $0 + $1.bytes } == UInt64(7 + 16_384 + 4 + 6))
        #expect(err.reduce(0) { $0 + $1.lines } == 2)
        #expect(b.resumeSinceNs() == ts(1, 0) + 1)
    }

    @Test func l2metTokensWithUnitsAreAggregatedPerBucket() {
        var b = LogBucketer(closeDelay: .seconds(1))
        _ = b.add(line("at=info measure#db.latency=12ms count#jobs=1 sample#queue=3\n", at: ts(0, 1)))
        _ = b.add(line("measure#db.latency=0.5s count#jobs sample#queue=7 measure#size=2KiB\n", at: ts(0, 2)))
        let bucket = try! #require(b.flush().first)
        func metric(_ name: String) -> L2metAggregate? { bucket.measurements.first { $0.name == name } }
        #expect(
            metric("db.latency")
                == L2metAggregate(
                    kind: .measure,
                    name: "db.latency",
                    unit: "ms",
                    count: 2,
                    sum: 512,
                    min: 12,
                    max: 500,
                    sumSquares: 144 + 250_000,
                    last: 500
                )
        )
        #expect(metric("jobs")?.kind == .count)
        #expect(metric("jobs")?.sum == 2)
        #expect(metric("queue")?.last == 7)
        #expect(metric("queue")?.kind == .sample)
        #expect(metric("size")?.sum == 2048)
        #expect(metric("size")?.unit == "B")
    }

    /// The bytes dockerd sends, cut at every possible point, give the same buckets.
    @Test(arguments: [false, true])
    func everyChunkingGivesTheSameBuckets(tty: Bool) throws {
        var raw: [UInt8] = []
        var expected: [LogBucket.Stream: (lines: UInt64, bytes: UInt64)] = [:]
        func frame(_ stream: LogBucket.Stream, _ t: Int64, _ payload: [UInt8]) {
            let stamped = Array(rfc3339(t).utf8) + [0x20] + payload
            if tty {
                raw += stamped
            } else {
                raw += [stream.rawValue, 0, 0, 0] + withUnsafeBytes(of: UInt32(stamped.count).bigEndian, Array.init) + stamped
            }
        }
        let streams: [LogBucket.Stream] = tty ? [.stdout] : [.stdout, .stderr]
        for i in 0..<40 {
            let stream = streams[i % streams.count]
            let t = ts(Int64(i / 7), Int64(i % 7) * 100)
            if i % 13 == 5 {
                // A long line: two parts and a tail, all with the first part's timestamp.
                let part = [UInt8](repeating: UInt8(ascii: "z"), count: 300)
                frame(stream, t, part)
                frame(stream, t, part)
                frame(stream, t, Array("end count#long=1\n".utf8))
                expected[stream, default: (0, 0)].lines += 1
                expected[stream, default: (0, 0)].bytes += 617
            } else {
                let text = Array("line \(i) measure#t=\(i)ms\n".utf8)
                frame(stream, t, text)
                expected[stream, default: (0, 0)].lines += 1
                expected[stream, default: (0, 0)].bytes += UInt64(text.count)
            }
        }
        func buckets(chunk: Int) throws -> [LogBucket] {
            var decoder = LogStreamDecoder(tty: tty, timestamps: true, maxPartSize: 300)
            var bucketer = LogBucketer(closeDelay: .seconds(1))
            var out: [LogBucket] = []
            var offset = 0
            while offset < raw.count {
                decoder.feed(raw[offset..<min(raw.count, offset + chunk)])
                offset += chunk
                while let entry = try decoder.next() { out += bucketer.add(entry) }
            }
            decoder.finish()
            while let entry = try decoder.next() { out += bucketer.add(entry) }
            return out + bucketer.flush()
        }
        let reference = try buckets(chunk: raw.count)
        for stream in streams {
            let mine = reference.filter { $0.stream == stream }
            #expect(mine.reduce(0) { $0 + $1.lines } == expected[stream]?.lines)
            #expect(mine.reduce(0) { $0 + $1.bytes } == expected[stream]?.bytes)
            #expect(mine.map(\.second) == mine.map(\.second).sorted() && Set(mine.map(\.second)).count == mine.count)
        }
        for chunk in [1, 2, 3, 7, 8, 9, 31, 64, 301, 1000] {
            #expect(try buckets(chunk: chunk) == reference, "chunk \(chunk)")
        }
    }
}

/// `2023-11-14T22:13:20.000000000Z` for Unix ns (Howard Hinnant's civil-from-days), as dockerd writes timestamps.
func rfc3339(_ ns: Int64) -> String {
    let seconds = ns / 1_000_000_000
    let fraction = ns % 1_000_000_000
    let days = seconds / 86_400
    let rest = seconds % 86_400
    let z = days + 719_468
    let era = z / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
    func pad(_ v: Int64, _ n: Int) -> String { String(repeating: "0", count: max(0, n - String(v).count)) + String(v) }
    return "\(y)-\(pad(m, 2))-\(pad(d, 2))T\(pad(rest / 3600, 2)):\(pad(rest % 3600 / 60, 2)):\(pad(rest % 60, 2)).\(pad(fraction, 9))Z"
}
