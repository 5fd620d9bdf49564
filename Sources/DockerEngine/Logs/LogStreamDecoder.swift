import ContainerMetrics
public import NIOCore

/// Decodes `/containers/{id}/logs` bodies into ``LogEntry`` values, whatever the chunk boundaries.
///
/// Two framings, chosen by the container's `Config.Tty`:
/// - **multiplexed** (no TTY): frames of an 8-byte header — byte 0 the stream (1 stdout, 2 stderr; 0 stdin is
///   reported as stdout), bytes 4–7 the big-endian payload length — then the payload. One frame is one log message.
/// - **raw** (TTY): the bytes as the terminal produced them; messages are delimited by `\n`.
///
/// With `timestamps=1` every message starts with an RFC3339Nano timestamp and a space.
///
/// What dockerd 20.10.24 (json-file driver) sends for a 40,001-byte line (`printf` of 40,000 `a` then `\n`),
/// observed with curl on the socket:
/// - no TTY: three frames with payloads of 16,384, 16,384 and 7,233 bytes (the last ending in `\n`); with
///   timestamps each payload is prefixed by the *same* 31-byte timestamp (`2026-11-25T03:25:08.517974356Z `) —
///   the time of the first part. Output ended without a newline (`printf nonl`) arrives as a frame without `\n`.
/// - TTY: one raw byte stream; the line ends in `\r\n`. With timestamps, a new timestamp follows each 16,384-byte
///   part *immediately*, with no separator: `TS aaaa…(16384)TS aaaa…(16384)TS aaaa…\r\nTS short\r\n`. So in
///   raw mode a message also ends after 16,384 bytes without a newline (``maxPartSize``), which is how the parts
///   are found again; without timestamps the parts are indistinguishable from one long line, which this decoder
///   then cuts at the same size (bounding its memory).
/// In both modes the message's lack of a trailing `\n` is what marks a part (``LogEntry/isPartial``).
public struct LogStreamDecoder: StreamDecoder {
    public typealias Element = LogEntry

    /// Docker's line split size (`daemon/logger` copier buffer).
    public static let dockerPartSize = 16 * 1024

    public let tty: Bool
    public let timestamps: Bool
    /// Raw (TTY) messages longer than this without a newline are emitted in parts of this size.
    public let maxPartSize: Int

    private var buffer = StreamBuffer()
    /// Raw mode: the timestamp and message start of the message being assembled, and how far it was searched.
    private var pendingTimestamp: Int64 = 0
    private var pendingMessageStart: Int?
    private var scanned = 0

    /// - Parameters:
    ///   - tty: the container has a TTY (`Config.Tty`): raw stream instead of multiplexed frames.
    ///   - timestamps: the request had `timestamps=1`.
    public init(tty: Bool, timestamps: Bool, maxPartSize: Int = LogStreamDecoder.dockerPartSize) {
        self.tty = tty
        self.timestamps = timestamps
        self.maxPartSize = max(1, maxPartSize)
    }

    public mutating func feed(_ bytes: ByteBuffer) {
        buffer.feed(bytes)
    }

    /// Appends bytes (tests and non-NIO callers).
    public mutating func feed(_ bytes: some Collection<UInt8>) {
        buffer.feed(bytes)
    }

    public mutating func finish() {
        buffer.finish()
    }

    public mutating func next() throws(DockerError) -> LogEntry? {
        let entry = tty ? nextRaw() : try nextFrame()
        let wasEmpty = buffer.available == 0
        let moved = buffer.compact()
        if wasEmpty {
            pendingMessageStart = nil
        } else if moved > 0, let m = pendingMessageStart {
            pendingMessageStart = m - moved
        }
        return entry
    }

