/// What an HTTP response from a measurement or annotation endpoint means for delivery (docs/librato-api.md §5).
enum ResponseClass: Equatable {
    /// 2xx. `pauseUntil` is set when rate-limit headers say no requests are left.
    case accepted(pauseUntil: Double?)
    /// 400, or 413 (payload too large, status UNCONFIRMED): the content is wrong; split or drop.
    case invalid([String])
    /// 429, or a 403 about rate limits: wait until `resumeAt` (nil: the headers do not say).
    case rateLimited(resumeAt: Double?, [String])
    /// 401: wrong or missing credentials.
    case unauthorized([String])
    /// 403 "Tag based measurements are not enabled for this account".
    case tagsNotEnabled([String])
    /// Any other 403 (token role without write access, plain HTTP, …).
    case forbidden([String])
    /// 5xx or 408: try again after a backoff, or later when `Retry-After` says so (503 maintenance).
    case transient(retryAt: Double?, [String])
    /// 1xx, 3xx and other 4xx (404, 405, 415, …): our configuration is wrong (e.g. `LIBRATO_API_URL`).
    case misconfigured([String])

    /// Classifies a response received at `now` (epoch seconds).
    init(status: Int, headers: [(String, String)], body: [UInt8], now: Double) {
        let rate = RateLimitState(headers: headers, now: now)
        if (200..<300).contains(status) {
            self = .accepted(pauseUntil: rate.isExhausted ? rate.resumeTime(now: now) : nil)
            return
        }
        let messages = LibratoErrorBody.messages(from: body)
        switch status {
        case 400, 413: self = .invalid(messages)
        case 429: self = .rateLimited(resumeAt: rate.resumeTime(now: now), messages)
        case 401: self = .unauthorized(messages)
        case 403:
            let text = messages.joined(separator: " ").lowercased()
            if text.contains("tag based measurements are not enabled") {
                self = .tagsNotEnabled(messages)
            } else if rate.isExhausted || Self.isRateLimitBody(body) || text.contains("rate limit") {
                self = .rateLimited(resumeAt: rate.resumeTime(now: now), messages)
            } else {
                self = .forbidden(messages)
            }
        case 408, 500..<600: self = .transient(retryAt: rate.retryAfter, messages)
        default: self = .misconfigured(messages)
        }
    }

    /// The flat rate-limit body: `{"error":"You have hit the API limit for measurements …"}`.
    private static func isRateLimitBody(_ body: [UInt8]) -> Bool {
        guard let json = try? JSONValue.parse(body), let error = json["error"]?.stringValue else { return false }
        return error.lowercased().contains("limit")
    }
}
