#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The disk tier of the spool: sealed frames in append-only segment files under `STATE_DIR/spool/`.
///
/// **Format.** A segment is named after the first sequence it holds (`00000000000000000042.seg`, 20 digits, so names
/// sort like sequences). It starts with a 16-byte header — `DLSPOOL1` and the epoch (u64 big-endian) — followed by
/// records: payload length (u32 BE), sequence (u64 BE), CRC-32C over the sequence's 8 bytes and the payload (u32 BE),
/// then the sealed frame exactly as sent. Sequences increase through a segment and across segments.
///
/// **Durability.** Every append is one `write(2)` before ``append(sequence:frame:)`` returns, so a frame survives a
/// `kill -9` of the collector as soon as it is spooled. Surviving a power loss needs `fsync`: the owner calls
/// ``sync()`` while there are unsynced appends — at most every 100 ms, on the deliverer's 250 ms clock tick — on
/// shutdown, and a segment is fsynced when it is closed for a new one; the directory is fsynced after files are
/// created or removed. A power loss therefore costs at most the last ~250 ms of frames, which the collector detects
/// like a torn tail.
///
/// **Loading.** ``load(settledThrough:memoryBudget:)`` checks every record: a short or oversized header, a length past
/// the end of the file, a sequence that does not increase, or a CRC mismatch ends the segment there — the file is
/// truncated to its last good record (a torn tail after `kill -9` or a power loss) and the event is reported.
/// Segments of another epoch (a state file lost or replaced) can never be acknowledged and are removed.
///
/// **Removal.** Whole segments are removed once every frame in them is settled (acknowledged or dropped); the
/// segment being appended to is kept until it is full, so the files hold at most one segment of settled frames
/// beyond the live ones.
final class DiskSpool {
    /// Bytes each record adds to its frame.
    static let recordOverhead = 16
    static let headerLength = 16
    static let magic: [UInt8] = Array("DLSPOOL1".utf8)
    /// Larger records cannot be frames (the hub's limit is 1 MiB): a length beyond this is corruption.
    static let maxRecordLength = 4 << 20

    struct Record {
        var sequence: UInt64
        var offset: UInt32
        var length: UInt32
    }

    struct Segment {
        var path: String
        var lastSequence: UInt64
        var size: Int
        /// Records of frames that are not settled, in sequence order.
        var records: [Record]
    }

    /// Something found wrong while loading, for the log.
    struct Damage: Equatable {
        enum Kind: String {
            case tornTail = "torn_tail"
            case crcMismatch = "crc_mismatch"
            case badSequence = "bad_sequence"
            case badHeader = "bad_header"
        }
        var path: String
        var kind: Kind
        /// Where the file was truncated.
        var offset: Int
    }

    struct LoadResult {
        /// Unsettled frames in sequence order; `bytes` is nil for frames beyond the memory budget (read them with
        /// ``read(sequence:)`` when needed).
        var frames: [(sequence: UInt64, size: Int, bytes: [UInt8]?)] = []
        var damage: [Damage] = []
        /// Frames of another epoch that were removed.
        var otherEpochFrames = 0
        /// Highest sequence found on disk, settled or not (0: none).
        var highestSequence: UInt64 = 0
        /// The newest segment ended in a CRC mismatch or a sequence out of order, not in a torn (short) record: frames
        /// after the damage were written, and how many is unknown.
        var tailCorrupted = false
    }

    let directory: String
    let epoch: UInt64
    /// A segment is closed for a new one when the next record would take it past this size.
    let segmentLimit: Int
    private(set) var segments: [Segment] = []
    private var activeFD: Int32?
    private var unsynced = false
    private var directoryUnsynced = false

    /// Opens (creating it when missing) the spool directory for `epoch`. Call ``load(settledThrough:memoryBudget:)``
    /// before appending.
    init(directory: String, epoch: UInt64, segmentLimit: Int) throws(StateDirectoryError) {
        self.directory = directory
        self.epoch = epoch
        self.segmentLimit = max(segmentLimit, 1)
        try PosixFile.makeDirectory(directory)
    }

    deinit { close() }

    /// Bytes in segment files.
    var fileBytes: Int { segments.reduce(0) { $0 + $1.size } }

    static func segmentName(_ firstSequence: UInt64) -> String {
        let digits = String(firstSequence)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".seg"
    }

