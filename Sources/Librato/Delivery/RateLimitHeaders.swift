/// One `X-Librato-RateLimit-Agg` / `-Std` header: comma-separated `key=value` pairs in any order, e.g.
/// `limit=600000,remaining=599998,reset=1531370400` (docs/librato-api.md §5). Unknown keys are ignored.
public struct RateLimitHeader: Sendable, Hashable {
    /// Requests allowed in the window.
    public var limit: Int?
    /// Requests left in the window.
    public var remaining: Int?
    /// When the window resets, in epoch seconds (UNCONFIRMED: values below 10⁹ are read as seconds from now).
    public var reset: Int?

    /// Creates a header value.
    public init(limit: Int? = nil, remaining: Int? = nil, reset: Int? = nil) {
        self.limit = limit
        self.remaining = remaining
        self.reset = reset
    }

    /// Parses a header value; nil when it holds none of the three keys.
    public init?(parsing value: String) {
        for pair in value.split(separator: ",") {
            let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).trimmingASCIIWhitespace() }
            guard kv.count == 2, let n = Int(kv[1]) else { continue }
            switch kv[0].lowercased() {
            case "limit": limit = n
            case "remaining": remaining = n
            case "reset": reset = n
            default: continue
            }
        }
        if limit == nil, remaining == nil, reset == nil { return nil }
    }

    /// The header's text form.
    public var headerValue: String {
        [("limit", limit), ("remaining", remaining), ("reset", reset)]
            .compactMap { k, v in v.map { "\(k)=\($0)" } }.joined(separator: ",")
    }

    /// `reset` as absolute epoch seconds.
    func resetTime(now: Double) -> Double? {
        guard let reset else { return nil }
        return reset < 1_000_000_000 ? now + Double(reset) : Double(reset)
    }
}

/// The rate-limit information of one response.
public struct RateLimitState: Sendable, Hashable {
    /// `X-Librato-RateLimit-Agg`.
    public var aggregate: RateLimitHeader?
    /// `X-Librato-RateLimit-Std`.
    public var standard: RateLimitHeader?
    /// `Retry-After` as absolute epoch seconds (delta-seconds or an HTTP date).
    public var retryAfter: Double?

    /// Reads the headers of a response received at `now` (epoch seconds). Header names are case-insensitive.
    public init(headers: [(String, String)], now: Double) {
        for (name, value) in headers {
            switch name.lowercased() {
            case "x-librato-ratelimit-agg": aggregate = RateLimitHeader(parsing: value)
            case "x-librato-ratelimit-std": standard = RateLimitHeader(parsing: value)
            case "retry-after":
                let v = value.trimmingASCIIWhitespace()
                if let seconds = Int(v), seconds >= 0 {
                    retryAfter = now + Double(seconds)
                } else if let date = HTTPDate.epochSeconds(v) {
                    retryAfter = Double(date)
                }
            default: continue
            }
        }
    }

    /// True when a header says no requests are left.
    public var isExhausted: Bool { aggregate?.remaining == 0 || standard?.remaining == 0 }

    /// When sending may resume: `Retry-After` if given, else the latest reset of an exhausted header; nil if
    /// neither says.
    public func resumeTime(now: Double) -> Double? {
        if let retryAfter { return retryAfter }
        let exhausted = [aggregate, standard].compactMap { $0 }.filter { $0.remaining == 0 }
        return exhausted.compactMap { $0.resetTime(now: now) }.max()
    }
}

/// IMF-fixdate parsing (`Sun, 06 Nov 1994 08:49:37 GMT`) for `Retry-After`, without Foundation.
enum HTTPDate {
    static func epochSeconds(_ s: String) -> Int? {
        let parts = s.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]), let year = Int(parts[3]) else { return nil }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let m = months.firstIndex(of: String(parts[2])) else { return nil }
        let hms = parts[4].split(separator: ":").compactMap { Int($0) }
        guard hms.count == 3 else { return nil }
        // days from civil (H. Hinnant)
        let month = m + 1
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return days * 86_400 + hms[0] * 3600 + hms[1] * 60 + hms[2]
    }
}
