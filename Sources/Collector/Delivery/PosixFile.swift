#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed file operation in the state directory, with the path and the system's reason.
@_spi(Simulation) public struct StateDirectoryError: Error, Equatable, CustomStringConvertible {
    /// What was being done (`write`, `fsync`, `rename`, …).
    package let operation: String
    /// The file or directory concerned.
    package let path: String
    /// The errno (0 when ``detail`` explains instead).
    package let code: Int32
    /// A reason other than an errno (a malformed file).
    package let detail: String?

    init(_ operation: String, _ path: String, code: Int32 = 0, detail: String? = nil) {
        self.operation = operation
        self.path = path
        self.code = code
        self.detail = detail
    }

    static func last(_ operation: String, _ path: String) -> StateDirectoryError {
        StateDirectoryError(operation, path, code: errno)
    }

    @_spi(Simulation) public var description: String {
        let reason = detail ?? String(cString: strerror(code))
        return "cannot \(operation) \(path): \(reason); check that STATE_DIR is writable by the collector and has free space"
    }
}

/// Thin POSIX file helpers for the spool and the state file (no Foundation in the collector).
enum PosixFile {
    /// Creates `path` and its parents (mode 0700) when missing.
    static func makeDirectory(_ path: String) throws(StateDirectoryError) {
        var partial = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            partial += "/" + component
            if mkdir(partial, 0o700) != 0 && errno != EEXIST { throw .last("create directory", partial) }
        }
    }

    /// Opens `path` with `flags` (O_CLOEXEC added); mode 0600 for created files.
    static func openFile(_ path: String, _ flags: Int32) throws(StateDirectoryError) -> Int32 {
        let fd = open(path, flags | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .last("open", path) }
        return fd
    }

    /// Writes all of `bytes` at the file's current offset.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(StateDirectoryError) {
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n > 0 {
                done += n
            } else if n < 0 && errno != EINTR {
                throw .last("write", path)
            }
        }
    }

    /// Writes all of `bytes` at the file's current offset.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(StateDirectoryError) {
        let result: Result<Void, StateDirectoryError> = bytes.withUnsafeBytes { raw in
            Result { () throws(StateDirectoryError) in try writeAll(fd, raw, path: path) }
        }
        try result.get()
    }

    /// Reads exactly `count` bytes at `offset`; fewer when the file ends first.
    static func read(_ fd: Int32, count: Int, at offset: Int, path: String) throws(StateDirectoryError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        var failure: StateDirectoryError?
        bytes.withUnsafeMutableBytes { raw in
            while done < count {
                let n = pread(fd, raw.baseAddress! + done, count - done, off_t(offset + done))
                if n > 0 {
                    done += n
                } else if n == 0 {
                    break
                } else if errno != EINTR {
                    failure = .last("read", path)
                    break
                }
            }
        }
        if let failure { throw failure }
        if done < count { bytes.removeSubrange(done...) }
        return bytes
    }

    /// The whole file, or nil when it does not exist.
    static func readFile(_ path: String) throws(StateDirectoryError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw .last("open", path)
        }
        defer { close(fd) }
        let size = try self.size(fd, path: path)
        return try read(fd, count: size, at: 0, path: path)
    }

    static func size(_ fd: Int32, path: String) throws(StateDirectoryError) -> Int {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .last("stat", path) }
        return Int(st.st_size)
    }

    static func sync(_ fd: Int32, path: String) throws(StateDirectoryError) {
        guard fsync(fd) == 0 else { throw .last("fsync", path) }
    }

    /// fsyncs a directory, so that a rename, creation or removal in it survives a power loss.
    static func syncDirectory(_ path: String) throws(StateDirectoryError) {
        let fd = try openFile(path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try sync(fd, path: path)
    }

    static func truncate(_ fd: Int32, to length: Int, path: String) throws(StateDirectoryError) {
        guard ftruncate(fd, off_t(length)) == 0 else { throw .last("truncate", path) }
    }

    static func remove(_ path: String) throws(StateDirectoryError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw .last("remove", path) }
    }

    /// Replaces `path` with `bytes` atomically: a temporary file is written and fsynced, renamed over `path`, and the
    /// directory fsynced. A crash leaves either the old or the new content, never a mix.
    static func replaceAtomically(_ path: String, with bytes: [UInt8], directory: String) throws(StateDirectoryError) {
        let temporary = path + ".tmp"
        let fd = try openFile(temporary, O_WRONLY | O_CREAT | O_TRUNC)
        do throws(StateDirectoryError) {
            try writeAll(fd, bytes, path: temporary)
            try sync(fd, path: temporary)
        } catch {
            close(fd)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else { throw .last("rename", temporary) }
        try syncDirectory(directory)
    }

    /// Names of the entries of `path` (without `.` and `..`).
    static func list(_ path: String) throws(StateDirectoryError) -> [String] {
        guard let dir = opendir(path) else { throw .last("list", path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
