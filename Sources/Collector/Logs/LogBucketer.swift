import ContainerMetrics
import DockerEngine
import Timekeeping

/// Turns one container's log entries into ``LogBucket``s keyed by Docker's own timestamp second. Pure: entries
/// and the wall clock go in, closed buckets come out, in second order per stream.
///
/// Rules (docs/ARCHITECTURE.md, "Data path"):
/// - Parts of a line Docker split (``LogEntry/isPartial``; 16 KiB parts sharing the first part's timestamp) are
///   joined into one line; the line belongs to the second of its first part. An entry continues a pending part
///   only on the same stream with the same timestamp; anything else first completes the pending line.
/// - Bytes are the message bytes as Docker delivered them, terminator included, summed over the parts.
/// - The open bucket of a stream is closed when a line of a later second arrives on that stream
///   (``add(_:)``) or when the wall clock reaches its second + 1 s + the close delay (``closeDue(nowNs:)``), or
///   when the log stream ended (``flush()``).
/// - A bucket is never emitted twice and never empty: emitted seconds strictly increase per stream. A line whose
///   second is not after the stream's last emitted bucket (the wall clock stepped back, or a container restarted
///   within the second its previous run's last bucket was flushed) is counted in the next bucket instead.
/// - Resuming from a checkpoint: lines whose second is at or before ``resumeAfter`` for their stream were
///   emitted before the restart and are skipped.
package struct LogBucketer: Sendable {
    /// Per stream, the last second emitted before this bucketer existed (the persisted checkpoint).
    package let resumeAfter: [LogBucket.Stream: Int64]
    /// How long after the end of its second a bucket is closed when no later line arrives.
    package let closeDelayNs: Int64
    /// At most this many bytes of a joined line are kept for l2met parsing (the line is still counted in full).
    package let maxTokenBytes: Int

    /// Per stream, the last second emitted (starts at ``resumeAfter``).
    package private(set) var lastEmitted: [LogBucket.Stream: Int64]
    /// Per stream, the bucket being filled.
    package private(set) var open: [LogBucket.Stream: LogBucket] = [:]
    private var pending: [LogBucket.Stream: PendingLine] = [:]

    struct PendingLine: Sendable {
        var timestampNs: Int64
        var bytes: Int
        var head: [UInt8]
    }

    /// - Parameters:
    ///   - closeDelay: `--log-close-delay`.
    ///   - resumeAfter: per stream, the checkpoint second (lines at or before it are skipped).
    ///   - maxTokenBytes: see ``maxTokenBytes``.
    package init(closeDelay: Duration, resumeAfter: [LogBucket.Stream: Int64] = [:], maxTokenBytes: Int = 64 * 1024) {
        self.resumeAfter = resumeAfter
        self.closeDelayNs = closeDelay.nanoseconds
        self.maxTokenBytes = maxTokenBytes
        self.lastEmitted = resumeAfter
    }

    /// The second of a Docker timestamp (floor, also before 1970).
    @inlinable
    package static func second(ofNanoseconds ns: Int64) -> Int64 {
        ns >= 0 ? ns / 1_000_000_000 : (ns - 999_999_999) / 1_000_000_000
    }

    /// Whether a line of some stream is waiting for its next part.
    package var hasPendingPart: Bool { !pending.isEmpty }

    /// The timestamp of the earliest line still waiting for parts.
    package var earliestPendingTimestamp: Int64? { pending.values.map(\.timestampNs).min() }

    /// The latest timestamp of all entries added (skipped ones included).
    package private(set) var lastTimestampNs: Int64?

    /// While re-reading from a line that was split when its stream broke off: entries up to `upTo` were added
    /// already, except the parts of the broken lines (per stream, from their first part's timestamp).
    private var rereading: (upTo: Int64, brokenLines: [LogBucket.Stream: Int64])?
    /// Per stream, how many entries stamped ``lastTimestampNs`` were added.
    private var addedAtLast: [LogBucket.Stream: Int] = [:]
    /// Every timestamp so far was a whole second: the engine stamps to the second (dockerd's have nanoseconds).
    private var wholeSeconds = true
    /// While re-reading a whole second (an engine that stamps lines to the second): per stream, how many entries
    /// stamped `timestampNs` were added already and come again.
    private var rereadingSecond: (timestampNs: Int64, skip: [LogBucket.Stream: Int])?

    /// Where a new request must start (`since`, Unix ns) to continue exactly after what was added; nil before any
    /// entry (start from the origin then). When a split line was cut off by the end of the stream (dockerd went
    /// away), that is its first part: its parts are read again, and what other streams delivered meanwhile is
    /// skipped by ``add(_:)``.
    ///
    /// Timestamps without a fraction (Podman's Docker-compatible API prints whole seconds, yet filters `since` on
    /// the exact time it stored): `last + 1` would return that second's lines again. The request starts just
    /// before that second instead, and ``add(_:)`` skips, per stream, as many entries of it as were added.
    package mutating func resumeSinceNs() -> Int64? {
        guard let last = lastTimestampNs else { return nil }
        guard let first = earliestPendingTimestamp else {
            guard wholeSeconds else { return last + 1 }
            rereadingSecond = (last, addedAtLast)
            return last - 1
        }
        rereading = (last, pending.mapValues(\.timestampNs))
        pending.removeAll()
        return first
    }

    /// Adds one entry; returns the buckets it closed.
    package mutating func add(_ entry: LogEntry) -> [LogBucket] {
        if let (upTo, broken) = rereading {
            if entry.timestampNs > upTo {
                rereading = nil
            } else if entry.timestampNs < broken[entry.stream] ?? .max {
                return []  // added before the stream broke off
            }
        }
        if let (second, skip) = rereadingSecond {
            if entry.timestampNs > second {
                rereadingSecond = nil
            } else if entry.timestampNs < second {
                return []  // before the second the request started from: added already
            } else if let n = skip[entry.stream], n > 0 {
                rereadingSecond?.skip[entry.stream] = n - 1
                return []  // one of that second's entries added before the stream ended
            }
        }
        if entry.timestampNs % 1_000_000_000 != 0 { wholeSeconds = false }
        if entry.timestampNs > lastTimestampNs ?? .min {
            addedAtLast = [entry.stream: 1]
        } else if entry.timestampNs == lastTimestampNs {
            addedAtLast[entry.stream, default: 0] += 1
        }
        lastTimestampNs = max(lastTimestampNs ?? .min, entry.timestampNs)
        var closed: [LogBucket] = []
        let stream = entry.stream
        if var line = pending[stream] {
            if line.timestampNs == entry.timestampNs {
                line.bytes += entry.message.count
                appendHead(&line.head, entry.message)
                if entry.isPartial {
                    pending[stream] = line
                } else {
                    pending[stream] = nil
                    complete(stream, line, into: &closed)
                }
                return closed
            }
            // A different line: what was pending ended without a newline.
            pending[stream] = nil
            complete(stream, line, into: &closed)
        }
        if entry.isPartial {
            var head: [UInt8] = []
            appendHead(&head, entry.message)
            pending[stream] = PendingLine(timestampNs: entry.timestampNs, bytes: entry.message.count, head: head)
        } else {
            count(stream, timestampNs: entry.timestampNs, bytes: entry.message.count, line: entry.message, into: &closed)
        }
        return closed
    }

    /// Closes the buckets whose second ended at least the close delay before `nowNs` (wall clock, Unix ns).
    package mutating func closeDue(nowNs: Int64) -> [LogBucket] {
        var closed: [LogBucket] = []
        for stream in LogBucket.Stream.allCases {
            guard let bucket = open[stream] else { continue }
            let (deadline, overflow) = (bucket.second &+ 1).multipliedReportingOverflow(by: 1_000_000_000)
            if !overflow, nowNs >= deadline &+ closeDelayNs { emit(stream, into: &closed) }
        }
        return closed
    }

    /// The log stream ended (the container stopped): lines waiting for parts are complete as they are, and every
    /// open bucket is closed.
    package mutating func flush() -> [LogBucket] {
        var closed: [LogBucket] = []
        for stream in LogBucket.Stream.allCases {
            if let line = pending[stream] {
                pending[stream] = nil
                complete(stream, line, into: &closed)
            }
            if open[stream] != nil { emit(stream, into: &closed) }
        }
        return closed
    }

    // MARK: internals

    private mutating func appendHead(_ head: inout [UInt8], _ bytes: [UInt8]) {
        let room = maxTokenBytes - head.count
        if room > 0 { head.append(contentsOf: bytes.prefix(room)) }
    }

    private mutating func complete(_ stream: LogBucket.Stream, _ line: PendingLine, into closed: inout [LogBucket]) {
        count(stream, timestampNs: line.timestampNs, bytes: line.bytes, line: line.head, into: &closed)
    }

    private mutating func count(
        _ stream: LogBucket.Stream,
        timestampNs: Int64,
        bytes: Int,
        line: [UInt8],
        into closed: inout [LogBucket]
    ) {
        let second = Self.second(ofNanoseconds: timestampNs)
        if let skip = resumeAfter[stream], second <= skip { return }
        var target = second
        if let last = lastEmitted[stream], target <= last { target = last + 1 }
        if let current = open[stream] {
            if target > current.second {
                emit(stream, into: &closed)
            } else {
                target = current.second  // late line: counted in the open bucket
            }
        }
        let tokens = L2met.tokens(in: line.prefix(maxTokenBytes))
        if open[stream] == nil { open[stream] = LogBucket(stream: stream, second: target) }
        open[stream]!.add(lineBytes: bytes, tokens: tokens)
    }

    private mutating func emit(_ stream: LogBucket.Stream, into closed: inout [LogBucket]) {
        guard let bucket = open.removeValue(forKey: stream) else { return }
        lastEmitted[stream] = bucket.second
        closed.append(bucket)
    }
}
