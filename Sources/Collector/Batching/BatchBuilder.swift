import ContainerMetrics
import WireFormat
import Timekeeping

/// One record of the data side, with the identity of the container it belongs to.
package enum CollectorRecord: Sendable, Equatable {
    case stats(ContainerIdentity, StatsSample)
    case log(ContainerIdentity, LogBucket)
    case event(ContainerIdentity, LifecycleEvent)
    case status(ContainerIdentity, ContainerStatus)
    /// The engine's containers counted by state (no container of its own).
    case hostStates(HostStates)

    /// The container the record belongs to (nil for records about the engine).
    package var container: ContainerIdentity? {
        switch self {
        case .stats(let c, _), .log(let c, _), .event(let c, _), .status(let c, _): c
        case .hostStates: nil
        }
    }
}

/// Groups records into ``Batch``es of at most `maxBytes` encoded and at most `maxAge` old. Pure: records and
/// the time go in, batches to submit come out, in the order their records came in.
///
/// The size is tracked incrementally (each record's and each new container's encoded size, measured once), with
/// a few bytes of slack per record for the container index and the record count varints, so a batch never
/// encodes to more than `maxBytes` — except a single record that is bigger on its own, which goes alone.
package struct BatchBuilder: Sendable {
    /// `--frame-max-bytes`: upper bound of a batch's encoded size.
    package let maxBytes: Int
    /// `--frame-interval`: a batch is due when its oldest record is this old.
    package let maxAge: Duration

    /// The records gathered so far.
    package private(set) var batch = Batch()
    /// Upper bound of `batch.encode().count`.
    package private(set) var estimatedBytes = 0
    /// When the oldest record of ``batch`` was added.
    package private(set) var oldest: MonotonicInstant?

    /// Bytes for the record count varint (up to 2^28 records).
    static let countBytes = 4
    /// Slack per record: the container index varint may be up to this much longer than when measured alone.
    static let slackPerRecord = 3

    /// An empty builder (`maxBytes` is at least 64).
    package init(maxBytes: Int, maxAge: Duration) {
        self.maxBytes = max(64, maxBytes)
        self.maxAge = maxAge
    }

    /// Whether nothing is gathered.
    package var isEmpty: Bool { batch.isEmpty }

    /// Adds a record. Returns the batch to submit first when the record would not fit into the current one.
    package mutating func add(_ record: CollectorRecord, now: MonotonicInstant) -> Batch? {
        let identity = record.container
        let recordBytes = Self.recordSize(record) + Self.slackPerRecord
        var full: Batch?
        if !batch.isEmpty {
            let containerBytes = identity.map { batch.containers.contains($0) ? 0 : Self.containerSize($0) } ?? 0
            if estimatedBytes + containerBytes + recordBytes > maxBytes { full = take() }
        }
        // A record bigger than a frame on its own goes alone (the delivery side decides what to do with it).
        if batch.isEmpty { estimatedBytes = Self.countBytes }
        if let identity, !batch.containers.contains(identity) { estimatedBytes += Self.containerSize(identity) }
        let index = identity.map { batch.index(of: $0) } ?? 0
        switch record {
        case .stats(_, let s): batch.stats.append(ContainerRecord(container: index, s))
        case .log(_, let l): batch.logs.append(ContainerRecord(container: index, l))
        case .event(_, let e): batch.events.append(ContainerRecord(container: index, e))
        case .status(_, let st): batch.statuses.append(ContainerRecord(container: index, st))
        case .hostStates(let h): batch.hostStates.append(h)
        }
        estimatedBytes += recordBytes
        if oldest == nil { oldest = now }
        return full
    }

    /// The batch when its oldest record is at least `maxAge` old.
    package mutating func due(now: MonotonicInstant) -> Batch? {
        guard let oldest, now - oldest >= maxAge else { return nil }
        return take()
    }

    /// Everything gathered (nil when empty), e.g. at shutdown.
    package mutating func take() -> Batch? {
        guard !batch.isEmpty else { return nil }
        let out = batch
        batch = Batch()
        estimatedBytes = 0
        oldest = nil
        return out
    }

    /// Encoded size of a container record.
    static func containerSize(_ identity: ContainerIdentity) -> Int {
        Batch(containers: [identity]).encode().count - 1
    }

    /// Encoded size of a record referring to container 0.
    static func recordSize(_ record: CollectorRecord) -> Int {
        var b = Batch()
        switch record {
        case .stats(_, let s): b.stats = [ContainerRecord(container: 0, s)]
        case .log(_, let l): b.logs = [ContainerRecord(container: 0, l)]
        case .event(_, let e): b.events = [ContainerRecord(container: 0, e)]
        case .status(_, let st): b.statuses = [ContainerRecord(container: 0, st)]
        case .hostStates(let h): b.hostStates = [h]
        }
        return b.encode().count - 1
    }
}
