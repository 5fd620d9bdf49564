import FoundationEssentials
import WireFormat

/// What a collector keeps in `STATE_DIR/collector.json` so that a restart, even after `kill -9`, resumes its
/// identity and never reuses a sequence number.
///
/// Written atomically (temporary file, fsync, rename, fsync of the directory) by ``FrameDeliverer``:
/// - before a sequence at or above ``nextSequence`` is used: sequences are reserved in blocks, so the file is not
///   written per frame; after a restart the unused rest of a block is reported to the hub as an
///   `AbandonedRange(reason: .acknowledged)` (done, nothing lost: no frame ever had those numbers);
/// - before spool segment files are removed (so that what they held is recorded as settled);
/// - on shutdown.
package struct CollectorState: Equatable, Sendable {
    /// The file's name inside the state directory.
    package static let fileName = "collector.json"

    /// The collector's identity: chosen once, kept for as long as the state directory lives.
    package var collectorID: CollectorID
    /// The epoch its sequences belong to.
    package var epoch: UInt64
    /// No sequence at or above this one has been used (the end of the reserved block).
    package var nextSequence: UInt64
    /// Every sequence ≤ this one was acknowledged by the hub.
    package var ackedThrough: UInt64
    /// Every sequence ≤ this one is acknowledged or dropped: spooled frames at or below it are discarded on load.
    package var settledThrough: UInt64
    /// Abandoned ranges not yet carried by a frame when the file was written; reported again after a restart (the
    /// hub ignores a range it already knows).
    package var pendingAbandoned: [AbandonedRange]
    /// Every abandoned range above ``ackedThrough`` reported so far (pending or carried by a frame): on restart a gap
    /// in the spool that one of them explains keeps its reason instead of being taken for frames lost to damage.
    package var knownAbandoned: [AbandonedRange]

    /// A state with the given values (a fresh epoch by default: sequences from 1, nothing acknowledged).
    package init(
        collectorID: CollectorID,
        epoch: UInt64,
        nextSequence: UInt64 = 1,
        ackedThrough: UInt64 = 0,
        settledThrough: UInt64 = 0,
        pendingAbandoned: [AbandonedRange] = [],
        knownAbandoned: [AbandonedRange] = []
    ) {
        self.collectorID = collectorID
        self.epoch = epoch
        self.nextSequence = nextSequence
        self.ackedThrough = ackedThrough
        self.settledThrough = settledThrough
        self.pendingAbandoned = pendingAbandoned
        self.knownAbandoned = knownAbandoned
    }

    /// A new identity: random id and epoch, sequences from 1.
    package static func fresh() -> CollectorState {
        CollectorState(collectorID: .random(), epoch: randomEpoch())
    }

    /// A random non-zero epoch.
    package static func randomEpoch() -> UInt64 {
        var rng = SystemRandomNumberGenerator()
        return rng.next() | 1
    }

    /// The state in `directory`, or nil when there is none yet. Throws when the file exists but cannot be read or
    /// parsed.
    package static func load(directory: String) throws(StateDirectoryError) -> CollectorState? {
        let path = directory + "/" + fileName
        guard let bytes = try PosixFile.readFile(path) else { return nil }
        let file: StateFile
        do {
            file = try JSONDecoder().decode(StateFile.self, from: Data(bytes))
        } catch {
            throw StateDirectoryError("parse", path, detail: "not a collector state file (\(error)); move it away to start a new epoch")
        }
        guard file.version == 1, let id = CollectorID(hex: file.collectorID), let epoch = UInt64(file.epoch, radix: 16) else {
            throw StateDirectoryError("parse", path, detail: "unsupported version or malformed id/epoch; move it away to start a new epoch")
        }
        return CollectorState(
            collectorID: id,
            epoch: epoch,
            nextSequence: file.nextSequence,
            ackedThrough: file.ackedThrough,
            settledThrough: file.settledThrough,
            pendingAbandoned: file.pendingAbandoned.map { $0.range(epoch: epoch) },
            knownAbandoned: (file.knownAbandoned ?? []).map { $0.range(epoch: epoch) }
        )
    }

    /// Writes the state to `directory` atomically.
    package func write(directory: String) throws(StateDirectoryError) {
        let path = directory + "/" + Self.fileName
        let file = StateFile(
            version: 1,
            collectorID: collectorID.description,
            epoch: String(epoch, radix: 16),
            nextSequence: nextSequence,
            ackedThrough: ackedThrough,
            settledThrough: settledThrough,
            pendingAbandoned: pendingAbandoned.map(StateFile.Range.init),
            knownAbandoned: knownAbandoned.map(StateFile.Range.init)
        )
        let data: Data
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            data = try encoder.encode(file)
        } catch {
            throw StateDirectoryError("encode", path, detail: "\(error)")
        }
        try PosixFile.replaceAtomically(path, with: Array(data), directory: directory)
    }

    /// The on-disk form. The epoch is hex text: JSON numbers above 2^53 are not exact in every reader.
    private struct StateFile: Codable {
        struct Range: Codable {
            var first: UInt64
            var last: UInt64
            var reason: String

            init(_ range: AbandonedRange) {
                first = range.first
                last = range.last
                reason = range.reason == .acknowledged ? "acknowledged" : "dropped"
            }

            func range(epoch: UInt64) -> AbandonedRange {
                AbandonedRange(epoch: epoch, first: first, last: last, reason: reason == "acknowledged" ? .acknowledged : .dropped)
            }
        }

        var version: Int
        var collectorID: String
        var epoch: String
        var nextSequence: UInt64
        var ackedThrough: UInt64
        var settledThrough: UInt64
        var pendingAbandoned: [Range]
        /// Absent in files written before it existed.
        var knownAbandoned: [Range]?
    }
}
