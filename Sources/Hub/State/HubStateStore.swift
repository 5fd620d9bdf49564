import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// Reads and writes the hub's state file atomically: write a temporary file, fsync it, rename it over the old one,
/// fsync the directory. A crash leaves either the old or the new file, never a torn one.
///
/// The file is `hub-state.bin` (``HubStateCodec``). A hub upgraded from a version that wrote `hub-state.json` reads
/// that once and removes it after its first save.
package struct HubStateStore: Sendable {
    package static let fileName = "hub-state.bin"
    /// What hubs before 0.2 wrote (JSON, version 1).
    package static let legacyFileName = "hub-state.json"
    /// `STATE_DIR`, or nil to keep the state in memory only (a restart then starts afresh).
    package let directory: String?

    package init(directory: String?) {
        self.directory = directory
    }

    package var path: String? { directory.map { "\($0)/\(Self.fileName)" } }

    package var legacyPath: String? { directory.map { "\($0)/\(Self.legacyFileName)" } }

    package func encode(_ state: HubStateFile) throws -> [UInt8] {
        HubStateCodec.encode(state)
    }

    /// Either form: binary, or version 1's JSON.
    package func decode(_ bytes: [UInt8]) throws -> HubStateFile {
        if HubStateCodec.isBinary(bytes) { return try HubStateCodec.decode(bytes) }
        return try JSONDecoder().decode(HubStateFile.self, from: Data(bytes))
    }

    /// Creates the state directory (and its parents) when missing.
    package func prepare() throws {
        guard let directory else { return }
        var path = directory.hasPrefix("/") ? "" : "."
        for part in directory.split(separator: "/", omittingEmptySubsequences: true) {
            path += "/" + part
            if mkdir(path, 0o755) != 0 && errno != EEXIST {
                throw HubStateError.io(path: path, operation: "mkdir (STATE_DIR)", errno: errno)
            }
        }
    }

    /// The saved state, or nil when there is none (first start, or no state directory).
    package func load() throws -> HubStateFile? {
        try prepare()
        guard let path, let legacyPath else { return nil }
        if let state = try load(path) { return state }
        return try load(legacyPath)
    }

    private func load(_ path: String) throws -> HubStateFile? {
        guard let bytes = try readAll(path) else { return nil }
        do {
            return try decode(bytes)
        } catch {
            throw HubStateError.corrupt(path: path, reason: "\(error)")
        }
    }

    /// The file's bytes, or nil when it does not exist.
    private func readAll(_ path: String) throws -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw HubStateError.io(path: path, operation: "open", errno: errno)
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { throw HubStateError.io(path: path, operation: "read", errno: errno) }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[..<n])
        }
        return bytes
    }

    /// Writes all of `bytes` to `fd` and fsyncs it unless told not to; closes `fd` when it fails.
    private func writeAll(_ bytes: [UInt8], to fd: Int32, path: String, sync: Bool = true) throws {
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                let e = errno
                close(fd)
                throw HubStateError.io(path: path, operation: "write", errno: e)
            }
            written += n
        }
        guard !sync || fsync(fd) == 0 else {
            let e = errno
            close(fd)
            throw HubStateError.io(path: path, operation: "fsync", errno: e)
        }
    }

    // MARK: delivery progress (DeliveryProgress)

    package static let progressFileName = "hub-progress.bin"

    package var progressPath: String? { directory.map { "\($0)/\(Self.progressFileName)" } }

    /// The journal of the period being submitted when the hub stopped, if any (a journal that cannot be read is
    /// ignored: it only narrows what a replay posts again).
    package func loadProgress() throws -> DeliveryProgress? {
        guard let progressPath, let bytes = try readAll(progressPath) else { return nil }
        return DeliveryProgressCodec.decode(bytes)
    }

    /// Starts the journal of period `start` (replacing any earlier one).
    package func beginProgress(periodStart start: Int64) throws {
        guard let progressPath else { return }
        let fd = open(progressPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw HubStateError.io(path: progressPath, operation: "open", errno: errno) }
        try writeAll(DeliveryProgressCodec.header(periodStart: start), to: fd, path: progressPath)
        close(fd)
    }

    /// Appends a record (``DeliveryProgressCodec``) to the journal begun by ``beginProgress(periodStart:)``. Not
    /// fsynced: a record is appended per accepted request (thousands a period at fleet scale, on the runtime's actor),
    /// and what it guards against is the hub process dying, whose writes the kernel keeps. A machine that loses power
    /// loses the journal's tail: those parts are posted again, nothing is lost.
    package func appendProgress(_ record: [UInt8]) throws {
        guard let progressPath else { return }
        let fd = open(progressPath, O_WRONLY | O_APPEND)
        guard fd >= 0 else { throw HubStateError.io(path: progressPath, operation: "open", errno: errno) }
        try writeAll(record, to: fd, path: progressPath, sync: false)
        close(fd)
    }

    /// Removes the journal (its period is delivered and in the state file).
    package func clearProgress() {
        if let progressPath { _ = unlink(progressPath) }
    }

    /// Writes `state` atomically (no-op without a state directory).
    package func save(_ state: HubStateFile) throws {
        guard let directory, let path else { return }
        let bytes = try encode(state)
        let temp = path + ".tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw HubStateError.io(path: temp, operation: "open", errno: errno) }
        try writeAll(bytes, to: fd, path: temp)
        close(fd)
        guard rename(temp, path) == 0 else { throw HubStateError.io(path: path, operation: "rename", errno: errno) }
        // The new file supersedes a version-1 one (unlinked after the rename: a crash in between leaves both, and the
        // new one is read first).
        if let legacyPath { _ = unlink(legacyPath) }
        let dfd = open(directory, O_RDONLY)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }
}

package enum HubStateError: Error, CustomStringConvertible {
    case io(path: String, operation: String, errno: Int32)
    case corrupt(path: String, reason: String)

    package var description: String {
        switch self {
        case .io(let path, let operation, let e): "state file \(path): \(operation) failed: \(String(cString: strerror(e)))"
        case .corrupt(let path, let reason):
            "state file \(path) cannot be read (\(reason)); move it away to start afresh (collectors retransmit what is unacknowledged)"
        }
    }
}
