import ContainerMetrics
import Synchronization
import WireFormat

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where one container's logs were read up to, as far as the delivery side has taken them.
package struct LogCheckpoint: Sendable, Equatable {
    /// Unix ns the container's logs were first requested from (`since`; 0 = from its creation). A stream without
    /// an emitted bucket yet is re-read from here.
    package var originNs: Int64
    /// Per stream, the last bucket second handed to the ``RecordSink``.
    package var seconds: [LogBucket.Stream: Int64]

    /// A checkpoint reading from `originNs`, with the last submitted second of each stream so far.
    package init(originNs: Int64, seconds: [LogBucket.Stream: Int64] = [:]) {
        self.originNs = originNs
        self.seconds = seconds
    }

    /// The `since` (Unix ns) to resume from: the earliest of, per stream, the second after its checkpoint (Docker's
    /// `since` includes its boundary) or the origin for a stream without one. A TTY container has stdout only.
    package func resumeSinceNs(tty: Bool) -> Int64 {
        let streams: [LogBucket.Stream] = tty ? [.stdout] : [.stdout, .stderr]
        return streams.map { s in seconds[s].map { ($0 + 1) * 1_000_000_000 } ?? originNs }.min() ?? originNs
    }
}

/// The log checkpoints of every followed container, persisted in `STATE_DIR/checkpoints`.
///
/// A checkpoint only advances in ``commit(_:)``, which the batch builder calls after ``RecordSink/submit(_:)``
/// returned for the batch holding those buckets, so a restarted collector re-reads exactly what was not handed
/// over: lines in buckets it never submitted are read again; submitted ones are skipped.
///
/// File format (text, one container per line, written to `checkpoints.tmp`, fsynced, renamed over
/// `checkpoints`):
/// ```
/// docker-librato-checkpoints 1
/// <container id> <origin ns> <last stdout second or -> <last stderr second or ->
/// ```
package final class CheckpointStore: Sendable {
    /// The file, nil when running without a state directory (in memory only).
    package let path: String?
    private let state: Mutex<State>
    private let writeLock = Mutex(())

    struct State {
        var entries: [String: LogCheckpoint] = [:]
        var dirty = false
    }

    static let header = "docker-librato-checkpoints 1"

    /// Loads `<stateDirectory>/checkpoints` (creating the directory when needed). Unreadable or malformed lines are
    /// skipped: their containers are read again from the collector's start.
    /// - Throws: ``CheckpointError`` when the directory cannot be created or the file not read.
    package init(stateDirectory: String?) throws(CheckpointError) {
        guard let stateDirectory else {
            path = nil
            state = Mutex(State())
            return
        }
        if mkdir(stateDirectory, 0o700) != 0 && errno != EEXIST {
            throw .io(path: stateDirectory, reason: String(cString: strerror(errno)))
        }
        let path = stateDirectory.hasSuffix("/") ? stateDirectory + "checkpoints" : stateDirectory + "/checkpoints"
        self.path = path
        var entries: [String: LogCheckpoint] = [:]
        if let text = try Self.readFile(path) { entries = Self.parse(text) }
        state = Mutex(State(entries: entries))
    }

    /// The checkpoint of a container, nil when none was recorded.
    package func checkpoint(for id: String) -> LogCheckpoint? {
        state.withLock { $0.entries[id] }
    }

    /// All checkpoints.
    package var all: [String: LogCheckpoint] { state.withLock { $0.entries } }

    /// Records where a container's logs are first read from (kept when one is recorded already).
    package func registerOrigin(_ id: String, originNs: Int64) {
        state.withLock {
            if $0.entries[id] == nil {
                $0.entries[id] = LogCheckpoint(originNs: originNs)
                $0.dirty = true
            }
        }
    }

    /// Advances the checkpoints of the log buckets in a batch that was submitted. Only containers with a recorded
    /// origin are tracked: the last buckets of a container submitted after it was destroyed (and ``remove(_:)``d)
    /// do not bring its entry back.
    package func commit(_ batch: Batch) {
        guard !batch.logs.isEmpty else { return }
        state.withLock { s in
            for record in batch.logs where batch.containers.indices.contains(record.container) {
                let id = batch.containers[record.container].id
                guard var entry = s.entries[id] else { continue }
                if (entry.seconds[record.value.stream] ?? .min) < record.value.second {
                    entry.seconds[record.value.stream] = record.value.second
                    s.entries[id] = entry
                    s.dirty = true
                }
            }
        }
    }

    /// Forgets a container (destroyed).
    package func remove(_ id: String) {
        state.withLock {
            if $0.entries.removeValue(forKey: id) != nil { $0.dirty = true }
        }
    }

    /// Forgets every container not in `ids` (those that no longer exist).
    package func retain(_ ids: Set<String>) {
        state.withLock { s in
            let before = s.entries.count
            s.entries = s.entries.filter { ids.contains($0.key) }
            if s.entries.count != before { s.dirty = true }
        }
    }

    /// Writes the file when something changed since the last write (atomically: temp file, fsync, rename).
    package func save() throws(CheckpointError) {
        guard let path else { return }
        try writeLock.withLock { _ throws(CheckpointError) in
            let snapshot: [String: LogCheckpoint]? = state.withLock { s in
                guard s.dirty else { return nil }
                s.dirty = false
                return s.entries
            }
            guard let snapshot else { return }
            do throws(CheckpointError) {
                try Self.writeAtomically(path, Self.serialise(snapshot))
            } catch {
                state.withLock { $0.dirty = true }
                throw error
            }
        }
    }

    // MARK: format

    static func serialise(_ entries: [String: LogCheckpoint]) -> String {
        var text = header + "\n"
        for (id, c) in entries.sorted(by: { $0.key < $1.key }) {
            let out = c.seconds[.stdout].map(String.init) ?? "-"
            let err = c.seconds[.stderr].map(String.init) ?? "-"
            text += "\(id) \(c.originNs) \(out) \(err)\n"
        }
        return text
    }

    static func parse(_ text: String) -> [String: LogCheckpoint] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard lines.first == Substring(header) else { return [:] }
        lines.removeFirst()
        var entries: [String: LogCheckpoint] = [:]
        for line in lines {
            let fields = line.split(separator: " ")
            guard fields.count == 4, !fields[0].isEmpty, let origin = Int64(fields[1]) else { continue }
            var c = LogCheckpoint(originNs: origin)
            if let s = Int64(fields[2]) { c.seconds[.stdout] = s } else if fields[2] != "-" { continue }
            if let s = Int64(fields[3]) { c.seconds[.stderr] = s } else if fields[3] != "-" { continue }
            entries[String(fields[0])] = c
        }
        return entries
    }

    // MARK: files

    static func readFile(_ path: String) throws(CheckpointError) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw .io(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                bytes.append(contentsOf: chunk[..<n])
            } else if n == 0 {
                break
            } else if errno != EINTR {
                throw .io(path: path, reason: String(cString: strerror(errno)))
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func writeAtomically(_ path: String, _ text: String) throws(CheckpointError) {
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .io(path: tmp, reason: String(cString: strerror(errno))) }
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                close(fd)
                throw .io(path: tmp, reason: reason)
            }
            offset += n
        }
        bytes.removeAll()
        if fsync(fd) != 0 {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw .io(path: tmp, reason: reason)
        }
        close(fd)
        guard rename(tmp, path) == 0 else { throw .io(path: path, reason: String(cString: strerror(errno))) }
    }
}

/// A checkpoint file could not be read or written.
package enum CheckpointError: Error, Sendable, Equatable, CustomStringConvertible {
    case io(path: String, reason: String)

    package var description: String {
        switch self {
        case .io(let path, let reason):
            "Cannot read or write the log checkpoints at \(path): \(reason). STATE_DIR must be a writable directory "
                + "(a volume that survives restarts)."
        }
    }
}
