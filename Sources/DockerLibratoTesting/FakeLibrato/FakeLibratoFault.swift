/// A fault the fake injects instead of (or around) its normal answer. Faults are applied before authentication and
/// validation, like a load balancer or an overloaded backend would; a faulted request stores nothing unless the
/// fault says otherwise.
public enum FakeLibratoFault: Sendable, Hashable {
    /// Answer with this status and `{"errors":{"system":["injected fault"]}}`.
    case status(Int)
    /// Answer with exactly this status, body and extra headers.
    case response(status: Int, body: String, headers: [String: String])
    /// 429 with the flat rate-limit body (`{"request_time":…,"error":"You have hit the API limit …"}`) and
    /// rate-limit headers showing `remaining=0` and a `reset` ``FakeLibratoConfiguration/rateLimitResetAfter`` ahead.
    case rateLimited429
    /// The same as a 403 (docs/librato-api.md §5 documents both codes for rate limits).
    case rateLimited403
    /// 403 `{"errors":["Tag based measurements are not enabled for this account. …"]}`.
    case tagsNotEnabled403
    /// 401 with the documented credentials body, whatever the request's credential.
    case unauthorized401
    /// Read the request, never answer, close the connection after `seconds` (the client times out first).
    case timeout(seconds: Double)
    /// Close the connection right after reading the request, without an answer.
    case dropConnection
    /// Process the request normally (store what it accepts) but close the connection instead of answering: the
    /// client cannot know it was stored, so a retry duplicates it. Use it to test duplicate handling.
    case processThenDropConnection
    /// No fault: the request is answered normally. A placeholder in the plan, to aim the faults after it at later
    /// requests of a conversation (e.g. the third request of a space update).
    case passThrough
}

/// How the fake chooses faults: a FIFO plan consumed one per request, then a "fail everything until" window.
struct FaultPlan {
    var queue: [FakeLibratoFault] = []
    var failAll: (fault: FakeLibratoFault, until: Double)?

    /// The fault for a request arriving at `now`, consuming it from the plan (nil for none, or a `passThrough`).
    mutating func next(now: Double) -> FakeLibratoFault? {
        if let f = failAll {
            if now < f.until { return f.fault == .passThrough ? nil : f.fault }
            failAll = nil
        }
        let next = queue.isEmpty ? nil : queue.removeFirst()
        return next == .passThrough ? nil : next
    }
}
