import DequeModule
import WireFormat

/// One collector epoch.
package struct LedgerKey: Hashable, Sendable, Codable {
    package var collector: CollectorID
    package var epoch: UInt64

    package init(collector: CollectorID, epoch: UInt64) {
        self.collector = collector
        self.epoch = epoch
    }

    /// A multiply-xorshift mix keyed by the table's seed instead of SipHash: the hub looks a collector epoch up about
    /// ten times per frame (a tenth of ingesting a 10-sample frame went to SipHash). The ids come from authenticated
    /// frames, and the seed mixed in first keeps collisions from being chosen from outside.
    package func _rawHashValue(seed: Int) -> Int {
        var h = (collector.high ^ UInt64(truncatingIfNeeded: seed)) &* 0x9E37_79B9_7F4A_7C15
        h = (h ^ (h >> 29) ^ collector.low) &* 0xFF51_AFD7_ED55_8CCD
        h = (h ^ (h >> 32) ^ epoch) &* 0xC4CE_B9FE_1A85_EC53
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }
}

extension CollectorID: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = CollectorID(hex: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a collector id: \(text)"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// The hub's view of one collector epoch's sequence numbers: which frames are applied, which wait above a gap,
/// which are done (their data delivered), and what to acknowledge. Pure: no I/O, no clock.
///
/// - Frames are applied strictly in sequence order; a frame above a gap waits in a bounded reorder buffer.
/// - A frame at or below ``appliedThrough`` (or already buffered) is a duplicate.
/// - A frame is *done* when the latest period its data landed in has been delivered; ``ackedThrough`` is the highest
///   sequence below which every frame is done.
/// - Abandoned ranges (frames the collector dropped, or that an earlier hub acknowledged) count as applied and done.
package struct CollectorLedger: Sendable {
    package private(set) var appliedThrough: UInt64
    package private(set) var ackedThrough: UInt64
    /// Frames received above a gap, by sequence.
    private(set) var buffered: [UInt64: OpenedFrame] = [:]
    /// The frame just offered when it was simply the next one (nothing buffered, nothing abandoned ahead: every
    /// frame but after a loss), handed to ``next()`` without a round trip through ``buffered`` (an insertion and a
    /// removal per frame, a tenth of the hub's per-frame work for small frames).
    private var ready: OpenedFrame?
    /// Ranges announced as abandoned that lie above ``appliedThrough``, sorted, with whether they were dropped (lost)
    /// or acknowledged by an earlier hub (done).
    private(set) var abandonedAhead: [(range: ClosedRange<UInt64>, dropped: Bool)] = []
    /// Applied frames not yet done: (sequence, latest period their data landed in).
    private(set) var inFlight: Deque<(sequence: UInt64, period: Int64)> = []
    package let window: Int
    package private(set) var lostFrames: UInt64 = 0
    /// Log lines of the lost frames, as the collector reported them with the dropped ranges.
    package private(set) var lostLogLines: UInt64 = 0
    /// Log lines per announced-dropped sequence above ``appliedThrough``.
    private var droppedLines: [UInt64: UInt64] = [:]

    package init(startingAfter acked: UInt64, window: Int) {
        appliedThrough = acked
        ackedThrough = acked
        self.window = window
    }

    package var nextExpected: UInt64 { appliedThrough &+ 1 }
    package var bufferedCount: Int { buffered.count + (ready == nil ? 0 : 1) }

    package enum Offer: Equatable, Sendable {
        case duplicate
        /// Held above a gap.
        case buffered
        /// Too far above the gap; dropped (the collector will retransmit it).
        case beyondWindow
        /// Ready: apply these frames in this order (the offered one and any it unblocked).
        case apply
    }

    /// What the collector says it knows to be acknowledged (the header's `ackedThrough`): frames at or below it can
    /// never be retransmitted, so the ledger moves past them. Only matters after the hub lost its state.
    package mutating func collectorAcked(through acked: UInt64) {
        guard acked > appliedThrough else { return }
        appliedThrough = acked
        ackedThrough = max(ackedThrough, acked)
        while let f = inFlight.first, f.sequence <= acked { inFlight.removeFirst() }
        buffered = buffered.filter { $0.key > acked }
        if let r = ready, r.header.sequence <= acked { ready = nil }
    }

    /// Records abandoned ranges (announced in any frame, even one that must wait itself). Idempotent: parts at or below
    /// ``appliedThrough`` or already announced are ignored, and a frame that arrives although announced abandoned is
    /// still applied (and not counted as lost).
    package mutating func abandon(_ range: AbandonedRange) {
        bufferReady()
        guard range.last > appliedThrough else { return }
        var pieces = [max(range.first, appliedThrough + 1)...range.last]
        for known in abandonedAhead {
            pieces = pieces.flatMap { piece -> [ClosedRange<UInt64>] in
                guard piece.overlaps(known.range) else { return [piece] }
                var rest: [ClosedRange<UInt64>] = []
                if piece.lowerBound < known.range.lowerBound { rest.append(piece.lowerBound...(known.range.lowerBound - 1)) }
                if piece.upperBound > known.range.upperBound { rest.append((known.range.upperBound + 1)...piece.upperBound) }
                return rest
            }
        }
        for piece in pieces { abandonedAhead.append((piece, range.reason == .dropped)) }
        if range.reason == .dropped, UInt64(range.logLines.count) == range.last - range.first + 1 {
            for (i, n) in range.logLines.enumerated() where n > 0 {
                let seq = range.first + UInt64(i)
                if seq > appliedThrough { droppedLines[seq] = n }
            }
        }
        abandonedAhead.sort { $0.range.lowerBound < $1.range.lowerBound }
    }

    /// Offers a received frame. `.apply` means the caller should now call ``next()`` until it returns nil and apply
    /// those frames in order.
    package mutating func offer(_ frame: consuming OpenedFrame) -> Offer {
        skipAbandoned()
        let seq = frame.header.sequence
        if seq <= appliedThrough || buffered[seq] != nil || ready?.header.sequence == seq { return .duplicate }
        if seq > appliedThrough + UInt64(window) + 1 { return .beyondWindow }
        if seq == appliedThrough + 1, ready == nil, buffered.isEmpty, abandonedAhead.isEmpty {
            ready = frame
            return .apply
        }
        bufferReady()
        buffered[seq] = frame
        skipAbandoned()
        return buffered[appliedThrough + 1] != nil ? .apply : .buffered
    }

    /// The next frame to apply, if the one after ``appliedThrough`` is here. The caller must then report its
    /// period with ``applied(_:period:)``.
    package mutating func next() -> OpenedFrame? {
        if let frame = ready.take() {
            // `offer` kept it only as the very next frame with nothing abandoned ahead: nothing to skip.
            appliedThrough += 1
            if !droppedLines.isEmpty { droppedLines[appliedThrough] = nil }
            return frame
        }
        skipAbandoned()
        guard let frame = buffered.removeValue(forKey: appliedThrough + 1) else { return nil }
        appliedThrough += 1
        droppedLines[appliedThrough] = nil  // it arrived after all: its lines are not lost
        return frame
    }

    /// `sequence` was applied and its data landed in periods up to `period` (nil: no data, done at once).
    package mutating func applied(_ sequence: UInt64, period: Int64?) {
        inFlight.append((sequence, period ?? .min))
    }

    /// Puts the frame held aside by ``offer(_:)`` into the reorder buffer, where the general rules see it.
    private mutating func bufferReady() {
        if let r = ready.take() { buffered[r.header.sequence] = r }
    }

    /// Moves ``appliedThrough`` over abandoned sequences that did not arrive; stops at one that did (it is applied).
    private mutating func skipAbandoned() {
        while let first = abandonedAhead.first {
            if first.range.upperBound <= appliedThrough {
                abandonedAhead.removeFirst()
                continue
            }
            let n = appliedThrough + 1
            guard first.range.contains(n), buffered[n] == nil else { return }
            // Skip up to the end of the range or just before the next frame that did arrive.
            let arrived = buffered.keys.filter { $0 > n && $0 <= first.range.upperBound }.min()
            let end = arrived.map { $0 - 1 } ?? first.range.upperBound
            if first.dropped {
                lostFrames += end - n + 1
                if !droppedLines.isEmpty {
                    for seq in n...end { lostLogLines += droppedLines.removeValue(forKey: seq) ?? 0 }
                }
            }
            appliedThrough = end
        }
    }

    /// Periods up to `deliveredThrough` are delivered: advance ``ackedThrough``. Returns whether it moved.
    @discardableResult
    package mutating func advance(deliveredThrough: Int64?) -> Bool {
        let before = ackedThrough
        let delivered = deliveredThrough ?? .min
        while let f = inFlight.first, f.period == .min || f.period <= delivered { inFlight.removeFirst() }
        ackedThrough = inFlight.first.map { $0.sequence - 1 } ?? appliedThrough
        return ackedThrough != before
    }
}
