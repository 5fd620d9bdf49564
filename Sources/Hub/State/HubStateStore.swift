import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// Reads and writes the hub's state file atomically: write a temporary file, fsync it, rename it over the old one,
/// fsync the directory. A crash leaves either the old or the new file, never a torn one.
package struct HubStateStore: Sendable {
    package static let fileName = "hub-state.json"
    /// `STATE_DIR`, or nil to keep the state in memory only (a restart then starts afresh).
    package let directory: String?

    package init(directory: String?) {
        self.directory = directory
    }

    package var path: String? { directory.map { "\($0)/\(Self.fileName)" } }

    package func encode(_ state: HubStateFile) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(state))
    }

    package func decode(_ bytes: [UInt8]) throws -> HubStateFile {
        try JSONDecoder().decode(HubStateFile.self, from: Data(bytes))
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
        guard let path else { return nil }
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
        do {
            return try decode(bytes)
        } catch {
            throw HubStateError.corrupt(path: path, reason: "\(error)")
        }
    }

    /// Writes `state` atomically (no-op without a state directory).
    package func save(_ state: HubStateFile) throws {
        guard let directory, let path else { return }
        let bytes = try encode(state)
        let temp = path + ".tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw HubStateError.io(path: temp, operation: "open", errno: errno) }
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                let e = errno
                close(fd)
                throw HubStateError.io(path: temp, operation: "write", errno: e)
            }
            written += n
        }
        guard fsync(fd) == 0 else {
            let e = errno
            close(fd)
            throw HubStateError.io(path: temp, operation: "fsync", errno: e)
        }
        close(fd)
        guard rename(temp, path) == 0 else { throw HubStateError.io(path: path, operation: "rename", errno: errno) }
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