    private mutating func nextFrame() throws(DockerError) -> LogEntry? {
        let available = buffer.available
        guard available >= 8 else {
            if buffer.ended && available > 0 {
                buffer.start = buffer.count
                throw DockerError.invalidResponse(path: "log stream", reason: "stream ended inside a frame header")
            }
            return nil
        }
        let kind = buffer[buffer.start]
        guard kind <= 3, buffer[buffer.start + 1] == 0, buffer[buffer.start + 2] == 0, buffer[buffer.start + 3] == 0 else {
            buffer.start = buffer.count
            throw DockerError.invalidResponse(
                path: "log stream",
                reason: "bad frame header (stream byte \(kind)); is this a TTY container read as multiplexed?"
            )
        }
        let length =
            Int(buffer[buffer.start + 4]) << 24 | Int(buffer[buffer.start + 5]) << 16 | Int(buffer[buffer.start + 6]) << 8 | Int(buffer[buffer.start + 7])
        guard available >= 8 + length else {
            if buffer.ended {
                buffer.start = buffer.count
                throw DockerError.invalidResponse(path: "log stream", reason: "stream ended inside a \(length)-byte frame")
            }
            return nil
        }
        let payloadStart = buffer.start + 8
        let payloadEnd = payloadStart + length
        buffer.start = payloadEnd
        if kind == 3 {
            throw DockerError.invalidResponse(
                path: "log stream",
                reason: "dockerd reported: \(String(decoding: buffer.bytes[payloadStart..<payloadEnd], as: UTF8.self))"
            )
        }
        // 0 is stdin, which Docker only echoes on stdout.
        let stream: LogBucket.Stream = kind == 2 ? .stderr : .stdout
        var messageStart = payloadStart
        var timestamp: Int64 = 0
        if timestamps, let (ts, after) = parseTimestamp(from: payloadStart, limit: payloadEnd) {
            timestamp = ts
            messageStart = after
        }
        return LogEntry(stream: stream, timestampNs: timestamp, message: Array(buffer.bytes[messageStart..<payloadEnd]))
    }

    private mutating func nextRaw() -> LogEntry? {
        guard buffer.count > buffer.start else { return nil }
        if pendingMessageStart == nil {
            if timestamps {
                if let (ts, after) = parseTimestamp(from: buffer.start, limit: buffer.count) {
                    pendingTimestamp = ts
                    pendingMessageStart = after
                } else if buffer.available < Self.maxTimestampLength && !buffer.ended {
                    return nil  // the timestamp may still be arriving
                } else {
                    pendingTimestamp = 0  // not a timestamp: keep the bytes as the message
                    pendingMessageStart = buffer.start
                }
            } else {
                pendingTimestamp = 0
                pendingMessageStart = buffer.start
            }
            scanned = 0
        }
        let messageStart = pendingMessageStart!
        let limit = min(buffer.count, messageStart + maxPartSize)
        var i = messageStart + scanned
        while i < limit, buffer[i] != 0x0A { i += 1 }
        let end: Int
        if i < limit {
            end = i + 1  // through the newline
        } else if limit == messageStart + maxPartSize || (buffer.ended && limit > messageStart) {
            end = limit  // a part, or output that ended without a newline
        } else {
            if buffer.ended, limit == messageStart {
                // A lone timestamp at the very end.
                buffer.start = buffer.count
                pendingMessageStart = nil
            }
            scanned = limit - messageStart
            return nil
        }
        let entry = LogEntry(stream: .stdout, timestampNs: pendingTimestamp, message: Array(buffer.bytes[messageStart..<end]))
        buffer.start = end
        pendingMessageStart = nil
        return entry
    }

    /// Longest prefix `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+hh:mm ` that can be a timestamp.
    static let maxTimestampLength = 36

    /// Parses `timestamp + " "` at `from`; returns the nanoseconds and the index after the space.
    private func parseTimestamp(from: Int, limit: Int) -> (Int64, Int)? {
        let searchEnd = min(limit, from + Self.maxTimestampLength)
        var space = from
        while space < searchEnd, buffer[space] != 0x20 { space += 1 }
        guard space < searchEnd else { return nil }
        let ns = buffer.bytes.withUnsafeBytes { raw in
            RFC3339.nanoseconds(UnsafeRawBufferPointer(rebasing: raw[from..<space]))
        }
        guard let ns else { return nil }
        return (ns, space + 1)
    }
}
