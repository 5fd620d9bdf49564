import ContainerMetrics

/// Pure parsers for the kernel files the cgroup stats source reads. Each takes the file's bytes, so that tests can
/// feed fixture strings; none does I/O.
package enum CgroupParsers {
    /// `key value` lines (v1 `memory.stat`, `cpuacct.stat`, `memory.oom_control`, `cpu.stat`; v2 `memory.stat`,
    /// `cpu.stat`, `memory.events`). Lines that are not a key and an unsigned number are skipped.
    package static func flatKeyed(_ bytes: [UInt8]) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        forEachLine(bytes) { line in
            let fields = splitFields(line)
            guard fields.count == 2, let value = number(fields[1]) else { return }
            result[String(decoding: fields[0], as: UTF8.self)] = value
        }
        return result
    }

    /// A file holding one number (`memory.usage_in_bytes`, `memory.current`, `pids.current`, `cpuacct.usage`).
    /// `max` (v2 for "no limit") reads as `UInt64.max`. Nil for anything else.
    package static func singleValue(_ bytes: [UInt8]) -> UInt64? {
        let fields = splitFields(bytes[...])
        guard fields.count == 1 else { return nil }
        if fields[0].elementsEqual("max".utf8) { return .max }
        return number(fields[0])
    }

    /// v1 `blkio.*io_service_bytes_recursive` / `blkio.*io_serviced_recursive`: `8:0 Read 4096` lines, summed over
    /// devices for `Read` and `Write` (case-insensitively, as the docker CLI); `Total` lines are ignored.
    package static func blkioV1(_ bytes: [UInt8]) -> (read: UInt64, write: UInt64) {
        var read: UInt64 = 0
        var write: UInt64 = 0
        forEachLine(bytes) { line in
            let fields = splitFields(line)
            guard fields.count == 3, let value = number(fields[2]) else { return }
            if equalsIgnoringCase(fields[1], "read") {
                read &+= value
            } else if equalsIgnoringCase(fields[1], "write") {
                write &+= value
            }
        }
        return (read, write)
    }

    /// v2 `io.stat`: `8:0 rbytes=… wbytes=… rios=… wios=… dbytes=… dios=…` per device, summed.
    package static func ioStatV2(_ bytes: [UInt8]) -> StatsSample.BlockIO {
        var io = StatsSample.BlockIO(readBytes: 0, writeBytes: 0, readOps: 0, writeOps: 0)
        forEachLine(bytes) { line in
            for field in splitFields(line).dropFirst() {
                guard let eq = field.firstIndex(of: UInt8(ascii: "=")), let value = number(field[(eq + 1)...]) else { continue }
                let key = field[..<eq]
                if key.elementsEqual("rbytes".utf8) {
                    io.readBytes &+= value
                } else if key.elementsEqual("wbytes".utf8) {
                    io.writeBytes &+= value
                } else if key.elementsEqual("rios".utf8) {
                    io.readOps &+= value
                } else if key.elementsEqual("wios".utf8) {
                    io.writeOps &+= value
                }
            }
        }
        return io
    }

    /// `/proc/stat` as dockerd reads it: the host's CPU time in nanoseconds (the first seven fields of the `cpu`
    /// line — user nice system idle iowait irq softirq — × 1e9 / 100 clock ticks) and the online CPUs (the number
    /// of `cpuN` lines, as dockerd ≥ 25 counts them; older versions count the CPUs in their own affinity mask,
    /// which is the same on a host without CPU pinning of dockerd). Nil when there is no well-formed `cpu` line.
    package static func procStat(_ bytes: [UInt8]) -> (systemNs: UInt64, onlineCPUs: UInt32)? {
        var systemNs: UInt64?
        var cpus: UInt32 = 0
        var malformed = false
        forEachLine(bytes) { line in
            guard line.count > 3, line.starts(with: "cpu".utf8) else { return }
            let fourth = line[line.startIndex + 3]
            if fourth == 0x20 {
                let fields = splitFields(line)
                guard fields.count >= 8 else {
                    malformed = true
                    return
                }
                var ticks: UInt64 = 0
                for field in fields[1...7] {
                    guard let v = number(field) else {
                        malformed = true
                        return
                    }
                    ticks &+= v
                }
                systemNs = ticks &* (1_000_000_000 / clockTicksPerSecond)
            } else if fourth >= 0x30 && fourth <= 0x39 {
                cpus += 1
            }
        }
        guard !malformed, let systemNs else { return nil }
        return (systemNs, cpus)
    }

    /// `USER_HZ`: a constant 100 on Linux, which dockerd (and containerd) hard-code too.
    package static let clockTicksPerSecond: UInt64 = 100

    /// `/proc/<pid>/net/dev`: per-interface counters (receive: bytes packets errs drop fifo frame compressed
    /// multicast; transmit: bytes packets errs drop fifo colls carrier compressed), sorted by interface name.
    /// - Parameter includeLoopback: keep `lo`. The Engine API reports only the interfaces Docker attached, never
    ///   `lo`; leave it out to give the same numbers.
    package static func netDev(_ bytes: [UInt8], includeLoopback: Bool = false) -> [StatsSample.NetworkCounters] {
        var result: [StatsSample.NetworkCounters] = []
        forEachLine(bytes) { line in
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return }
            let nameFields = splitFields(line[..<colon])
            guard nameFields.count == 1 else { return }  // the two header lines have `|`, not a single name
            let name = String(decoding: nameFields[0], as: UTF8.self)
            if name == "lo" && !includeLoopback { return }
            let values = splitFields(line[(colon + 1)...]).map { number($0) }
            guard values.count >= 16, values.allSatisfy({ $0 != nil }) else { return }
            let v = values.map { $0! }
            result.append(
                StatsSample.NetworkCounters(
                    interface: name,
                    rxBytes: v[0],
                    rxPackets: v[1],
                    rxErrors: v[2],
                    rxDropped: v[3],
                    txBytes: v[8],
                    txPackets: v[9],
                    txErrors: v[10],
                    txDropped: v[11]
                )
            )
        }
        return result.sorted { $0.interface < $1.interface }
    }

    /// `/proc/<pid>/cgroup`: `hierarchy:controllers:path` lines (v2: `0::/path`). Returns the path of the line
    /// naming `controller` (v1), or of the `0::` line when `controller` is nil (v2).
    package static func procCgroupPath(_ bytes: [UInt8], controller: String?) -> String? {
        var found: String?
        forEachLine(bytes) { line in
            guard found == nil else { return }
            let parts = line.split(separator: UInt8(ascii: ":"), maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { return }
            let controllers = parts[1].split(separator: UInt8(ascii: ",")).map { String(decoding: $0, as: UTF8.self) }
            let matches = controller.map { controllers.contains($0) } ?? (parts[0].elementsEqual("0".utf8) && parts[1].isEmpty)
            if matches { found = String(decoding: parts[2], as: UTF8.self) }
        }
        return found
    }

    /// `/proc/meminfo`'s `MemTotal` in bytes.
    package static func memTotal(_ bytes: [UInt8]) -> UInt64? {
        var total: UInt64?
        forEachLine(bytes) { line in
            let fields = splitFields(line)
            if fields.count >= 2, fields[0].elementsEqual("MemTotal:".utf8), let kb = number(fields[1]) { total = kb &* 1024 }
        }
        return total
    }

    // MARK: byte helpers

    static func forEachLine(_ bytes: [UInt8], _ body: (ArraySlice<UInt8>) -> Void) {
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            body(bytes[start..<end])
            start = end + 1
        }
    }

    static func splitFields(_ line: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        line.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A })
    }

    /// An unsigned decimal, or nil (also on overflow).
    static func number(_ field: ArraySlice<UInt8>) -> UInt64? {
        guard !field.isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in field {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(byte - 0x30))
            guard !o1, !o2 else { return nil }
            value = sum
        }
        return value
    }

    static func equalsIgnoringCase(_ field: ArraySlice<UInt8>, _ lowercase: String) -> Bool {
        field.count == lowercase.utf8.count && zip(field, lowercase.utf8).allSatisfy { ($0 | 0x20) == $1 }
    }
}
