import Timekeeping
/// Settings of a ``FakeLibrato``. Defaults follow docs/librato-api.md; where the reference is UNCONFIRMED the fake picks
/// the strict reading, so that a client passing the fake is safe against the real service.
public struct FakeLibratoConfiguration: Sendable {
    /// The e-mail (Basic auth user) the fake accepts.
    public var email: String
    /// The token (Basic auth password) the fake accepts.
    public var token: String
    /// Bodies above this many bytes get 413 (UNCONFIRMED code; support quoted 3 MB as the real cap).
    public var maxBodyBytes: Int
    /// Most entries in one `POST /v1/metrics`; nil = no limit. The docs only suggest ~300; the fake enforces it by
    /// default (400) so that our batching is checked. Set nil to model the lenient real server.
    public var maxLegacyMeasurements: Int?
    /// Most entries in one `POST /v1/measurements`; nil = no limit. The docs say "keep under 1,000"; enforced
    /// by default (400).
    public var maxTaggedMeasurements: Int?
    /// Most tags per measurement (50 by default).
    public var maxTags: Int
    /// How far in the past a time may be: 120 minutes (UNCONFIRMED; a user's report, undisputed by Librato).
    public var maxPastSeconds: Double
    /// How far in the future a time may be: 5 minutes of clock skew (UNCONFIRMED; no source).
    public var maxFutureSeconds: Double
    /// Whether the account accepts tagged measurements; false answers every `/v1/measurements` with the 403.
    public var tagsEnabled: Bool
    /// Success status of `POST /v1/measurements` (UNCONFIRMED: 200 or 202; 202 by default so that clients are
    /// tested to accept any 2xx). `POST /v1/metrics` answers 200, annotations 201.
    public var taggedSuccessStatus: Int
    /// Optional rate limit: at most `requests` per fixed window of `window` seconds, then 429 with the flat body.
    public var rateLimit: (requests: Int, window: Double)?
    /// How far ahead the `reset` of an injected rate-limit fault lies.
    public var rateLimitResetAfter: Double
    /// Also send `Retry-After` (whole seconds) on 429s (UNCONFIRMED whether Librato does; off by default).
    public var sendRetryAfter: Bool
    /// The fake's clock, in epoch seconds (for time windows, rate-limit windows and `request_time`).
    public var now: @Sendable () -> Double
    /// What ``rateLimit`` counts: requests, or measurements (Librato's `measure:raw_rate` limit counts measurements).
    /// With measurements, a request is refused (429) once the window's count has reached the limit; a request that
    /// starts below it is taken whole.
    public var rateLimitUnit: RateLimitUnit = .requests
    /// Keep every accepted measurement in the snapshot (tests read them there). A long, large run (the fleet
    /// simulator) turns it off and counts what it needs through ``onAccepted``.
    public var recordAccepted = true
    /// Keep each request's body in the snapshot.
    public var recordBodies = true
    /// Called with the measurements of each accepted request and the arrival time (epoch seconds).
    public var onAccepted: (@Sendable ([AcceptedMeasurement], Double) -> Void)?

    /// See ``rateLimitUnit``.
    public enum RateLimitUnit: Sendable {
        case requests, measurements
    }

    /// Creates a configuration; see the properties for the defaults.
    public init(
        email: String = "fake@example.com",
        token: String = "fake-token-0123456789abcdef",
        maxBodyBytes: Int = 3_000_000,
        maxLegacyMeasurements: Int? = 300,
        maxTaggedMeasurements: Int? = 1000,
        maxTags: Int = 50,
        maxPastSeconds: Double = 120 * 60,
        maxFutureSeconds: Double = 300,
        tagsEnabled: Bool = true,
        taggedSuccessStatus: Int = 202,
        rateLimit: (requests: Int, window: Double)? = nil,
        rateLimitResetAfter: Double = 1,
        sendRetryAfter: Bool = false,
        now: @escaping @Sendable () -> Double = { WallClock.system.now().seconds }
    ) {
        self.email = email
        self.token = token
        self.maxBodyBytes = maxBodyBytes
        self.maxLegacyMeasurements = maxLegacyMeasurements
        self.maxTaggedMeasurements = maxTaggedMeasurements
        self.maxTags = maxTags
        self.maxPastSeconds = maxPastSeconds
        self.maxFutureSeconds = maxFutureSeconds
        self.tagsEnabled = tagsEnabled
        self.taggedSuccessStatus = taggedSuccessStatus
        self.rateLimit = rateLimit
        self.rateLimitResetAfter = rateLimitResetAfter
        self.sendRetryAfter = sendRetryAfter
        self.now = now
    }
}
