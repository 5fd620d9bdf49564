public import ContainerMetrics

/// One log message as the Engine API delivers it: a line, or one part of a line Docker split.
///
/// Docker's log copier cuts lines longer than 16 KiB into 16 KiB parts; every part but the last has no trailing
/// `\n` and all parts carry the timestamp of the first (see ``LogStreamDecoder`` for what was observed). Join
/// parts until one is not ``isPartial`` to get the line the container wrote.
public struct LogEntry: Sendable, Equatable {
    /// stdout or stderr (a TTY container has only stdout).
    public var stream: LogBucket.Stream
    /// Docker's timestamp of the line in Unix nanoseconds; 0 when the stream was requested without timestamps.
    public var timestampNs: Int64
    /// The bytes the container wrote, line terminator included (`\n`, or `\r\n` through a TTY).
    public var message: [UInt8]

    public init(stream: LogBucket.Stream, timestampNs: Int64, message: [UInt8]) {
        self.stream = stream
        self.timestampNs = timestampNs
        self.message = message
    }

    /// True when this is not the end of a line: a 16 KiB part of a longer line, or output the container ended
    /// without a newline.
    public var isPartial: Bool { message.last != 0x0A }
}
