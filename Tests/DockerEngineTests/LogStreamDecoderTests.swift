import ContainerMetrics
import Testing

@testable import DockerEngine

/// Builders for log streams shaped like what dockerd sends (see the observations in `LogStreamDecoder`).
enum LogBytes {
    static func frame(_ stream: UInt8, _ payload: [UInt8]) -> [UInt8] {
        let n = UInt32(payload.count)
        return [stream, 0, 0, 0, UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)] + payload
    }

    static func frame(_ stream: UInt8, _ text: String) -> [UInt8] { frame(stream, Array(text.utf8)) }

    static let ts1 = "2026-11-25T03:25:08.517974356Z"
    static let ts1ns: Int64 = 1_795_577_108_517_974_356
    static let ts2 = "2026-11-25T03:25:08.518106312Z"
    static let ts2ns: Int64 = 1_795_577_108_518_106_312
}

/// Decodes `bytes` fed in the given chunks, finishing at the end.
func decodeAll(_ decoder: LogStreamDecoder, _ chunks: [ArraySlice<UInt8>]) throws -> [LogEntry] {
    var decoder = decoder
    var out: [LogEntry] = []
    for chunk in chunks {
        decoder.feed(chunk)
        while let entry = try decoder.next() { out.append(entry) }
    }
    decoder.finish()
    while let entry = try decoder.next() { out.append(entry) }
    return out
}

