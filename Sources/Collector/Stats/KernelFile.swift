#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads small kernel files (cgroupfs, procfs) with plain POSIX calls: no Foundation, one open/read/close.
enum KernelFile {
    enum Failure: Error {
        case notFound
        case failed(errno: Int32)
    }

    /// The whole file. cgroup and proc files report a size of 0 or 4096 whatever their content, so this reads
    /// until end of file.
    static func read(_ path: String) throws(Failure) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            throw e == ENOENT || e == ENOTDIR || e == ENODEV ? .notFound : .failed(errno: e)
        }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 4096)
        var count = 0
        while true {
            if count == bytes.count { bytes.append(contentsOf: repeatElement(0, count: bytes.count)) }
            let n = bytes.withUnsafeMutableBytes { raw in
                posixRead(fd, raw.baseAddress! + count, raw.count - count)
            }
            if n > 0 {
                count += n
            } else if n == 0 {
                break
            } else if errno != EINTR {
                let e = errno
                // A cgroup removed while being read answers ENODEV.
                throw e == ENODEV || e == ENOENT ? .notFound : .failed(errno: e)
            }
        }
        bytes.removeSubrange(count...)
        return bytes
    }

    /// Whether `path` is an existing directory.
    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// The errno that keeps this process from listing and reading the directory `path` (nil when it can; ENOENT
    /// when it does not exist).
    static func accessError(_ path: String) -> Int32? {
        access(path, R_OK | X_OK) == 0 ? nil : errno
    }

    /// Whether `path` exists.
    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    static func describe(_ errno: Int32) -> String {
        String(cString: strerror(errno))
    }
}

/// `read(2)`, named so that it does not clash with ``KernelFile/read(_:)``.
private func posixRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(fd, buffer, count)
}
