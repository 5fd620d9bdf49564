#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Loopback ports for tests. nanomsg refuses port 0, so tests ask the kernel for a free ephemeral port and hand
/// its number on; a retry on "address in use" covers the small race.
public enum FreePort {
    /// A TCP port on 127.0.0.1 that was free a moment ago.
    public static func next() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(fd >= 0, "socket() failed")
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        precondition(bound == 0, "bind() failed")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// `tcp://127.0.0.1:<free port>`.
    public static func tcpAddress() -> String { "tcp://127.0.0.1:\(next())" }

    /// `ipc://` address of a fresh socket path under /tmp (short enough for sun_path).
    public static func ipcAddress(_ tag: String = "t") -> String {
        "ipc:///tmp/dl-\(tag)-\(UInt32.random(in: 0...UInt32.max)).ipc"
    }
}