/// Asserts that splitting `bytes` at every possible point (two chunks) decodes like feeding it whole, and byte by byte.
func expectSplitInvariant(
    _ decoder: LogStreamDecoder,
    _ bytes: [UInt8],
    stride step: Int = 1,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> [LogEntry] {
    let whole = try decodeAll(decoder, [bytes[...]])
    for cut in Swift.stride(from: 0, through: bytes.count, by: step) {
        let split = try decodeAll(decoder, [bytes[..<cut], bytes[cut...]])
        #expect(split == whole, "split at \(cut)", sourceLocation: sourceLocation)
        if split != whole { break }
    }
    let byteByByte = try decodeAll(decoder, bytes.indices.map { bytes[$0..<($0 + 1)] })
    #expect(byteByByte == whole, "byte by byte", sourceLocation: sourceLocation)
    return whole
}

@Suite struct LogStreamDecoderTests {
    @Test func multiplexedWithTimestamps() throws {
        let bytes =
            LogBytes.frame(1, "\(LogBytes.ts1) hello\n") + LogBytes.frame(2, "\(LogBytes.ts2) oops\n")
            + LogBytes.frame(1, "\(LogBytes.ts2) \n") + LogBytes.frame(1, "\(LogBytes.ts2) nonl")
        let entries = try expectSplitInvariant(LogStreamDecoder(tty: false, timestamps: true), bytes)
        #expect(
            entries == [
                LogEntry(stream: .stdout, timestampNs: LogBytes.ts1ns, message: Array("hello\n".utf8)),
                LogEntry(stream: .stderr, timestampNs: LogBytes.ts2ns, message: Array("oops\n".utf8)),
                LogEntry(stream: .stdout, timestampNs: LogBytes.ts2ns, message: Array("\n".utf8)),
                LogEntry(stream: .stdout, timestampNs: LogBytes.ts2ns, message: Array("nonl".utf8)),
            ]
        )
        #expect(entries.map(\.isPartial) == [false, false, false, true])
    }

    @Test func multiplexedWithoutTimestamps() throws {
        let bytes = LogBytes.frame(1, "a\n") + LogBytes.frame(2, "b\n") + LogBytes.frame(0, "c\n")
        let entries = try expectSplitInvariant(LogStreamDecoder(tty: false, timestamps: false), bytes)
        #expect(entries.map(\.stream) == [.stdout, .stderr, .stdout])
        #expect(entries.map(\.timestampNs) == [0, 0, 0])
        #expect(entries.map { String(decoding: $0.message, as: UTF8.self) } == ["a\n", "b\n", "c\n"])
    }

    /// The observed non-TTY layout of a 40,001-byte line: parts of 16,384 bytes, each with the first part's timestamp.
    @Test func multiplexedSixteenKiBParts() throws {
        let line = [UInt8](repeating: UInt8(ascii: "a"), count: 40_000) + [0x0A]
        let prefix = Array("\(LogBytes.ts1) ".utf8)
        var bytes: [UInt8] = []
        for part in [line[0..<16_384], line[16_384..<32_768], line[32_768...]] {
            bytes += LogBytes.frame(1, prefix + part)
        }
        bytes += LogBytes.frame(1, "\(LogBytes.ts2) short\n")
        let entries = try expectSplitInvariant(LogStreamDecoder(tty: false, timestamps: true), bytes, stride: 97)
        #expect(entries.map(\.message.count) == [16_384, 16_384, 7_233, 6])
        #expect(entries.map(\.isPartial) == [true, true, false, false])
        #expect(entries.prefix(3).allSatisfy { $0.timestampNs == LogBytes.ts1ns })
        #expect(entries.prefix(3).flatMap(\.message) == line)
    }

    /// The observed TTY layout: raw, `\r\n`, and a timestamp right after each 16 KiB part.
    @Test func rawTTYSixteenKiBParts() throws {
        let line = [UInt8](repeating: UInt8(ascii: "b"), count: 40_000) + [0x0D, 0x0A]
        let prefix = Array("\(LogBytes.ts1) ".utf8)
        var bytes: [UInt8] = []
        for part in [line[0..<16_384], line[16_384..<32_768], line[32_768...]] { bytes += prefix + part }
        bytes += Array("\(LogBytes.ts2) short\r\n\(LogBytes.ts2) nonl".utf8)
        let entries = try expectSplitInvariant(LogStreamDecoder(tty: true, timestamps: true), bytes, stride: 89)
        #expect(entries.map(\.message.count) == [16_384, 16_384, 7_234, 7, 4])
        #expect(entries.map(\.isPartial) == [true, true, false, false, true])
        #expect(entries.map(\.timestampNs) == [LogBytes.ts1ns, LogBytes.ts1ns, LogBytes.ts1ns, LogBytes.ts2ns, LogBytes.ts2ns])
        #expect(entries.allSatisfy { $0.stream == .stdout })
    }

    /// Exhaustive splits on a small-scale copy of the TTY layout (parts of 8 bytes).
    @Test func rawTTYEverySplit() throws {
        let text = "\(LogBytes.ts1) 12345678\(LogBytes.ts1) 90\r\n\(LogBytes.ts2) x\n\(LogBytes.ts2) \r\n\(LogBytes.ts2) tail"
        let entries = try expectSplitInvariant(LogStreamDecoder(tty: true, timestamps: true, maxPartSize: 8), Array(text.utf8))
        #expect(entries.map { String(decoding: $0.message, as: UTF8.self) } == ["12345678", "90\r\n", "x\n", "\r\n", "tail"])
        #expect(entries.map(\.timestampNs) == [LogBytes.ts1ns, LogBytes.ts1ns, LogBytes.ts2ns, LogBytes.ts2ns, LogBytes.ts2ns])
    }

    @Test func rawTTYWithoutTimestamps() throws {
        let entries = try expectSplitInvariant(
            LogStreamDecoder(tty: true, timestamps: false, maxPartSize: 8),
            Array("one\r\ntwo\nlonger than eight\nend".utf8)
        )
        #expect(entries.map { String(decoding: $0.message, as: UTF8.self) } == ["one\r\n", "two\n", "longer t", "han eigh", "t\n", "end"])
    }

    @Test func badFrameHeaderIsAnError() {
        var decoder = LogStreamDecoder(tty: false, timestamps: false)
        decoder.feed(Array("plain text, not frames".utf8))
        #expect(throws: DockerError.self) { try decoder.next() }
    }

    @Test func streamEndingInsideAFrameIsAnError() throws {
        var decoder = LogStreamDecoder(tty: false, timestamps: false)
        decoder.feed(LogBytes.frame(1, "complete\n") + LogBytes.frame(1, "cut short\n").dropLast(3))
        #expect(try decoder.next()?.message == Array("complete\n".utf8))
        #expect(try decoder.next() == nil)
        decoder.finish()
        #expect(throws: DockerError.self) { try decoder.next() }
    }
}
