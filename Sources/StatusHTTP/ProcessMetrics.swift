#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The Prometheus client conventions' `process_*` metrics (resident memory, CPU seconds, start time, open file
/// descriptors) and a `<prefix>_build_info` gauge, read from `/proc/self` at each scrape. Hand-written: swift-prometheus
/// has no process collector on Linux.
public enum ProcessMetrics {
    /// Prometheus text for this process.
    public static func text(buildInfoName: String, version: String, role: String) -> String {
        var out = ""
        func gauge(_ name: String, _ help: String, _ value: Double, type: String = "gauge", labels: String = "") {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name)\(labels) \(format(value))\n"
        }
        gauge(buildInfoName, "Build of this docker-librato process (value 1)", 1, labels: "{role=\"\(role)\",version=\"\(version)\"}")
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        if let stat = read("/proc/self/stat"), let close = stat.lastIndex(of: ")") {
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // Fields after the command: [0] state … [11] utime, [12] stime, [19] starttime, [20] vsize, [21] rss.
            if fields.count > 21 {
                let cpu = ((Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)) / ticks
                gauge("process_cpu_seconds_total", "Total user and system CPU time spent in seconds", cpu, type: "counter")
                gauge("process_resident_memory_bytes", "Resident memory size in bytes", (Double(fields[21]) ?? 0) * pageSize)
                gauge("process_virtual_memory_bytes", "Virtual memory size in bytes", Double(fields[20]) ?? 0)
                if let boot = bootTime() {
                    gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds", boot + (Double(fields[19]) ?? 0) / ticks)
                }
            }
        }
        if let dir = opendir("/proc/self/fd") {
            var n = -2  // . and ..
            while readdir(dir) != nil { n += 1 }
            closedir(dir)
            gauge("process_open_fds", "Number of open file descriptors", Double(max(0, n - 1)))  // less the one opendir holds
        }
        return out
    }

    static func format(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }

    static func bootTime() -> Double? {
        guard let stat = read("/proc/stat") else { return nil }
        for line in stat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6))
        }
        return nil
    }

    static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            out += chunk[0..<n]
            if out.count > 1 << 20 { break }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