    /// Reads every segment, truncates damaged tails, removes segments of other epochs and segments with nothing left
    /// unsettled, and returns the frames above `settledThrough`, keeping up to `memoryBudget` bytes of them in memory.
    func load(settledThrough: UInt64, memoryBudget: Int) throws(StateDirectoryError) -> LoadResult {
        close()
        segments = []
        var result = LoadResult()
        var inMemory = 0
        let names = try PosixFile.list(directory).filter { $0.hasSuffix(".seg") && $0.utf8.count == 24 }.sorted()
        for name in names {
            let path = directory + "/" + name
            guard let bytes = try PosixFile.readFile(path) else { continue }
            var scan = Self.scan(bytes, path: path)
            guard let segmentEpoch = scan.epoch else {
                // No valid header: created but never written (a crash right after creation), or not ours.
                result.damage.append(Damage(path: path, kind: .badHeader, offset: 0))
                try PosixFile.remove(path)
                directoryUnsynced = true
                continue
            }
            if segmentEpoch != epoch {
                result.otherEpochFrames += scan.records.count
                try PosixFile.remove(path)
                directoryUnsynced = true
                continue
            }
            result.tailCorrupted = scan.damage.map { $0.kind == .crcMismatch || $0.kind == .badSequence } ?? false
            if let damage = scan.damage {
                result.damage.append(damage)
                let fd = try PosixFile.openFile(path, O_WRONLY)
                defer { closeDescriptor(fd) }
                try PosixFile.truncate(fd, to: damage.offset, path: path)
                try PosixFile.sync(fd, path: path)
            }
            if let last = scan.records.last?.sequence { result.highestSequence = max(result.highestSequence, last) }
            let lastSequence = scan.records.last?.sequence ?? 0
            scan.records.removeAll { $0.sequence <= settledThrough }
            if scan.records.isEmpty {
                try PosixFile.remove(path)
                directoryUnsynced = true
                continue
            }
            for record in scan.records {
                var frame: [UInt8]?
                if inMemory + Int(record.length) <= memoryBudget {
                    let start = Int(record.offset) + Self.recordOverhead
                    frame = Array(bytes[start..<start + Int(record.length)])
                    inMemory += Int(record.length)
                }
                result.frames.append((record.sequence, Int(record.length), frame))
            }
            segments.append(Segment(path: path, lastSequence: lastSequence, size: scan.validLength, records: scan.records))
        }
        if directoryUnsynced { try sync() }
        return result
    }

    private struct Scan {
        var epoch: UInt64?
        var records: [Record] = []
        var validLength = 0
        var damage: Damage?
    }

    /// Validates one segment's bytes (see the type's documentation).
    private static func scan(_ bytes: [UInt8], path: String) -> Scan {
        var scan = Scan()
        guard bytes.count >= headerLength, Array(bytes[0..<8]) == magic else {
            // A file created but not yet given its header (crash right after creation), or not ours.
            scan.damage = Damage(path: path, kind: .badHeader, offset: 0)
            return scan
        }
        scan.epoch = readU64(bytes, 8)
        var offset = headerLength
        var previous: UInt64 = 0
        while offset < bytes.count {
            guard bytes.count - offset >= recordOverhead else {
                scan.damage = Damage(path: path, kind: .tornTail, offset: offset)
                break
            }
            let length = Int(readU32(bytes, offset))
            let sequence = readU64(bytes, offset + 4)
            let crc = readU32(bytes, offset + 12)
            guard length > 0, length <= maxRecordLength, bytes.count - offset - recordOverhead >= length else {
                scan.damage = Damage(path: path, kind: .tornTail, offset: offset)
                break
            }
            let computed = bytes.withUnsafeBytes { raw in
                let sequenceCRC = CRC32C.update(0, UnsafeRawBufferPointer(rebasing: raw[(offset + 4)..<(offset + 12)]))
                let start = offset + recordOverhead
                return CRC32C.update(sequenceCRC, UnsafeRawBufferPointer(rebasing: raw[start..<(start + length)]))
            }
            guard computed == crc else {
                scan.damage = Damage(path: path, kind: .crcMismatch, offset: offset)
                break
            }
            guard sequence > previous else {
                scan.damage = Damage(path: path, kind: .badSequence, offset: offset)
                break
            }
            previous = sequence
            scan.records.append(Record(sequence: sequence, offset: UInt32(offset), length: UInt32(length)))
            offset += recordOverhead + length
        }
        scan.validLength = scan.damage?.offset ?? bytes.count
        return scan
    }

    /// Appends one sealed frame; it is in the kernel's page cache (safe from `kill -9`) when this returns.
    func append(sequence: UInt64, frame: [UInt8]) throws(StateDirectoryError) {
        let recordLength = Self.recordOverhead + frame.count
        if let last = segments.last, activeFD != nil, last.size + recordLength > segmentLimit, !last.records.isEmpty {
            try closeActive()
        }
        if activeFD == nil { try openSegment(firstSequence: sequence) }
        var record = [UInt8]()
        record.reserveCapacity(recordLength)
        Self.appendU32(&record, UInt32(frame.count))
        Self.appendU64(&record, sequence)
        let crc = record.withUnsafeBytes { raw in
            CRC32C.update(CRC32C.update(0, UnsafeRawBufferPointer(rebasing: raw[4..<12])), frame.withUnsafeBytes { $0 })
        }
        Self.appendU32(&record, crc)
        record.append(contentsOf: frame)
        let index = segments.count - 1
        let path = segments[index].path
        let offset = segments[index].size
        try PosixFile.writeAll(activeFD!, record, path: path)
        segments[index].size += recordLength
        segments[index].lastSequence = sequence
        segments[index].records.append(Record(sequence: sequence, offset: UInt32(offset), length: UInt32(frame.count)))
        unsynced = true
    }

