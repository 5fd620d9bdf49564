import DequeModule
import WireFormat
import Timekeeping

extension SpoolStateMachine {
    // MARK: sending

    /// The frame to send next, or nil when nothing waits. New frames go out in sequence order; when retransmissions
    /// wait too, ``Configuration/retransmissionsPerNewFrame`` of them go between two new frames. Call
    /// ``transmitted(_:now:)`` once the socket took it; if it would block, just try again later.
    package mutating func nextTransmission() -> Transmission? {
        while let sequence = retransmitQueue.first, index(of: sequence) == nil { retransmitQueue.removeFirst() }
        let newIndex = lowerBound(firstUnsent) < entries.count ? lowerBound(firstUnsent) : nil
        let retransmitIndex = retransmitQueue.first.flatMap { index(of: $0) }
        let useRetransmission: Bool
        switch (newIndex, retransmitIndex) {
        case (nil, nil): return nil
        case (.some, nil): useRetransmission = false
        case (nil, .some): useRetransmission = true
        case (.some, .some): useRetransmission = retransmissionsSinceNewFrame < configuration.retransmissionsPerNewFrame
        }
        let entry = entries[useRetransmission ? retransmitIndex! : newIndex!]
        return Transmission(sequence: entry.sequence, bytes: entry.bytes, isRetransmission: useRetransmission || entry.restored)
    }

    /// The socket took `transmission` at `now`.
    package mutating func transmitted(_ transmission: Transmission, now: MonotonicInstant) {
        guard let i = index(of: transmission.sequence) else { return }
        counters.sent += 1
        if transmission.isRetransmission { counters.retransmitted += 1 }
        if retransmitQueue.first == transmission.sequence {
            retransmitQueue.removeFirst()
            retransmissionsSinceNewFrame += 1
        } else {
            firstUnsent = max(firstUnsent, transmission.sequence + 1)
            retransmissionsSinceNewFrame = 0
        }
        entries[i].lastSent = now
        entries[i].restored = false
    }

    /// The frame could not be read back from disk (damaged since it was written): it is dropped and reported.
    package mutating func frameUnreadable(sequence: UInt64) -> [Action] {
        guard let i = index(of: sequence) else { return [] }
        return drop([remove(at: i)])
    }

    func index(of sequence: UInt64) -> Int? {
        let i = lowerBound(sequence)
        return i < entries.count && entries[i].sequence == sequence ? i : nil
    }

