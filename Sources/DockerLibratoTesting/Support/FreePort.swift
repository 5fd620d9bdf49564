#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Loopback ports for tests. nanomsg refuses port 0, so tests pick a port that binds now and hand its number on.
/// Ports come from 20000–32767, below Linux's ephemeral range (32768–60999): outgoing connections (nanomsg
/// reconnects, HTTP clients) draw their local ports from that range and would otherwise race the tests for them.
/// Each port is handed out once per process.
public enum FreePort {
    private static let handedOut = Mutex<Set<Int>>([])

    /// A TCP port on 127.0.0.1 that was free a moment ago.
    public static func next() -> Int {
        while true {
            let port = Int.random(in: 20_000...32_767)
            guard handedOut.withLock({ $0.insert(port).inserted }) else { continue }
            if bindable(port) { return port }
        }
    }

    static func bindable(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// `tcp://127.0.0.1:<free port>`.
    public static func tcpAddress() -> String { "tcp://127.0.0.1:\(next())" }

    /// `ipc://` address of a fresh socket path under /tmp (short enough for sun_path).
    public static func ipcAddress(_ tag: String = "t") -> String {
        "ipc:///tmp/dl-\(tag)-\(UInt32.random(in: 0...UInt32.max)).ipc"
    }
}
