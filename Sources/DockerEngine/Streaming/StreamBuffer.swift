import NIOCore

/// The bytes a stream decoder has been fed and not yet consumed: one growing array read from ``start``, compacted
/// now and then so that a long stream does not keep what was consumed. Shared by ``JSONLinesDecoder`` and
/// ``LogStreamDecoder``, whose chunks never line up with their documents or frames.
struct StreamBuffer: Sendable {
    private(set) var bytes: [UInt8] = []
    /// The first byte not yet consumed.
    var start = 0
    /// The stream has ended: no more bytes will come.
    private(set) var ended = false

    var count: Int { bytes.count }
    var available: Int { bytes.count - start }

    subscript(i: Int) -> UInt8 { bytes[i] }

    mutating func feed(_ buffer: ByteBuffer) { bytes.append(contentsOf: buffer.readableBytesView) }
    mutating func feed(_ more: some Collection<UInt8>) { bytes.append(contentsOf: more) }
    mutating func finish() { ended = true }

    /// Drops what was consumed — all of it when everything was (keeping a capacity up to 1 MiB), else the consumed
    /// front once it is at least 64 KiB and half the buffer. Returns how far indices moved down (0 when they did not),
    /// so that a caller holding an index into the buffer can adjust it.
    @discardableResult
    mutating func compact() -> Int {
        if start == bytes.count {
            let moved = start
            bytes.removeAll(keepingCapacity: bytes.capacity <= 1 << 20)
            start = 0
            return moved
        } else if start >= 1 << 16, start * 2 >= bytes.count {
            let moved = start
            bytes.removeFirst(start)
            start = 0
            return moved
        }
        return 0
    }
}