    /// Index of the first entry with a sequence ≥ `sequence`.
    func lowerBound(_ sequence: UInt64) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].sequence < sequence { low = mid + 1 } else { high = mid }
        }
        return low
    }

    // MARK: acks

    /// An ack arrived at `now`.
    package mutating func ackReceived(_ ack: Ack, now: MonotonicInstant) -> [Action] {
        guard ack.epoch == epoch else {
            counters.acksIgnored += 1
            return []
        }
        counters.acksReceived += 1
        var actions: [Action] = []
        // Never beyond what was built: an ack for a sequence we never used says nothing about ours.
        let through = min(ack.ackedThrough, nextSequence - 1)
        if through > ackedThrough {
            ackedThrough = through
            var releasesDisk = false
            while let first = entries.first, first.sequence <= through {
                let entry = remove(at: 0)
                counters.acked += 1
                releasesDisk = releasesDisk || entry.onDisk
            }
            settledThrough = max(settledThrough, through)
            firstUnsent = max(firstUnsent, through + 1)
            abandoned.removeAll { $0.last <= through }
            if releasesDisk { actions.append(.releaseDisk(through: settledThrough)) }
        }
        backpressure = ack.flags.contains(.backpressure)
        let nextExpected = max(ack.nextExpected, 1)
        hubNextExpected = nextExpected
        if nextExpected <= ackedThrough {
            reportAcknowledged(from: nextExpected)
        } else if nextExpected < nextSequence, index(of: nextExpected) == nil {
            reportMissing(from: nextExpected)
        }
        // The hub is listening: reports need not wait for the data side's next batch.
        if !pending.isEmpty { actions.append(.buildFrame) }
        scheduleRetransmissions(from: nextExpected, after: .milliseconds(Int64(clamping: ack.retransmitAfterMs)), now: now)
        if !retransmitQueue.isEmpty { actions.append(.transmit) }
        return actions
    }

    /// Queues `AbandonedRange(nextExpected...ackedThrough, .acknowledged)` unless a report covering it already waits
    /// or travels in an unacknowledged frame (which is retransmitted like any other).
    private mutating func reportAcknowledged(from nextExpected: UInt64) {
        guard !reportUnderway(for: nextExpected) else { return }
        addPending(AbandonedRange(epoch: epoch, first: nextExpected, last: ackedThrough, reason: .acknowledged))
    }

    /// The hub asks for a sequence above our `ackedThrough` that the spool no longer holds (dropped, lost to disk
    /// damage, or a reserved number never used): its report was lost, or the hub lost its state. Reports the gap up to
    /// the next frame held again, with the reasons it was first reported with (dropped when unknown: everything
    /// settled but not acknowledged was dropped), unless a report for it is already on its way.
    private mutating func reportMissing(from nextExpected: UInt64) {
        guard !reportUnderway(for: nextExpected) else { return }
        let next = lowerBound(nextExpected)
        let end = (next < entries.count ? entries[next].sequence : nextSequence) - 1
        var cursor = nextExpected
        for range in abandoned where range.last >= cursor && range.first <= end {
            if range.first > cursor { addPending(AbandonedRange(epoch: epoch, first: cursor, last: range.first - 1, reason: .dropped)) }
            let last = min(range.last, end)
            addPending(AbandonedRange(epoch: epoch, first: max(range.first, cursor), last: last, reason: range.reason))
            cursor = last + 1
        }
        if cursor <= end { addPending(AbandonedRange(epoch: epoch, first: cursor, last: end, reason: .dropped)) }
    }

    /// Whether a report covering `sequence` waits in ``pending`` or travels in a spooled (unacknowledged) frame.
    private func reportUnderway(for sequence: UInt64) -> Bool {
        let covers = { (r: AbandonedRange) in r.first <= sequence && sequence <= r.last }
        return pending.contains(where: covers) || entries.contains { $0.carried.contains(where: covers) }
    }

    /// Replaces the retransmission queue: frames ≥ `nextExpected` last sent at least `after` ago, in order, up to
    /// the per-ack byte budget. Nothing under back-pressure.
    private mutating func scheduleRetransmissions(from nextExpected: UInt64, after: Duration, now: MonotonicInstant) {
        retransmitQueue.removeAll()
        guard !backpressure else { return }
        var budget = configuration.retransmitBytesPerAck
        var i = lowerBound(nextExpected)
        while i < entries.endIndex, budget > 0 {
            let entry = entries[i]
            if let sent = entry.lastSent, sent.duration(to: now) >= after {
                retransmitQueue.append(entry.sequence)
                budget -= entry.size
            }
            i += 1
        }
    }

    // MARK: time

    /// Time passes: heartbeats and fsyncs fall due. The first heartbeat is one interval after the first tick.
    package mutating func tick(now: MonotonicInstant) -> [Action] {
        var actions: [Action] = []
        if let due = nextHeartbeat {
            if now >= due {
                actions.append(.buildHeartbeat)
                nextHeartbeat = now.advanced(by: configuration.heartbeatInterval)
            }
        } else {
            nextHeartbeat = now.advanced(by: configuration.heartbeatInterval)
        }
        if diskUnsynced, lastSync.map({ $0.duration(to: now) >= configuration.syncInterval }) ?? true {
            actions.append(.syncDisk)
        }
        return actions
    }

    /// The disk spool was fsynced at `now`.
    package mutating func diskSynced(now: MonotonicInstant) {
        diskUnsynced = false
        lastSync = now
    }
}
