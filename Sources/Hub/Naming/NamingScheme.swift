import ContainerMetrics
import Librato

/// Turns a closed period into measurements and annotations. Pure.
package struct NamingScheme: Sendable {
    package var mode: NamingMode
    /// The period in seconds (also sent as the metric `period` attribute, which Librato stores at creation).
    package var periodSeconds: Int
    /// Display attributes (units) are sent with the tagged API only, where measurements document them; the legacy
    /// API's placement of attributes in a POST is unconfirmed (docs/librato-api.md §2).
    package var sendsAttributes: Bool
    /// Which series are posted (`LIBRATO_CONTAINER_SERIES`, `LIBRATO_METRIC_GROUPS`, `LIBRATO_INTERFACE_SERIES`).
    package var selection: SeriesSelection

    package init(mode: NamingMode, periodSeconds: Int, api: LibratoAPI = .legacy, selection: SeriesSelection = .all) {
        self.mode = mode
        self.periodSeconds = periodSeconds
        self.sendsAttributes = api == .tagged
        self.selection = selection
    }

    package func measurements(for period: ClosedPeriod) -> [Measurement] {
        let time = Int(period.start / 1000)
        switch mode {
        case .seed:
            return period.containers.flatMap { SeedNames.measurements(for: $0, time: time) }
        case .standard:
            var out: [Measurement] = []
            out.reserveCapacity(period.containers.count * 40)
            if selection.containerSeries {
                for c in period.containers {
                    ContainerNames.append(c, time: time, period: periodSeconds, attributes: sendsAttributes, to: &out)
                }
                if selection != .all { out.removeAll { !selection.keeps(containerMetric: $0.name) } }
            }
            Rollups.append(period.containers, hosts: period.hosts, time: time, period: periodSeconds, to: &out)
            return out
        }
    }

    /// The period's roll-ups (cluster and host; none with `seed` naming): the first slice of a streamed submission.
    package func rollups(for period: ClosedPeriod) -> [Measurement] {
        guard mode == .standard else { return [] }
        var out: [Measurement] = []
        Rollups.append(period.containers, hosts: period.hosts, time: Int(period.start / 1000), period: periodSeconds, to: &out)
        return out
    }

    /// The per-container measurements of `containers` (a slice of a period's): the rest of a streamed submission,
    /// so that what a period holds in memory at once is bounded by a slice, not by the fleet.
    package func containerMeasurements(_ containers: ArraySlice<ContainerPeriod>, periodStart: Int64) -> [Measurement] {
        var ends: [Int] = []
        return containerMeasurements(containers, periodStart: periodStart, ends: &ends)
    }

    /// ``containerMeasurements(_:periodStart:)``, appending to `ends` where each container's measurements end (so
    /// the flusher can cut requests on container boundaries and journal each container once its requests are in).
    package func containerMeasurements(_ containers: ArraySlice<ContainerPeriod>, periodStart: Int64, ends: inout [Int]) -> [Measurement] {
        let time = Int(periodStart / 1000)
        var out: [Measurement] = []
        ends.reserveCapacity(ends.count + containers.count)
        switch mode {
        case .seed:
            for c in containers {
                out += SeedNames.measurements(for: c, time: time)
                ends.append(out.count)
            }
        case .standard:
            guard selection.containerSeries else {
                ends += repeatElement(0, count: containers.count)
                return []
            }
            out.reserveCapacity(containers.count * 40)
            for c in containers {
                let from = out.count
                ContainerNames.append(c, time: time, period: periodSeconds, attributes: sendsAttributes, to: &out)
                if selection != .all {
                    // Keeps the selected of this container's measurements, in order.
                    var kept = from
                    for i in from..<out.count where selection.keeps(containerMetric: out[i].name) {
                        out.swapAt(kept, i)
                        kept += 1
                    }
                    out.removeSubrange(kept...)
                }
                ends.append(out.count)
            }
        }
        return out
    }

    /// At least as many measurements as ``containerMeasurements(_:periodStart:)`` makes of `containers`, counted
    /// without making them (the flusher builds a period twice only when this bound does not fit the budget).
    package func containerMeasurementsBound(_ containers: ArraySlice<ContainerPeriod>) -> Int {
        switch mode {
        case .seed: containers.count * SeedNames.gauges.count
        case .standard: selection.containerSeries ? containers.reduce(0) { $0 + ContainerNames.upperBound($1) } : 0
        }
    }

    package func annotations(for period: ClosedPeriod) -> [Annotation] {
        EventAnnotations.annotations(for: period.containers)
    }
}

extension Measurement.Value {
    /// A complex gauge from a running summary; a plain value when it holds one sample (as librato-node does).
    init(_ g: GaugeStat) {
        if g.count == 1 {
            self = .single(g.sum)
        } else {
            self = .summary(Summary(count: g.count, sum: g.sum, min: g.min, max: g.max, sumSquares: g.sumSquares, last: g.last))
        }
    }
}
