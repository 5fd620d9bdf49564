/// Running summary of gauge samples in one period: what Librato calls a complex gauge.
package struct GaugeStat: Equatable, Sendable {
    package var count: Int = 0
    package var sum: Double = 0
    package var min: Double = .infinity
    package var max: Double = -.infinity
    package var sumSquares: Double = 0
    package var last: Double = 0

    package init() {}

    @inline(__always)
    package mutating func add(_ v: Double) {
        count += 1
        sum += v
        if v < min { min = v }
        if v > max { max = v }
        sumSquares += v * v
        last = v
    }

    package var isEmpty: Bool { count == 0 }
    package var mean: Double { count == 0 ? 0 : sum / Double(count) }
}

/// Gauges kept per container and period.
package enum ContainerGauge: Int, CaseIterable, Sendable {
    case cpuPercent, cpuUserPercent, cpuKernelPercent
    case memoryUsage, memoryUsed, memoryRSS, memoryCache, memoryLimit, memoryPercent
    case pids
}

/// Counters kept per container and period, as the sum of the deltas that fell into it.
package enum ContainerCounter: Int, CaseIterable, Sendable {
    case cpuThrottledPeriods, cpuThrottledSeconds, memoryOOMKills
    case blkioReadBytes, blkioWriteBytes, blkioReadOps, blkioWriteOps
    case netRxBytes, netRxPackets, netRxErrors, netRxDropped
    case netTxBytes, netTxPackets, netTxErrors, netTxDropped
    case stdoutLines, stdoutBytes, stderrLines, stderrBytes
}
