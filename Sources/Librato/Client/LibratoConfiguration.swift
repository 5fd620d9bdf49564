/// Settings of a ``LibratoClient`` (and of the ``DryRunSink``, which prints what the client would send).
public struct LibratoConfiguration: Sendable {
    /// API root without a trailing slash (`LIBRATO_API_URL`), e.g. `https://metrics-api.librato.com`. `http://` is
    /// accepted for tests and local proxies; Librato itself requires HTTPS.
    public var baseURL: String
    /// Legacy or tagged API (`LIBRATO_API`).
    public var api: LibratoAPI
    /// Requests in flight at once, across all submits of one client (default 4).
    public var maxConcurrentRequests: Int
    /// Measurements per request; nil uses the API's guidance (300 legacy, 1000 tagged).
    public var maxMeasurementsPerRequest: Int?
    /// Request bodies stay strictly below this many bytes (default 1,000,000).
    public var maxRequestBytes: Int
    /// Whole-request timeout, connect to last body byte (default 20 s).
    public var requestTimeout: Duration
    /// TCP/TLS connect timeout (default 10 s).
    public var connectTimeout: Duration
    /// Backoff, slow-retry and max-age rules.
    public var retry: RetryPolicy
    /// How long ``LibratoClient/annotate(_:)`` keeps retrying an annotation (default 10 min).
    public var annotationDeadline: Duration
    /// `User-Agent` header (default `docker-librato/<version>`, docs/librato-api.md §1.4).
    public var userAgent: String

    /// The default API root.
    public static let defaultBaseURL = "https://metrics-api.librato.com"

    /// Creates a configuration; see the properties for the defaults.
    public init(
        baseURL: String = LibratoConfiguration.defaultBaseURL,
        api: LibratoAPI = .legacy,
        maxConcurrentRequests: Int = 4,
        maxMeasurementsPerRequest: Int? = nil,
        maxRequestBytes: Int = 1_000_000,
        requestTimeout: Duration = .seconds(20),
        connectTimeout: Duration = .seconds(10),
        retry: RetryPolicy = RetryPolicy(),
        annotationDeadline: Duration = .seconds(600),
        userAgent: String = "docker-librato/\(LibratoClient.version)"
    ) {
        self.baseURL = baseURL
        self.api = api
        self.maxConcurrentRequests = maxConcurrentRequests
        self.maxMeasurementsPerRequest = maxMeasurementsPerRequest
        self.maxRequestBytes = maxRequestBytes
        self.requestTimeout = requestTimeout
        self.connectTimeout = connectTimeout
        self.retry = retry
        self.annotationDeadline = annotationDeadline
        self.userAgent = userAgent
    }

    /// Reads `LIBRATO_API_URL` and `LIBRATO_API` (other settings keep their defaults).
    /// - Throws: ``LibratoConfigurationError`` naming the variable.
    public static func fromEnvironment(_ environment: [String: String]) throws(LibratoConfigurationError) -> LibratoConfiguration {
        try resolve(api: environment["LIBRATO_API"], baseURL: environment["LIBRATO_API_URL"])
    }

    /// The settings from typed values (flags or their variables); errors name `LIBRATO_API` and `LIBRATO_API_URL`.
    public static func resolve(api: String?, baseURL: String?) throws(LibratoConfigurationError) -> LibratoConfiguration {
        var c = LibratoConfiguration()
        c.api = try LibratoAPI(environmentValue: api)
        if let url = baseURL, !url.trimmingASCIIWhitespace().isEmpty {
            c.baseURL = try validatedBaseURL(url, variable: "LIBRATO_API_URL")
        }
        return c
    }

    /// Checks an API root: `http://` or `https://`, a host, no credentials, no query; the trailing `/` and a
    /// trailing `/v1` are removed (the client appends `/v1/...`).
    public static func validatedBaseURL(_ raw: String, variable: String = "LIBRATO_API_URL") throws(LibratoConfigurationError) -> String {
        var url = raw.trimmingASCIIWhitespace()
        let expected = "an http(s) URL such as \(defaultBaseURL)"
        let lower = url.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://") else {
            throw .invalidValue(variable: variable, value: raw, expected: expected)
        }
        let rest = url.drop(while: { $0 != ":" }).dropFirst(3)
        let authority = rest.prefix(while: { $0 != "/" })
        if authority.contains("@") {
            throw .invalidValue(
                variable: variable, value: "<contains credentials>",
                expected: "a URL without user:token@ — put the credential in LIBRATO_EMAIL and LIBRATO_TOKEN(_FILE)"
            )
        }
        guard !authority.isEmpty, !url.contains("?"), !url.contains("#") else {
            throw .invalidValue(variable: variable, value: raw, expected: expected)
        }
        while url.hasSuffix("/") { url.removeLast() }
        if url.hasSuffix("/v1") { url.removeLast(3) }
        return url
    }

    /// The batcher these settings imply.
    var batcher: Batcher { Batcher(api: api, maxCount: maxMeasurementsPerRequest, maxBytes: maxRequestBytes) }

    /// The headers of every request except `Authorization`, in the order they are sent; a request without a body
    /// (`contentLength` nil, a read) has no `Content-Type` and `Content-Length`.
    func commonHeaders(contentLength: Int?) -> [(String, String)] {
        guard let contentLength else { return [("Accept", "application/json"), ("User-Agent", userAgent)] }
        return [
            ("Content-Type", "application/json"),
            ("Accept", "application/json"),
            ("User-Agent", userAgent),
            ("Content-Length", String(contentLength)),
        ]
    }
}
