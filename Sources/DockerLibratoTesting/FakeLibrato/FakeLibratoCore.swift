import Librato
import Synchronization

/// A request as the channel handler hands it over.
struct FakeRequest {
    var method: String
    var uri: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]
    /// The full body length (``body`` stops growing past the limit).
    var bodySize: Int
}

/// What the channel handler must do.
enum FakeDecision {
    case respond(status: Int, headers: [(String, String)], body: String)
    case drop
    case stall(seconds: Double)
}

/// The fake's state and rules, independent of sockets: the handler hands in a request and performs the decision.
final class FakeLibratoCore: Sendable {
    let configuration: FakeLibratoConfiguration
    let startTime: Double

    struct Waiter {
        var id: Int
        var condition: @Sendable (FakeLibratoSnapshot) -> Bool
        var continuation: CheckedContinuation<FakeLibratoSnapshot, any Error>
    }

    struct State {
        var snapshot = FakeLibratoSnapshot()
        var plan = FaultPlan()
        var nextAnnotationID = 1
        /// The account's spaces and charts (state, not recordings: ``FakeLibrato/resetRecordings()`` keeps them).
        var spaces = FakeSpaces()
        var window = (index: -1, count: 0)
        var nextWaiterID = 0
        var waiters: [Waiter] = []
        var failedWaiters: [Int: any Error] = [:]
    }

    let state = Mutex(State())

    init(configuration: FakeLibratoConfiguration) {
        self.configuration = configuration
        self.startTime = configuration.now()
    }

    /// Processes one request, records it, wakes satisfied waiters, and says what to answer.
    func handle(_ request: FakeRequest) -> FakeDecision {
        let now = configuration.now()
        let (decision, ready) = state.withLock { s in
            let d = process(&s, request, now: now)
            return (d, Self.takeSatisfied(&s))
        }
        for (continuation, snapshot) in ready { continuation.resume(returning: snapshot) }
        return decision
    }

    // MARK: waiters

    func makeWaiterID() -> Int {
        state.withLock { s in
            s.nextWaiterID += 1
            return s.nextWaiterID
        }
    }

    func addWaiter(
        _ id: Int, _ condition: @escaping @Sendable (FakeLibratoSnapshot) -> Bool,
        _ continuation: CheckedContinuation<FakeLibratoSnapshot, any Error>
    ) {
        let immediate: Result<FakeLibratoSnapshot, any Error>? = state.withLock { s in
            if let error = s.failedWaiters.removeValue(forKey: id) { return .failure(error) }
            if condition(s.snapshot) { return .success(s.snapshot) }
            s.waiters.append(Waiter(id: id, condition: condition, continuation: continuation))
            return nil
        }
        if let immediate { continuation.resume(with: immediate) }
    }

    /// Fails waiter `id` (timeout, cancellation); remembered if it is not registered yet.
    func failWaiter(_ id: Int, _ error: any Error) {
        let waiter = state.withLock { s -> Waiter? in
            guard let i = s.waiters.firstIndex(where: { $0.id == id }) else {
                s.failedWaiters[id] = error
                return nil
            }
            return s.waiters.remove(at: i)
        }
        waiter?.continuation.resume(throwing: error)
    }

    func forgetWaiter(_ id: Int) {
        state.withLock { _ = $0.failedWaiters.removeValue(forKey: id) }
    }

    private static func takeSatisfied(_ s: inout State) -> [(CheckedContinuation<FakeLibratoSnapshot, any Error>, FakeLibratoSnapshot)] {
        var ready: [(CheckedContinuation<FakeLibratoSnapshot, any Error>, FakeLibratoSnapshot)] = []
        s.waiters.removeAll { w in
            guard w.condition(s.snapshot) else { return false }
            ready.append((w.continuation, s.snapshot))
            return true
        }
        return ready
    }

    // MARK: processing

