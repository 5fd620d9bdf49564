import NIOCore
import Timekeeping

/// The delivery policy for one ``MetricsSink/submit(_:)``, as an I/O-free state machine: the driver asks for the
/// next action, performs the request it is told to, and feeds back the outcome with the current time. Tests drive it
/// without sockets or sleeps.
///
/// Rules (docs/librato-api.md §5):
/// - 2xx: accepted. Rate-limit headers with `remaining=0` pause sending until `reset`.
/// - 5xx, 408, timeouts, connection errors: exponential backoff with jitter, in [d/2, d] for d = initial × 2^(n−1)
///   capped at the maximum, n = consecutive failures (or later, when a 5xx carries `Retry-After`). Only requests sent after the previous failure escalate n,
///   so four parallel failures count once. After any failure one request is in flight at a time until a success.
/// - 429 and rate-limit 403s: pause until `Retry-After` or the `reset` of an exhausted `X-Librato-RateLimit-*`
///   header (capped), or back off when neither says. The whole batch is re-sent: a 429 may mean partial
///   acceptance, and with explicit period-aligned times a replay lands on the same points (our documented choice).
/// - 400 and 413: split the batch in halves, recursively; a single measurement still rejected is invalid, counted
///   with Librato's message (or too old, when the message says "too far in the past").
/// - 401, other 403s, other 4xx/3xx: keep the data, retry every ``RetryPolicy/slowRetryInterval``.
/// - Before every attempt, measurements older than ``RetryPolicy/maxAge`` are dropped as too old, so a submit
///   always ends: at the latest when all its data is too old.
struct DeliveryStateMachine {
    /// A request to perform.
    struct Request: Equatable {
        let id: Int
        /// Indices of the measurements in it, counting only those the sanitiser kept (in the order handed in).
        let indices: [Int]
        /// The exact JSON body.
        let body: [UInt8]
    }

    enum Action: Equatable {
        /// Perform this request, then call ``nextAction(now:externalGate:)`` again.
        case send(Request)
        /// Nothing may be sent before this time; in-flight responses may still arrive.
        case wait(until: Double)
        /// Nothing to do until a response arrives.
        case awaitResponses
        /// Every measurement is accounted for (or the submit was cancelled); see ``report``.
        case finished
    }

    enum TransportFailure: Equatable {
        case timeout
        case connection(String)
    }

    enum Outcome {
        case response(status: Int, headers: [(String, String)], body: [UInt8])
        case transportFailure(TransportFailure)
    }

    /// What happened, for the driver to log.
    enum Event: Equatable {
        case accepted(count: Int, status: Int)
        case retrying(reason: String, status: Int?, delay: Double, count: Int)
        case rateLimited(status: Int, resumeAt: Double, messages: [String])
        case unauthorized(messages: [String])
        case tagsNotEnabled(messages: [String])
        case forbidden(messages: [String])
        case misconfigured(status: Int, messages: [String])
        case split(count: Int, status: Int, messages: [String])
        case invalid(InvalidMeasurement)
        case tooOld(count: Int, oldestTime: Int)
    }

    private struct Batch {
        var indices: [Int]
        var attempts = 0
    }

    let api: LibratoAPI
    let policy: RetryPolicy
    let maxConcurrent: Int
    /// The measurements as handed in (not copied: reports of invalid and undelivered ones carry these, and the
    /// maximum-age rule reads their times), and for each one sent, its index there.
    private let input: [Measurement]
    private var origin: [Int32] = []
    /// Every measurement's JSON element (sanitised), one after the other in one buffer, and where each is.
    private var encoded: [UInt8] = []
    private var entries: [Range<Int>] = []
    private var pending = CircularBuffer<Batch>()
    private var inFlight: [Int: (batch: Batch, sentAt: Double)] = [:]
    private var nextID = 0
    /// Nothing is sent before this time (epoch seconds).
    private(set) var gate = -Double.infinity
    private var failures = 0
    private var lastFailureAt = -Double.infinity
    private var probing = false
    private var cancelled = false
    private var rng: SplitMix64
    private(set) var report = SubmitReport()
    private var events: [Event] = []