    private func openSegment(firstSequence: UInt64) throws(StateDirectoryError) {
        let path = directory + "/" + Self.segmentName(firstSequence)
        let fd = try PosixFile.openFile(path, O_RDWR | O_CREAT | O_TRUNC)
        var header = Self.magic
        Self.appendU64(&header, epoch)
        do throws(StateDirectoryError) {
            try PosixFile.writeAll(fd, header, path: path)
        } catch {
            closeDescriptor(fd)
            try? PosixFile.remove(path)
            throw error
        }
        activeFD = fd
        directoryUnsynced = true
        segments.append(Segment(path: path, lastSequence: 0, size: Self.headerLength, records: []))
    }

    /// fsyncs the finished segment and closes it; the next append starts a new one.
    private func closeActive() throws(StateDirectoryError) {
        guard let fd = activeFD, let path = segments.last?.path else { return }
        activeFD = nil
        defer { closeDescriptor(fd) }
        if unsynced { try PosixFile.sync(fd, path: path) }
        unsynced = false
    }

    /// Whether unsynced appends, creations or removals are waiting for ``sync()``.
    var needsSync: Bool { unsynced || directoryUnsynced }

    /// fsyncs the segment being appended to and, after creations or removals, the directory.
    func sync() throws(StateDirectoryError) {
        if unsynced, let fd = activeFD, let path = segments.last?.path { try PosixFile.sync(fd, path: path) }
        unsynced = false
        if directoryUnsynced { try PosixFile.syncDirectory(directory) }
        directoryUnsynced = false
    }

    /// The sealed frame with `sequence`, checked against its CRC again.
    func read(sequence: UInt64) throws(StateDirectoryError) -> [UInt8] {
        guard let s = segments.lastIndex(where: { $0.records.first.map { $0.sequence <= sequence } ?? false }),
            let record = segments[s].records.first(where: { $0.sequence == sequence })
        else { throw StateDirectoryError("read frame \(sequence) from", directory, detail: "not in the spool") }
        let path = segments[s].path
        let isActive = s == segments.count - 1 && activeFD != nil
        let fd = isActive ? activeFD! : try PosixFile.openFile(path, O_RDONLY)
        defer { if !isActive { closeDescriptor(fd) } }
        let bytes = try PosixFile.read(fd, count: Self.recordOverhead + Int(record.length), at: Int(record.offset), path: path)
        guard bytes.count == Self.recordOverhead + Int(record.length), Self.readU64(bytes, 4) == sequence else {
            throw StateDirectoryError("read frame \(sequence) from", path, detail: "record is truncated")
        }
        let crc = bytes.withUnsafeBytes { raw in CRC32C.update(0, UnsafeRawBufferPointer(rebasing: raw[4..<12])) }
        let frame = Array(bytes[Self.recordOverhead...])
        guard frame.withUnsafeBytes({ CRC32C.update(crc, $0) }) == Self.readU32(bytes, 12) else {
            throw StateDirectoryError("read frame \(sequence) from", path, detail: "CRC mismatch (the file was altered or the disk is failing)")
        }
        return frame
    }

    /// Forgets frames ≤ `sequence` (settled); segments holding nothing else become removable.
    func settle(through sequence: UInt64) {
        for i in segments.indices where segments[i].records.first.map({ $0.sequence <= sequence }) ?? false {
            segments[i].records.removeAll { $0.sequence <= sequence }
        }
    }

    /// Whether ``removeSettledSegments()`` would remove a file (the caller persists its state first).
    var hasRemovableSegments: Bool { segments.indices.contains { isRemovable($0) } }

    private func isRemovable(_ index: Int) -> Bool {
        segments[index].records.isEmpty && !(index == segments.count - 1 && activeFD != nil)
    }

    /// Removes every segment with no unsettled frame left, except the one being appended to. Returns how many.
    @discardableResult
    func removeSettledSegments() throws(StateDirectoryError) -> Int {
        var removed = 0
        var kept: [Segment] = []
        for i in segments.indices {
            if isRemovable(i) {
                try PosixFile.remove(segments[i].path)
                removed += 1
                directoryUnsynced = true
            } else {
                kept.append(segments[i])
            }
        }
        segments = kept
        return removed
    }

    /// Closes the segment being appended to (after an fsync when needed). Safe to call more than once.
    func close() {
        try? closeActive()
    }

    /// Closes without an fsync, as a killed process would leave things (tests).
    func abandon() {
        if let fd = activeFD { closeDescriptor(fd) }
        activeFD = nil
    }

    // MARK: big-endian helpers

    static func readU32(_ b: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(b[at + $1]) }
    }

    static func readU64(_ b: [UInt8], _ at: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(b[at + $1]) }
    }

    static func appendU32(_ b: inout [UInt8], _ v: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { b.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) }
    }

    static func appendU64(_ b: inout [UInt8], _ v: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { b.append(UInt8(truncatingIfNeeded: v >> UInt64(shift))) }
    }
}

/// `close(2)`, callable from inside ``DiskSpool`` (whose own `close()` hides the global name).
private func closeDescriptor(_ fd: Int32) {
    _ = close(fd)
}