    private func process(_ s: inout State, _ r: FakeRequest, now: Double) -> FakeDecision {
        var record = RecordedRequest(
            method: r.method, uri: r.uri, headers: r.headers, body: r.body, status: nil, fault: nil, storedCount: 0,
            receivedAt: now)
        defer {
            if !configuration.recordBodies { record.body = [] }
            s.snapshot.requests.append(record)
        }
        if let fault = s.plan.next(now: now) {
            record.fault = fault
            let exhausted = RateLimitHeader(limit: configuration.rateLimit?.requests ?? 600_000, remaining: 0,
                                            reset: Int((now + configuration.rateLimitResetAfter).rounded(.up)))
            let decision: FakeDecision
            switch fault {
            case .status(let code):
                decision = respond(code, #"{"errors":{"system":["injected fault"]}}"#, rate: rateHeaders(&s, now: now, count: false))
            case .response(let code, let body, let extra):
                decision = respond(code, body, rate: rateHeaders(&s, now: now, count: false) + extra.map { ($0.key, $0.value) })
            case .rateLimited429:
                decision = respond(429, rateLimitBody(now), rate: exhaustedHeaders(exhausted, now: now))
            case .rateLimited403:
                decision = respond(403, rateLimitBody(now), rate: exhaustedHeaders(exhausted, now: now))
            case .tagsNotEnabled403:
                decision = respond(403, Self.tagsNotEnabledBody, rate: rateHeaders(&s, now: now, count: false))
            case .unauthorized401:
                decision = respond(401, Self.unauthorizedBody, rate: rateHeaders(&s, now: now, count: false))
            case .timeout(let seconds):
                return .stall(seconds: seconds)
            case .dropConnection:
                return .drop
            case .processThenDropConnection:
                _ = route(&s, r, now: now, record: &record)
                record.status = nil
                return .drop
            case .passThrough:  // the plan never returns it
                decision = route(&s, r, now: now, record: &record)
            }
            if case .respond(let status, _, _) = decision { record.status = status }
            return decision
        }
        let decision = route(&s, r, now: now, record: &record)
        if case .respond(let status, _, _) = decision { record.status = status }
        return decision
    }

    static let unauthorizedBody = #"{"errors":{"request":["Please provide credentials for authentication."]}}"#
    static let tagsNotEnabledBody =
        #"{"errors":["Tag based measurements are not enabled for this account. Please contact support@librato.com to enable them."]}"#

    private func rateLimitBody(_ now: Double) -> String {
        #"{"request_time":\#(Int(now)),"error":"You have hit the API limit for measurements [measure:raw_rate]. Contact: support@librato.com to adjust this limit."}"#
    }

    private func route(_ s: inout State, _ r: FakeRequest, now: Double, record: inout RecordedRequest) -> FakeDecision {
        let rate = rateWindow(&s, now: now, count: configuration.rateLimitUnit == .requests)
        if rate.limited {
            return respond(429, rateLimitBody(now), rate: exhaustedHeaders(rate.header, now: now))
        }
        let headers = rate.headers
        guard authorized(r) else {
            return respond(401, Self.unauthorizedBody, rate: headers + [("WWW-Authenticate", #"Basic realm="Librato API""#)])
        }
        let path = String(r.uri.prefix { $0 != "?" })
        let annotationPrefix = "/v1/annotations/"
        let isAnnotation = path.hasPrefix(annotationPrefix) && path.count > annotationPrefix.count
            && !path.dropFirst(annotationPrefix.count).contains("/")
        let isSpaces = path == "/v1/spaces" || path.hasPrefix("/v1/spaces/")
        guard path == "/v1/metrics" || path == "/v1/measurements" || isAnnotation || isSpaces else {
            return notFound(path, rate: headers)
        }
        if isSpaces { return routeSpaces(&s, r, path: path, now: now, rate: headers, record: &record) }
        guard r.method == "POST" else { return methodNotAllowed(r.method, rate: headers) }
        if path == "/v1/measurements", !configuration.tagsEnabled {
            return respond(403, Self.tagsNotEnabledBody, rate: headers)
        }
        let json: JSONValue
        switch jsonBody(r, rate: headers) {
        case .failure(let refusal): return refusal.decision
        case .success(let body): json = body
        }
        if isAnnotation {
            let stream = String(path.dropFirst(annotationPrefix.count))
            switch AnnotationValidator.validate(stream: stream, body: json, id: s.nextAnnotationID) {
            case .failure(let errors):
                return respond(400, errors.body(requestTime: Int(now)), rate: headers)
            case .success(let a):
                s.nextAnnotationID += 1
                s.snapshot.annotations.append(a)
                record.storedCount = 1
                return respond(201, AnnotationValidator.createdBody(a), rate: headers + [("Location", "/v1/annotations/\(stream)/\(a.id)")])
            }
        }
        let validator = MeasurementValidator(configuration: configuration, now: now)
        let tagged = path == "/v1/measurements"
        switch tagged ? validator.validateTagged(json) : validator.validateLegacy(json) {
        case .failure(let errors):
            return respond(400, errors.body(requestTime: Int(now)), rate: headers)
        case .success(let measurements):
            if configuration.recordAccepted { s.snapshot.accepted.append(contentsOf: measurements) }
            configuration.onAccepted?(measurements, now)
            record.storedCount = measurements.count
            var after = headers
            if configuration.rateLimitUnit == .measurements {
                s.window.count += measurements.count
                after = rateWindow(&s, now: now, count: false).headers
            }
            return respond(tagged ? configuration.taggedSuccessStatus : 200, "", rate: after)
        }
    }

    func notFound(_ path: String, rate: [(String, String)]) -> FakeDecision {
        respond(404, #"{"errors":{"request":["Not found: \#(path)"]}}"#, rate: rate)
    }

    func methodNotAllowed(_ method: String, rate: [(String, String)]) -> FakeDecision {
        respond(405, #"{"errors":{"request":["Method \#(method) is not supported by this fake"]}}"#, rate: rate)
    }

    /// A refused body, as the decision that says so.
    struct Refusal: Error {
        var decision: FakeDecision
    }

    /// The request's JSON body: 415 unless it is `application/json`, 413 above the body limit, 400 when it does not
    /// parse (`{"errors":{"request":[…]}}`).
    func jsonBody(_ r: FakeRequest, rate headers: [(String, String)]) -> Result<JSONValue, Refusal> {
        let mediaType = (r.headers.first { $0.name.lowercased() == "content-type" }?.value ?? "")
            .split(separator: ";").first.map { String($0).trimmingCharacters(in: " ").lowercased() } ?? ""
        guard mediaType == "application/json" else {
            return .failure(Refusal(decision: respond(415, #"{"errors":{"request":["Content-Type must be application/json"]}}"#, rate: headers)))
        }
        guard r.bodySize <= configuration.maxBodyBytes else {
            return .failure(Refusal(decision: respond(
                413, #"{"errors":{"request":["The body is \#(r.bodySize) bytes, more than the limit of \#(configuration.maxBodyBytes)"]}}"#,
                rate: headers)))
        }
        do {
            return .success(try JSONValue.parse(r.body))
        } catch {
            var w = JSONWriter()
            w.object { w in
                w.key("errors")
                w.object { w in w.key("request"); w.array { w in w.string("Could not parse the JSON body: \(error)") } }
            }
            return .failure(Refusal(decision: respond(400, w.text, rate: headers)))
        }
    }

    private func authorized(_ r: FakeRequest) -> Bool {
        guard let value = r.headers.first(where: { $0.name.lowercased() == "authorization" })?.value else { return false }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic", let decoded = FakeBase64.decode(String(parts[1])),
            let text = String(validating: decoded, as: UTF8.self), let colon = text.firstIndex(of: ":")
        else { return false }
        return text[..<colon] == configuration.email && text[text.index(after: colon)...] == configuration.token
    }

    func respond(_ status: Int, _ body: String, rate: [(String, String)]) -> FakeDecision {
        var headers = rate
        if !body.isEmpty { headers.append(("Content-Type", "application/json")) }
        return .respond(status: status, headers: headers, body: body)
    }

    private func exhaustedHeaders(_ h: RateLimitHeader, now: Double) -> [(String, String)] {
        var out = [("X-Librato-RateLimit-Agg", h.headerValue), ("X-Librato-RateLimit-Std", h.headerValue)]
        if configuration.sendRetryAfter, let reset = h.reset {
            out.append(("Retry-After", String(max(0, Int((Double(reset) - now).rounded(.up))))))
        }
        return out
    }

    /// The rate-limit window: the configured one, or a nominal 600,000 per hour. Every response carries it.
    private func rateWindow(_ s: inout State, now: Double, count: Bool) -> (headers: [(String, String)], header: RateLimitHeader, limited: Bool) {
        let (limit, window) = configuration.rateLimit ?? (600_000, 3600)
        let index = Int(((now - startTime) / window).rounded(.down))
        if index != s.window.index { s.window = (index, 0) }
        if count { s.window.count += 1 }
        let reset = Int((startTime + Double(index + 1) * window).rounded(.up))
        let header = RateLimitHeader(limit: limit, remaining: max(0, limit - s.window.count), reset: reset)
        let headers = [("X-Librato-RateLimit-Agg", header.headerValue), ("X-Librato-RateLimit-Std", header.headerValue)]
        // Requests: this one is the count-th; measurements: the window is spent once the count reached the limit.
        let limited = configuration.rateLimitUnit == .requests ? s.window.count > limit : s.window.count >= limit
        return (headers, header, limited)
    }

    private func rateHeaders(_ s: inout State, now: Double, count: Bool) -> [(String, String)] {
        rateWindow(&s, now: now, count: count).headers
    }
}

extension String {
    fileprivate func trimmingCharacters(in blank: Character) -> String {
        String(drop { $0 == blank }.reversed().drop { $0 == blank }.reversed())
    }
}
