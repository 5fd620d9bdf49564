/// What became of the measurements handed to ``MetricsSink/submit(_:)``. Every submitted measurement ends in
/// exactly one of: ``accepted``, ``invalid``, ``tooOld`` or ``undelivered``.
public struct SubmitReport: Sendable, Hashable {
    /// Measurements handed in.
    public var submitted = 0
    /// Measurements in requests Librato answered with 2xx.
    public var accepted = 0
    /// Measurements rejected before sending (`status` nil) or isolated by Librato's 400s; never retried.
    public var invalid: [InvalidMeasurement] = []
    /// Measurements dropped because their time was older than the max age (or Librato said "too far in the past").
    public var tooOld = 0
    /// Measurements neither accepted nor rejected when the submit was cancelled; the caller still owns them.
    public var undelivered: [Measurement] = []
    /// Responses received, by HTTP status.
    public var requestsByStatus: [Int: Int] = [:]
    /// Requests that timed out.
    public var timeouts = 0
    /// Requests that failed below HTTP (refused, reset, closed before a response).
    public var connectionErrors = 0
    /// Requests that re-sent a batch (or part of one) after a failure.
    public var retries = 0
    /// Measurements whose name, source or tags the sanitiser rewrote.
    public var renamed = 0
    /// Optional fields left out because they were not finite or out of range.
    public var droppedFields = 0
    /// Tags left out (empty, colliding, or over the limit of 50).
    public var droppedTags = 0

    /// An empty report.
    public init() {}

    /// True when nothing is left undelivered.
    public var isComplete: Bool { undelivered.isEmpty }

    /// Every request made, answered or not.
    public var requests: Int { requestsByStatus.values.reduce(0, +) + timeouts + connectionErrors }

    /// Adds another report's numbers to this one (for totals across submits).
    public mutating func merge(_ other: SubmitReport) {
        submitted += other.submitted
        accepted += other.accepted
        invalid += other.invalid
        tooOld += other.tooOld
        undelivered += other.undelivered
        requestsByStatus.merge(other.requestsByStatus, uniquingKeysWith: +)
        timeouts += other.timeouts
        connectionErrors += other.connectionErrors
        retries += other.retries
        renamed += other.renamed
        droppedFields += other.droppedFields
        droppedTags += other.droppedTags
    }
}

/// A measurement that will never be accepted as it is.
public struct InvalidMeasurement: Sendable, Hashable {
    /// The measurement as sent (after sanitising), or as handed in when it was rejected before sending.
    public var measurement: Measurement
    /// Librato's status (400, 413), or nil when the client rejected it before sending.
    public var status: Int?
    /// Why: Librato's messages joined with `; `, or the client's reason.
    public var message: String

    /// Creates a record.
    public init(measurement: Measurement, status: Int?, message: String) {
        self.measurement = measurement
        self.status = status
        self.message = message
    }
}
