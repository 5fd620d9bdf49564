/// Log activity of one container stream during one second of Docker's own log timestamps.
///
/// Buckets are keyed by the timestamp Docker stamped on each line, not by when a collector read it, so every
/// collector that reads the same container produces the same buckets. That lets the hub take each
/// (engine, container, stream, second) from whichever collector delivers it first and drop the others: two
/// collectors on one engine, a collector re-reading after a restart, or a retransmission never count a line twice.
public struct LogBucket: Equatable, Sendable {
    public enum Stream: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        case stdout = 1
        case stderr = 2

        public var description: String { self == .stdout ? "stdout" : "stderr" }
    }

    public var stream: Stream
    /// The Unix second `[second, second + 1)` the bucket covers.
    public var second: Int64
    /// Complete lines (a line split by Docker into 16 KiB parts counts once).
    public var lines: UInt64
    /// Bytes of those lines as the container wrote them (line terminator included).
    public var bytes: UInt64
    /// l2met measurements found in the lines, aggregated per (kind, name, unit).
    public var measurements: [L2metAggregate]

    public init(stream: Stream, second: Int64, lines: UInt64 = 0, bytes: UInt64 = 0, measurements: [L2metAggregate] = []) {
        self.stream = stream
        self.second = second
        self.lines = lines
        self.bytes = bytes
        self.measurements = measurements
    }

    /// Adds one complete line and the l2met tokens it carries.
    public mutating func add(lineBytes: Int, tokens: [L2metToken]) {
        lines &+= 1
        bytes &+= UInt64(lineBytes)
        for token in tokens {
            if let i = measurements.firstIndex(where: { $0.kind == token.kind && $0.name == token.name && $0.unit == token.unit }) {
                measurements[i].add(token.value)
            } else {
                measurements.append(L2metAggregate(token))
            }
        }
    }
}

/// The summary of one l2met metric's tokens within a bucket or period: a Librato complex gauge.
public struct L2metAggregate: Equatable, Sendable {
    public var kind: L2metToken.Kind
    public var name: String
    /// Canonical unit (see ``L2metToken``), empty when none was given.
    public var unit: String
    /// Number of tokens.
    public var count: UInt64
    public var sum: Double
    public var min: Double
    public var max: Double
    public var sumSquares: Double
    /// The last token's value (what `sample#` means).
    public var last: Double

    public init(kind: L2metToken.Kind, name: String, unit: String, count: UInt64, sum: Double, min: Double, max: Double, sumSquares: Double, last: Double) {
        self.kind = kind
        self.name = name
        self.unit = unit
        self.count = count
        self.sum = sum
        self.min = min
        self.max = max
        self.sumSquares = sumSquares
        self.last = last
    }

    public init(_ token: L2metToken) {
        self.init(
            kind: token.kind, name: token.name, unit: token.unit, count: 1, sum: token.value, min: token.value,
            max: token.value, sumSquares: token.value * token.value, last: token.value)
    }

    public mutating func add(_ value: Double) {
        count &+= 1
        sum += value
        min = Swift.min(min, value)
        max = Swift.max(max, value)
        sumSquares += value * value
        last = value
    }

    /// Folds another aggregate of the same metric (later in time) into this one.
    public mutating func merge(_ other: L2metAggregate) {
        count &+= other.count
        sum += other.sum
        min = Swift.min(min, other.min)
        max = Swift.max(max, other.max)
        sumSquares += other.sumSquares
        last = other.last
    }
}