    /// Sanitises, encodes and batches `input` at time `now` (epoch seconds).
    init(
        measurements input: [Measurement], api: LibratoAPI, batcher: Batcher, policy: RetryPolicy, maxConcurrent: Int,
        now: Double
    ) {
        self.api = api
        self.policy = policy
        self.maxConcurrent = max(1, maxConcurrent)
        self.rng = SplitMix64(seed: policy.jitterSeed ?? UInt64.random(in: .min ... .max))
        self.input = input
        report.submitted = input.count
        origin.reserveCapacity(input.count)
        entries.reserveCapacity(input.count)
        encoded.reserveCapacity(input.count * 160)
        var check = Sanitiser.CleanCheck()
        for (index, m) in input.enumerated() {
            if check.isClean(m, for: api) {
                // Nothing to clean (the usual case): encoded as it is, without copying it.
                keep(m, at: index)
                continue
            }
            switch Sanitiser.measurement(m, for: api) {
            case .rejected(let reason):
                let invalid = InvalidMeasurement(measurement: m, status: nil, message: reason)
                report.invalid.append(invalid)
                events.append(.invalid(invalid))
            case .valid(let clean, let notes):
                if notes.renamed { report.renamed += 1 }
                report.droppedFields += notes.droppedFields
                report.droppedTags += notes.droppedTags
                keep(clean, at: index)
            }
        }
        for range in batcher.batches(sizes: entries.map { $0.count }) {
            pending.append(Batch(indices: Array(range)))
        }
    }

    /// Encodes a sanitised measurement, input `index`, as the next entry.
    private mutating func keep(_ m: Measurement, at index: Int) {
        origin.append(Int32(index))
        let start = encoded.count
        PayloadEncoder.appendEntry(m, for: api, to: &encoded)
        entries.append(start..<encoded.count)
    }

    /// Events since the last call, oldest first.
    mutating func takeEvents() -> [Event] {
        defer { events.removeAll() }
        return events
    }

    var isFinished: Bool { cancelled || (pending.isEmpty && inFlight.isEmpty) }

    /// What to do at `now`. `externalGate` is a pause shared with other submits of the same client (rate limits
    /// and outages are account-wide).
    mutating func nextAction(now: Double, externalGate: Double = -.infinity) -> Action {
        while true {
            if isFinished { return .finished }
            let limit = probing ? 1 : maxConcurrent
            guard inFlight.count < limit, !pending.isEmpty else { return .awaitResponses }
            let openAt = max(gate, externalGate)
            guard now >= openAt else { return .wait(until: openAt) }
            var batch = pending.removeFirst()
            dropTooOld(&batch, now: now)
            if batch.indices.isEmpty { continue }
            batch.attempts += 1
            if batch.attempts > 1 { report.retries += 1 }
            let id = nextID
            nextID += 1
            inFlight[id] = (batch, now)
            let encoded = self.encoded
            let entries = self.entries
            let body = PayloadEncoder.body(entries: batch.indices.lazy.map { encoded[entries[$0]] }, for: api)
            return .send(Request(id: id, indices: batch.indices, body: body))
        }
    }

    /// Feeds back the outcome of request `id` at `now`. Outcomes of unknown (or cancelled) requests are ignored.
    mutating func handle(_ id: Int, _ outcome: Outcome, now: Double) {
        guard !cancelled, let (batch, sentAt) = inFlight.removeValue(forKey: id) else { return }
        switch outcome {
        case .transportFailure(let failure):
            let reason: String
            switch failure {
            case .timeout:
                report.timeouts += 1
                reason = "timeout"
            case .connection(let what):
                report.connectionErrors += 1
                reason = what
            }
            backOff(batch, sentAt: sentAt, now: now, reason: reason, status: nil)
        case .response(let status, let headers, let body):
            report.requestsByStatus[status, default: 0] += 1
            respond(batch, status: status, class: ResponseClass(status: status, headers: headers, body: body, now: now),
                    sentAt: sentAt, now: now)
        }
    }

