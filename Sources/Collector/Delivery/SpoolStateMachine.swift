import DequeModule
import WireFormat
import Timekeeping

/// The collector's delivery rules as an I/O-free state machine: which sequence the next frame gets, which frames the
/// spool keeps (memory, disk, drop-oldest), what to send and retransmit, what acks free, and what to report to the
/// hub. The driver (``FrameDeliverer``) performs the I/O it is told to and feeds back what happened with the current
/// time; tests drive it with plain instants, without sockets or sleeps.
///
/// Rules (docs/ARCHITECTURE.md, "Delivery protocol"):
/// - Sequences start at 1 and never repeat within an epoch. With a state directory they are reserved in blocks of
///   ``Configuration/sequenceBlock``: ``planFrame()`` says when the state file must be written before sealing.
/// - Every frame stays until acknowledged. Without a disk tier, the spool holds ``Configuration/memoryBytes``; with
///   one, every frame is appended to disk (so `submit` returning means "survives `kill -9`") and memory caches up to
///   ``Configuration/memoryBytes`` of them, and the disk holds ``Configuration/diskBytes``. Beyond the bound the
///   oldest frames are dropped: counted, announced with ``Action/dropped(_:)``, and reported to the hub once as an
///   `AbandonedRange(reason: .dropped)` in the next frame built (again, should that frame itself be dropped).
/// - An ack for this epoch frees every frame ≤ its `ackedThrough`. Frames ≥ its `nextExpected` that were last sent
///   at least `retransmitAfterMs` before the ack are retransmitted in sequence order, at most
///   ``Configuration/retransmitBytesPerAck`` per ack, interleaved with new frames. Under back-pressure nothing is
///   retransmitted (new frames are still sent once). An ack whose `nextExpected` is at or below our own
///   `ackedThrough` (a hub that lost its state) gets an `AbandonedRange(reason: .acknowledged)` in a frame built
///   for it. Acks for other epochs are ignored.
package struct SpoolStateMachine: Sendable {
    /// The bounds and pacing of the spool.
    package struct Configuration: Sendable, Equatable {
        /// Bytes of frames held in memory: the spool's bound without a disk tier, a cache of the disk with one.
        package var memoryBytes: Int
        /// Bytes of frames on disk (each counted with ``DiskSpool``'s 16-byte record overhead); nil: no disk tier.
        package var diskBytes: Int?
        /// Sequences reserved per state file write (only with a disk tier).
        package var sequenceBlock: UInt64
        /// Most frame bytes scheduled for retransmission per ack (the collector asks for an ack every 1–4 s).
        package var retransmitBytesPerAck: Int
        /// While new frames and retransmissions both wait, this many retransmissions go out per new frame.
        package var retransmissionsPerNewFrame: Int
        /// Time between heartbeat frames.
        package var heartbeatInterval: Duration
        /// Unsynced disk appends are fsynced at most this often.
        package var syncInterval: Duration

        /// Bounds and pacing; only the memory bound has no default.
        package init(
            memoryBytes: Int,
            diskBytes: Int? = nil,
            sequenceBlock: UInt64 = 1024,
            retransmitBytesPerAck: Int = 16 << 20,
            retransmissionsPerNewFrame: Int = 1,
            heartbeatInterval: Duration = .seconds(10),
            syncInterval: Duration = .milliseconds(100)
        ) {
            self.memoryBytes = memoryBytes
            self.diskBytes = diskBytes
            self.sequenceBlock = max(sequenceBlock, 1)
            self.retransmitBytesPerAck = retransmitBytesPerAck
            self.retransmissionsPerNewFrame = max(retransmissionsPerNewFrame, 1)
            self.heartbeatInterval = heartbeatInterval
            self.syncInterval = syncInterval
        }
    }

    /// What the driver must do after an event.
    package enum Action: Equatable, Sendable {
        /// The oldest frames were dropped (spool full): log and count; the range goes to the hub in the next frame.
        case dropped(AbandonedRange)
        /// Every frame ≤ `through` is settled: write the state file, then remove spool segments holding nothing else.
        case releaseDisk(through: UInt64)
        /// A report waits for a frame: build one now (an empty batch is fine).
        case buildFrame
        /// Time for a heartbeat frame.
        case buildHeartbeat
        /// fsync the disk spool, then call ``diskSynced(now:)``.
        case syncDisk
        /// Frames are ready to send: wake the sender.
        case transmit
    }

    /// Header values and reports for the next frame.
    package struct FramePlan: Equatable, Sendable {
        /// The frame's sequence.
        package var sequence: UInt64
        /// The header's `ackedThrough`.
        package var ackedThrough: UInt64
        /// Ranges to add to the frame's batch; pass them back to ``frameSealed(sequence:bytes:carrying:onDisk:now:)``.
        package var abandoned: [AbandonedRange]
        /// When set, write the state file with this `nextSequence` (``state(reservingThrough:)``) and call
        /// ``reservationPersisted(_:)`` before sealing.
        package var reservation: UInt64?
    }

    /// A frame to hand to the PUSH socket.
    package struct Transmission: Equatable, Sendable {
        /// The frame's sequence.
        package var sequence: UInt64
        /// The sealed frame, or nil when it is only on disk (read it from the ``DiskSpool``).
        package var bytes: [UInt8]?
        /// Sent before (by this process, or possibly before a restart).
        package var isRetransmission: Bool
    }

    /// Running totals (for the collector's self-metrics): frames built, sent (first sends and retransmissions),
    /// retransmitted, acknowledged and dropped; acks for this epoch, and acks ignored (another epoch).
    package struct Counters: Equatable, Sendable {
        package var built = 0
        package var sent = 0
        package var retransmitted = 0
        package var acked = 0
        package var dropped = 0
        package var acksReceived = 0
        package var acksIgnored = 0
    }

    struct Entry: Sendable {
        let sequence: UInt64
        let size: Int
        var bytes: [UInt8]?
        var onDisk: Bool
        var lastSent: MonotonicInstant?
        /// Loaded from disk: it may have been sent before the restart, so its first send counts as a retransmission.
        var restored = false
        /// Abandoned ranges this frame reports (put back in ``pending`` if it is dropped).
        var carried: [AbandonedRange] = []
    }

    /// Bounds and pacing.
    package let configuration: Configuration
    /// The collector (for the state file).
    package let collectorID: CollectorID
    /// The epoch of every sequence here; acks for others are ignored.
    package let epoch: UInt64
    /// The sequence the next frame gets.
    package internal(set) var nextSequence: UInt64 = 1
    /// Sequences below this one are reserved in the state file.
    package internal(set) var reservedUpTo: UInt64 = 1
    /// Every sequence ≤ this one was acknowledged by the hub (the header's `ackedThrough`).
    package internal(set) var ackedThrough: UInt64
    /// Every sequence ≤ this is acknowledged or dropped.
    package internal(set) var settledThrough: UInt64
    /// Abandoned ranges waiting for a frame.
    package internal(set) var pending: [AbandonedRange] = []
    /// Running totals.
    package internal(set) var counters = Counters()
    /// The latest ack's view (nil before the first ack).
    package internal(set) var hubNextExpected: UInt64?
    /// The latest ack asked for back-pressure.
    package internal(set) var backpressure = false
    /// Bytes of frames held in memory, and on disk (with record overhead).
    package internal(set) var memoryBytes = 0
    package internal(set) var diskBytes = 0
    /// Bytes of all spooled frames.
    package internal(set) var spoolBytes = 0
    var entries = Deque<Entry>()
    var retransmitQueue = Deque<UInt64>()
    /// Lowest sequence not yet sent by this process (everything from it on is unsent).
    var firstUnsent: UInt64 = 1
    var retransmissionsSinceNewFrame = 0
    /// Every abandoned range reported (or to be reported) above ``ackedThrough``, merged by reason: what to say
    /// again when the hub asks for those sequences.
    package internal(set) var abandoned: [AbandonedRange] = []
    var nextHeartbeat: MonotonicInstant?
    var lastSync: MonotonicInstant?
    var diskUnsynced = false

    /// A fresh epoch (or one restored without a spool): sequences from `state.nextSequence`.
    package init(configuration: Configuration, state: CollectorState) {
        self.init(configuration: configuration, restoring: state, frames: [], highestOnDisk: 0, tailCorrupted: false)
    }

    /// Resumes after a restart from the state file and the frames loaded from the disk spool (sequence order, all
    /// above `state.settledThrough`). Sequences missing between them were lost to disk damage and are reported as
    /// dropped. The rest of the last reserved block above the highest frame on disk is reported as acknowledged: no
    /// frame with those numbers was ever sent (a frame is sent after its append, and a torn tail is a frame whose
    /// append never finished, so `submit` never returned for it). When the newest segment was corrupted rather than
    /// torn (`tailCorrupted`), frames that were written and sent may have been lost with it, so that rest is reported
    /// as dropped instead: counted as lost rather than silently done.
    package init(
        configuration: Configuration,
        restoring state: CollectorState,
        frames: [(sequence: UInt64, size: Int, bytes: [UInt8]?)],
        highestOnDisk: UInt64,
        tailCorrupted: Bool
    ) {
        self.configuration = configuration
        collectorID = state.collectorID
        epoch = state.epoch
        ackedThrough = state.ackedThrough
        settledThrough = max(state.settledThrough, state.ackedThrough)
        for range in state.knownAbandoned where range.last > ackedThrough { Self.merge(range, into: &abandoned) }
        for range in state.pendingAbandoned { addPending(range) }
        var expected = settledThrough + 1
        for frame in frames where frame.sequence > settledThrough {
            if frame.sequence > expected { reportGap(expected, frame.sequence - 1, reason: .dropped) }
            var entry = Entry(sequence: frame.sequence, size: frame.size, bytes: frame.bytes, onDisk: configuration.diskBytes != nil)
            entry.restored = true
            if entry.bytes != nil { memoryBytes += frame.size }
            if entry.onDisk { diskBytes += frame.size + DiskSpool.recordOverhead }
            spoolBytes += frame.size
            entries.append(entry)
            expected = frame.sequence + 1
        }
        let used = max(settledThrough, highestOnDisk, entries.last?.sequence ?? 0)
        nextSequence = max(state.nextSequence, used + 1, 1)
        if nextSequence > used + 1 { reportGap(used + 1, nextSequence - 1, reason: tailCorrupted ? .dropped : .acknowledged) }
        reservedUpTo = configuration.diskBytes == nil ? UInt64.max : nextSequence
        firstUnsent = entries.first?.sequence ?? nextSequence
    }

    /// Reports the sequences of `first...last` that no known range explains (those were reported before the
    /// restart, with their own reason) as abandoned for `reason`; dropped ones are counted.
    private mutating func reportGap(_ first: UInt64, _ last: UInt64, reason: AbandonedRange.Reason) {
        func add(_ a: UInt64, _ b: UInt64) {
            if reason == .dropped { counters.dropped += Int(b - a + 1) }
            addPending(AbandonedRange(epoch: epoch, first: a, last: b, reason: reason))
        }
        var cursor = first
        for known in abandoned where known.last >= cursor && known.first <= last {
            if known.first > cursor { add(cursor, known.first - 1) }
            cursor = max(cursor, min(known.last, last) + 1)
        }
        if cursor <= last { add(cursor, last) }
    }

    /// The state file's content now, optionally with a new reservation.
    package func state(reservingThrough reservation: UInt64? = nil) -> CollectorState {
        CollectorState(
            collectorID: collectorID,
            epoch: epoch,
            nextSequence: max(reservation ?? 0, reservedUpTo == .max ? nextSequence : reservedUpTo),
            ackedThrough: ackedThrough,
            settledThrough: settledThrough,
            pendingAbandoned: pending,
            knownAbandoned: abandoned
        )
    }

    /// Frames in the spool.
    package var spoolFrames: Int { entries.count }
    /// Frames not sent yet by this process.
    package var unsentFrames: Int { entries.count - lowerBound(firstUnsent) }
    /// Sequences in the spool, oldest first (for tests and the status page).
    package var spooledSequences: [UInt64] { entries.map(\.sequence) }

    // MARK: building frames

    /// What the next frame needs. Does not change anything: the sequence is used by ``frameSealed``.
    package func planFrame() -> FramePlan {
        FramePlan(
            sequence: nextSequence,
            ackedThrough: ackedThrough,
            abandoned: pending,
            reservation: nextSequence >= reservedUpTo ? nextSequence + configuration.sequenceBlock : nil
        )
    }

    /// The state file now holds `reservation` as its next sequence.
    package mutating func reservationPersisted(_ reservation: UInt64) {
        if reservedUpTo != .max { reservedUpTo = max(reservedUpTo, reservation) }
    }

    /// A frame was sealed with the plan's sequence and reports, and (with a disk tier) appended to disk unless
    /// `onDisk` is false (the write failed: it is kept in memory only). Applies the spool bounds.
    package mutating func frameSealed(
        sequence: UInt64,
        bytes: [UInt8],
        carrying carried: [AbandonedRange],
        onDisk: Bool,
        now: MonotonicInstant
    ) -> [Action] {
        precondition(sequence == nextSequence, "frame \(sequence) sealed out of order (next is \(nextSequence))")
        precondition(sequence < reservedUpTo, "sequence \(sequence) used before it was reserved in the state file")
        nextSequence += 1
        counters.built += 1
        pending.removeAll { carried.contains($0) }
        let onDisk = onDisk && configuration.diskBytes != nil
        var entry = Entry(sequence: sequence, size: bytes.count, bytes: nil, onDisk: onDisk, carried: carried)
        if onDisk {
            diskBytes += bytes.count + DiskSpool.recordOverhead
            diskUnsynced = true
        }
        if !onDisk || memoryBytes + bytes.count <= configuration.memoryBytes {
            entry.bytes = bytes
            memoryBytes += bytes.count
        }
        entries.append(entry)
        spoolBytes += bytes.count
        var actions = enforceBounds()
        actions.append(.transmit)
        return actions
    }

    /// Drops the oldest frames while a bound is exceeded (never the newest frame alone).
    mutating func enforceBounds() -> [Action] {
        var dropped: [Entry] = []
        if let diskLimit = configuration.diskBytes {
            while diskBytes > diskLimit, entries.count > 1 { dropped.append(remove(at: 0)) }
            // Memory-only frames (a failed disk write) over the memory bound: evict cached copies of disk frames
            // first, newest first, then drop the oldest frames that hold memory.
            var i = entries.count - 1
            while memoryBytes > configuration.memoryBytes, i >= 0 {
                if entries[i].onDisk, let cached = entries[i].bytes {
                    memoryBytes -= cached.count
                    entries[i].bytes = nil
                }
                i -= 1
            }
            while memoryBytes > configuration.memoryBytes, entries.count > 1, let i = entries.firstIndex(where: { $0.bytes != nil }) {
                dropped.append(remove(at: i))
            }
        } else {
            while memoryBytes > configuration.memoryBytes, entries.count > 1 { dropped.append(remove(at: 0)) }
        }
        return drop(dropped)
    }

    /// Accounts for frames removed by a drop: counted, reported (one range per run of consecutive sequences), their
    /// own reports put back.
    mutating func drop(_ dropped: [Entry]) -> [Action] {
        guard !dropped.isEmpty else { return [] }
        counters.dropped += dropped.count
        var actions: [Action] = []
        var runStart = 0
        for i in dropped.indices {
            let last = i == dropped.count - 1 || dropped[i + 1].sequence != dropped[i].sequence + 1
            guard last else { continue }
            let range = AbandonedRange(epoch: epoch, first: dropped[runStart].sequence, last: dropped[i].sequence, reason: .dropped)
            addPending(range)
            actions.append(.dropped(range))
            runStart = i + 1
        }
        for entry in dropped {
            for carried in entry.carried { addPending(carried) }
        }
        firstUnsent = max(firstUnsent, entries.first?.sequence ?? nextSequence)
        // Everything below the oldest frame left is acknowledged, dropped or reported lost.
        let settled = (entries.first?.sequence ?? nextSequence) - 1
        if settled > settledThrough {
            settledThrough = settled
            if dropped.contains(where: \.onDisk) { actions.append(.releaseDisk(through: settledThrough)) }
        }
        return actions
    }

    mutating func remove(at index: Int) -> Entry {
        let entry = entries.remove(at: index)
        if let bytes = entry.bytes { memoryBytes -= bytes.count }
        if entry.onDisk { diskBytes -= entry.size + DiskSpool.recordOverhead }
        spoolBytes -= entry.size
        return entry
    }

    /// Adds a range to the reports waiting for a frame (and to ``abandoned``), merging it with an adjacent or
    /// overlapping one of the same reason.
    mutating func addPending(_ range: AbandonedRange) {
        var range = range
        range.epoch = epoch
        Self.merge(range, into: &pending)
        Self.merge(range, into: &abandoned)
    }

    static func merge(_ range: AbandonedRange, into list: inout [AbandonedRange]) {
        var merged = range
        list.removeAll { other in
            guard other.reason == merged.reason, other.first <= merged.last &+ 1, merged.first <= other.last &+ 1 else { return false }
            merged.first = min(merged.first, other.first)
            merged.last = max(merged.last, other.last)
            return true
        }
        let index = list.firstIndex { $0.first > merged.first } ?? list.endIndex
        list.insert(merged, at: index)
    }
}
