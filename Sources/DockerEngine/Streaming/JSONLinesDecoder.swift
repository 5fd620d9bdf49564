import FoundationEssentials
public import NIOCore

/// Splits a stream of newline-delimited JSON documents (`/events`) and decodes each one as `Element`.
///
/// Blank lines are skipped. A line that does not decode is an error: the stream is then out of step with what
/// this client understands, and the caller should reconnect rather than guess.
public struct JSONLinesDecoder<Element: Decodable & Sendable>: StreamDecoder {
    /// Longest accepted line; a daemon sending more without a newline is not speaking JSON lines.
    public let maxLineLength: Int
    private var buffer = StreamBuffer()
    private var scanned = 0

    public init(maxLineLength: Int = 1 << 20) {
        self.maxLineLength = maxLineLength
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

    public mutating func next() throws(DockerError) -> Element? {
        while true {
            var i = buffer.start + scanned
            while i < buffer.count, buffer[i] != 0x0A { i += 1 }
            let lineEnd: Int
            if i < buffer.count {
                lineEnd = i
            } else if buffer.ended, buffer.available > 0 {
                lineEnd = buffer.count
            } else {
                scanned = buffer.available
                if scanned > maxLineLength {
                    buffer.start = buffer.count
                    throw DockerError.invalidResponse(path: "JSON stream", reason: "line longer than \(maxLineLength) bytes")
                }
                buffer.compact()
                return nil
            }
            let line = Data(buffer.bytes[buffer.start..<lineEnd])
            buffer.start = min(lineEnd + 1, buffer.count)
            scanned = 0
            buffer.compact()
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
            do {
                return try JSONDecoder().decode(Element.self, from: line)
            } catch {
                throw DockerError.invalidResponse(
                    path: "JSON stream",
                    reason: "undecodable line \(String(decoding: line.prefix(200), as: UTF8.self)): \(error)"
                )
            }
        }
    }
}
