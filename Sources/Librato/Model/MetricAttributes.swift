/// Metric attributes (docs/librato-api.md §2). Librato applies attributes sent with measurements only when it creates
/// the metric; changing them later needs `PUT /v1/metrics/:name`, which this client does not do.
///
/// Sent per measurement in both APIs. For the legacy API the place of attributes in a POST is not documented
/// (UNCONFIRMED); we send them per gauge entry, next to `period`, as the properties of `PUT /v1/metrics/:name`.
public struct MetricAttributes: Sendable, Hashable {
    /// Seven-character hex colour such as `#52D74C`.
    public var color: String?
    /// Upper bound of the y axis.
    public var displayMax: Double?
    /// Lower bound of the y axis.
    public var displayMin: Double?
    /// Long unit name, e.g. `bytes`.
    public var displayUnitsLong: String?
    /// Short unit name, e.g. `B` or `%`.
    public var displayUnitsShort: String?
    /// Stack series in charts.
    public var displayStacked: Bool?
    /// Roll-up function: `average` (default), `sum`, `count`, `min` or `max`.
    public var summarizeFunction: String?
    /// Service-side aggregation. Off by default; leave it off for data that may be replayed (see docs/librato-api.md §7).
    public var aggregate: Bool?

    /// Creates attributes; every field is optional and only set fields are sent.
    public init(
        color: String? = nil,
        displayMax: Double? = nil,
        displayMin: Double? = nil,
        displayUnitsLong: String? = nil,
        displayUnitsShort: String? = nil,
        displayStacked: Bool? = nil,
        summarizeFunction: String? = nil,
        aggregate: Bool? = nil
    ) {
        self.color = color
        self.displayMax = displayMax
        self.displayMin = displayMin
        self.displayUnitsLong = displayUnitsLong
        self.displayUnitsShort = displayUnitsShort
        self.displayStacked = displayStacked
        self.summarizeFunction = summarizeFunction
        self.aggregate = aggregate
    }

    /// True when no attribute is set (nothing would be sent).
    public var isEmpty: Bool { self == MetricAttributes() }
}
