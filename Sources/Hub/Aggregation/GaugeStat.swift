/// Running summary of gauge samples in one period: what Librato calls a complex gauge.
public struct GaugeStat: Equatable, Sendable {
    public var count: Int = 0
    public var sum: Double = 0
    public var min: Double = .infinity
    public var max: Double = -.infinity
    public var sumSquares: Double = 0
    public var last: Double = 0

    public init() {}

    @inline(__always)
    public mutating func add(_ v: Double) {
        count += 1
        sum += v
        if v < min { min = v }
        if v > max { max = v }
        sumSquares += v * v
        last = v
    }

    public var isEmpty: Bool { count == 0 }
    public var mean: Double { count == 0 ? 0 : sum / Double(count) }
}

/// Gauges kept per container and period.
public enum ContainerGauge: Int, CaseIterable, Sendable {
    case cpuPercent, cpuUserPercent, cpuKernelPercent
    case memoryUsage, memoryUsed, memoryRSS, memoryCache, memoryLimit, memoryPercent
    case pids
}

/// Counters kept per container and period, as the sum of the deltas that fell into it.
public enum ContainerCounter: Int, CaseIterable, Sendable {
    case cpuThrottledPeriods, cpuThrottledSeconds, memoryOOMKills
    case blkioReadBytes, blkioWriteBytes, blkioReadOps, blkioWriteOps
    case netRxBytes, netRxPackets, netRxErrors, netRxDropped
    case netTxBytes, netTxPackets, netTxErrors, netTxDropped
    case stdoutLines, stdoutBytes, stderrLines, stderrBytes
}
