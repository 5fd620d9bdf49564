/// One data point for Librato: a metric name, the series it belongs to (legacy `source` and/or tagged `tags`), a
/// period-aligned time, and either a single value or a summary of several samples.
///
/// The same value serves both APIs: the legacy encoder uses ``source`` and the tagged encoder uses ``tags`` (falling
/// back to a `source` tag when a measurement carries a source but no tags), so the caller can fill both and let
/// configuration (`LIBRATO_API`) pick. Names, sources and tags are sanitised before sending (see ``Sanitiser``);
/// callers need not pre-clean them.
public struct Measurement: Sendable, Hashable {
    /// Metric name, e.g. `docker.container.cpu.percent`. Sanitised to `A-Za-z0-9.:-_`, 1–255 characters.
    public var name: String
    /// Legacy source, e.g. `cluster:host:container`. Optional: without one the metric has a single series.
    public var source: String?
    /// Tagged-API tags (name → value). Per measurement; they replace, never merge with, request-level tags.
    public var tags: [String: String]
    /// UNIX epoch seconds. Align it to the period (`time - time % period`) so that a replay lands on the same point.
    public var time: Int
    /// A single sample, or a summary of several.
    public var value: Value
    /// The metric's reporting period in seconds; Librato stores it only when it creates the metric.
    public var period: Int?
    /// Display attributes; Librato applies them only when it creates the metric.
    public var attributes: MetricAttributes?

    /// Creates a measurement. See the properties for what each field means.
    public init(
        name: String,
        source: String? = nil,
        tags: [String: String] = [:],
        time: Int,
        value: Value,
        period: Int? = nil,
        attributes: MetricAttributes? = nil
    ) {
        self.name = name
        self.source = source
        self.tags = tags
        self.time = time
        self.value = value
        self.period = period
        self.attributes = attributes
    }

    /// The numeric content of a measurement.
    public enum Value: Sendable, Hashable {
        /// One sample: sent as `value`.
        case single(Double)
        /// Several samples summarised: sent as `count`/`sum`/`min`/`max` plus `sum_squares` (legacy) or
        /// `last`/`stddev` (tagged). Never together with `value`.
        case summary(Summary)
    }
}

/// A summary of `count` samples, as Librato's "complex" gauges expect it.
public struct Summary: Sendable, Hashable {
    /// Number of samples; at least 1.
    public var count: Int
    /// Sum of the samples.
    public var sum: Double
    /// Smallest sample.
    public var min: Double?
    /// Largest sample.
    public var max: Double?
    /// Sum of the squared samples. Sent as `sum_squares` to the legacy API; for the tagged API it is turned into the
    /// population standard deviation (`stddev`), because `/v1/measurements` has no `sum_squares` field.
    public var sumSquares: Double?
    /// The last sample of the period (tagged API only; the legacy API does not document `last`).
    public var last: Double?

    /// Creates a summary.
    public init(count: Int, sum: Double, min: Double? = nil, max: Double? = nil, sumSquares: Double? = nil, last: Double? = nil) {
        self.count = count
        self.sum = sum
        self.min = min
        self.max = max
        self.sumSquares = sumSquares
        self.last = last
    }

    /// Builds the summary of a list of samples (at least one).
    public init?(samples: [Double]) {
        guard let first = samples.first, let lastSample = samples.last else { return nil }
        var sum = 0.0
        var sumSquares = 0.0
        var lo = first
        var hi = first
        for s in samples {
            sum += s
            sumSquares += s * s
            lo = Swift.min(lo, s)
            hi = Swift.max(hi, s)
        }
        self.init(count: samples.count, sum: sum, min: lo, max: hi, sumSquares: sumSquares, last: lastSample)
    }

    /// Population standard deviation from `count`, `sum` and `sumSquares`, or nil without `sumSquares`.
    /// Rounding can make the variance slightly negative for constant samples; it is clamped to zero.
    public var populationStandardDeviation: Double? {
        guard let sumSquares, count > 0 else { return nil }
        let n = Double(count)
        let mean = sum / n
        let variance = sumSquares / n - mean * mean
        return variance > 0 ? variance.squareRoot() : 0
    }
}
