#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The few operating-system calls this module needs, without Foundation: environment, reading a small file,
/// appending text to a file or stdout.
enum SystemIO {
    /// The process environment.
    static func environment() -> [String: String] {
        var result: [String: String] = [:]
        #if canImport(Darwin)
        var p = _NSGetEnviron().pointee
        #else
        var p = environ
        #endif
        while let entry = p.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") {
                result[String(text[..<eq])] = String(text[text.index(after: eq)...])
            }
            p += 1
        }
        return result
    }

    /// Reads a small text file (at most `limit` bytes) as UTF-8.
    /// - Throws: ``SystemIOError`` with the `strerror` text.
    static func readFile(_ path: String, limit: Int = 1 << 20) throws(SystemIOError) -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw SystemIOError(reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while out.count <= limit {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemIOError(reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        guard out.count <= limit else { throw SystemIOError(reason: "file is larger than \(limit) bytes") }
        return String(decoding: out, as: UTF8.self)
    }

    /// Writes all of `bytes` to `fd`.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(SystemIOError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemIOError(reason: String(cString: strerror(errno)))
            }
            offset += n
        }
    }

    /// Appends `bytes` to the file at `path` (created with mode 0644 if missing) in one `write`.
    static func append(_ bytes: [UInt8], toFile path: String) throws(SystemIOError) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SystemIOError(reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        try writeAll(fd, bytes)
    }
}

/// An operating-system error, as `strerror` describes it.
struct SystemIOError: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}