    private mutating func respond(_ batch: Batch, status: Int, class response: ResponseClass, sentAt: Double, now: Double) {
        switch response {
        case .accepted(let pauseUntil):
            healthy()
            report.accepted += batch.indices.count
            events.append(.accepted(count: batch.indices.count, status: status))
            if let pauseUntil { gate = max(gate, min(pauseUntil, now + policy.maxRateLimitWait.seconds)) }
        case .invalid(let messages):
            healthy()
            reject(batch, status: status, messages: messages)
        case .rateLimited(let resumeAt, let messages):
            if sentAt >= lastFailureAt { failures += 1 }
            lastFailureAt = now
            probing = true
            let fallback = now + jittered(policy.backoff(failures: failures))
            let resume = min(max(resumeAt ?? fallback, now), now + policy.maxRateLimitWait.seconds)
            gate = max(gate, resume)
            pending.prepend(batch)
            events.append(.rateLimited(status: status, resumeAt: resume, messages: messages))
        case .unauthorized(let messages):
            slowRetry(batch, now: now, event: .unauthorized(messages: messages))
        case .tagsNotEnabled(let messages):
            slowRetry(batch, now: now, event: .tagsNotEnabled(messages: messages))
        case .forbidden(let messages):
            slowRetry(batch, now: now, event: .forbidden(messages: messages))
        case .misconfigured(let messages):
            slowRetry(batch, now: now, event: .misconfigured(status: status, messages: messages))
        case .transient(let retryAt, let messages):
            backOff(batch, sentAt: sentAt, now: now, reason: messages.first ?? "HTTP \(status)", status: status, retryAt: retryAt)
        }
    }

    /// Stops: everything not yet accepted or rejected is reported as undelivered, in the input's order.
    mutating func cancel() {
        guard !cancelled else { return }
        cancelled = true
        let open = (pending.flatMap(\.indices) + inFlight.values.flatMap(\.batch.indices)).sorted()
        report.undelivered = open.map(measurement(at:))
        pending.removeAll()
        inFlight.removeAll()
    }

    // MARK: rules

    /// The measurement behind entry `index`, as it was handed in.
    private func measurement(at index: Int) -> Measurement { input[Int(origin[index])] }

    private mutating func healthy() {
        failures = 0
        probing = false
    }

    private mutating func backOff(_ batch: Batch, sentAt: Double, now: Double, reason: String, status: Int?, retryAt: Double? = nil) {
        if sentAt >= lastFailureAt { failures += 1 }
        lastFailureAt = now
        probing = true
        var delay = jittered(policy.backoff(failures: failures))
        if let retryAt { delay = max(delay, min(retryAt - now, policy.maxRateLimitWait.seconds)) }
        gate = max(gate, now + delay)
        pending.prepend(batch)
        events.append(.retrying(reason: reason, status: status, delay: delay, count: batch.indices.count))
    }

    private mutating func slowRetry(_ batch: Batch, now: Double, event: Event) {
        probing = true
        gate = max(gate, now + policy.slowRetryInterval.seconds)
        pending.prepend(batch)
        events.append(event)
    }

    private mutating func reject(_ batch: Batch, status: Int, messages: [String]) {
        if batch.indices.count > 1 {
            let mid = batch.indices.count / 2
            // Halves are new requests, not retries: the server answered, it just did not like the content.
            pending.prepend(Batch(indices: Array(batch.indices[mid...])))
            pending.prepend(Batch(indices: Array(batch.indices[..<mid])))
            events.append(.split(count: batch.indices.count, status: status, messages: messages))
            return
        }
        let index = batch.indices[0]
        if messages.contains(where: { $0.contains("too far in the past") }) {
            report.tooOld += 1
            events.append(.tooOld(count: 1, oldestTime: measurement(at: index).time))
        } else {
            let invalid = InvalidMeasurement(measurement: measurement(at: index), status: status, message: messages.joined(separator: "; "))
            report.invalid.append(invalid)
            events.append(.invalid(invalid))
        }
    }

    private mutating func dropTooOld(_ batch: inout Batch, now: Double) {
        let oldest = now - policy.maxAge.seconds
        let kept = batch.indices.filter { Double(measurement(at: $0).time) >= oldest }
        guard kept.count < batch.indices.count else { return }
        let dropped = batch.indices.count - kept.count
        let oldestTime = batch.indices.map { measurement(at: $0).time }.min() ?? 0
        report.tooOld += dropped
        events.append(.tooOld(count: dropped, oldestTime: oldestTime))
        batch.indices = kept
    }

    /// A delay in [d/2, d].
    private mutating func jittered(_ d: Double) -> Double {
        d / 2 + Double.random(in: 0...1, using: &rng) * d / 2
    }
}
