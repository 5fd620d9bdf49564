import Testing

@testable import Librato

typealias SM = DeliveryStateMachine

/// Drives a state machine without sockets: every request is answered by `server` at the simulated time, and waits
/// jump the clock. Returns the requests made, in order, with the time each was sent.
@discardableResult
func simulate(
    _ sm: inout SM, start: Double = T0, maxSteps: Int = 10_000,
    server: (SM.Request, Double) -> SM.Outcome
) -> [(request: SM.Request, at: Double)] {
    var now = start
    var sent: [(SM.Request, Double)] = []
    var inFlight: [SM.Request] = []
    for _ in 0..<maxSteps {
        switch sm.nextAction(now: now) {
        case .send(let r):
            sent.append((r, now))
            inFlight.append(r)
        case .wait(let until):
            if inFlight.isEmpty { now = max(now, until) } else { answer() }
        case .awaitResponses:
            answer()
        case .finished:
            return sent
        }
    }
    Issue.record("simulation did not finish")
    return sent

    func answer() {
        let r = inFlight.removeFirst()
        sm.handle(r.id, server(r, now), now: now)
    }
}

let T0 = 1_700_000_000.0

func ok(_ status: Int = 200, headers: [(String, String)] = []) -> SM.Outcome {
    .response(status: status, headers: headers, body: [])
}

func answer(_ status: Int, _ body: String = "", headers: [(String, String)] = []) -> SM.Outcome {
    .response(status: status, headers: headers, body: Array(body.utf8))
}

/// Names of the measurements in a request body.
func names(_ r: SM.Request) -> [String] {
    let v = try? JSONValue.parse(r.body)
    let list = v?["gauges"]?.arrayValue ?? v?["measurements"]?.arrayValue ?? []
    return list.compactMap { $0["name"]?.stringValue }
}

func numbered(_ n: Int, time: Int = Int(T0) - 60) -> [Measurement] {
    (0..<n).map { Measurement(name: "m\($0)", source: "s", time: time, value: .single(Double($0))) }
}

func machine(
    _ ms: [Measurement], api: LibratoAPI = .legacy, batch: Int? = nil, concurrent: Int = 4, policy: RetryPolicy = testPolicy,
    now: Double = T0
) -> SM {
    SM(measurements: ms, api: api, batcher: Batcher(api: api, maxCount: batch), policy: policy, maxConcurrent: concurrent, now: now)
}

/// Seconds, as in production, so the numbers in assertions read naturally.
let testPolicy = RetryPolicy(
    initialBackoff: .seconds(1), maxBackoff: .seconds(60), slowRetryInterval: .seconds(60), maxRateLimitWait: .seconds(300),
    maxAge: .seconds(110 * 60), jitterSeed: 7)

@Suite("Delivery state machine")
struct DeliveryStateMachineTests {
    @Test("2xx: batches of 300 sent up to the concurrency limit, all accepted, then finished")
    func acceptsAll() {
        var sm = machine(numbered(1000))
        var sends: [SM.Request] = []
        while case .send(let r) = sm.nextAction(now: T0) { sends.append(r) }
        #expect(sends.map(\.indices.count) == [300, 300, 300, 100])
        #expect(sm.nextAction(now: T0) == .awaitResponses)
        for (i, r) in sends.enumerated() { sm.handle(r.id, ok(i == 0 ? 200 : 202), now: T0) }
        #expect(sm.nextAction(now: T0) == .finished)
        #expect(sm.report.accepted == 1000)
        #expect(sm.report.requestsByStatus == [200: 1, 202: 3])
        #expect(sm.report.retries == 0)
        #expect(sm.takeEvents().count == 4)
    }

    @Test("no more than maxConcurrent requests in flight")
    func concurrency() {
        var sm = machine(numbered(100), batch: 10, concurrent: 3)
        var sends: [SM.Request] = []
        while case .send(let r) = sm.nextAction(now: T0) { sends.append(r) }
        #expect(sends.count == 3)
        sm.handle(sends[0].id, ok(), now: T0)
        guard case .send = sm.nextAction(now: T0) else { Issue.record("expected a send"); return }
        #expect(sm.nextAction(now: T0) == .awaitResponses)
    }

    @Test("5xx: exponential backoff with jitter in [d/2, d], reset by a success")
    func backoff() throws {
        var sm = machine(numbered(5))
        guard case .send(let r1) = sm.nextAction(now: T0) else { Issue.record("no send"); return }
        sm.handle(r1.id, answer(503, #"{"errors":{"system":["maintenance"]}}"#), now: T0)
        guard case .wait(let w1) = sm.nextAction(now: T0) else { Issue.record("no wait"); return }
        #expect(w1 - T0 >= 0.5 && w1 - T0 <= 1)
        #expect(sm.takeEvents().contains { if case .retrying(_, 503, _, 5) = $0 { true } else { false } })
        #expect(sm.nextAction(now: w1 - 0.01) == .wait(until: w1))

        guard case .send(let r2) = sm.nextAction(now: w1) else { Issue.record("no resend"); return }
        #expect(r2.body == r1.body)
        sm.handle(r2.id, answer(500), now: w1)
        guard case .wait(let w2) = sm.nextAction(now: w1) else { Issue.record("no wait"); return }
        #expect(w2 - w1 >= 1 && w2 - w1 <= 2)

        guard case .send(let r3) = sm.nextAction(now: w2) else { Issue.record("no resend"); return }
        sm.handle(r3.id, ok(), now: w2)
        #expect(sm.nextAction(now: w2) == .finished)
        #expect(sm.report.accepted == 5)
        #expect(sm.report.retries == 2)
        #expect(sm.report.requestsByStatus == [503: 1, 500: 1, 200: 1])
    }

    @Test("a 503 with Retry-After waits that long (capped), not just the backoff")
    func retryAfterOn503() {
        var sm = machine(numbered(1))
        guard case .send(let r) = sm.nextAction(now: T0) else { return }
        sm.handle(r.id, answer(503, "", headers: [("Retry-After", "120")]), now: T0)
        #expect(sm.nextAction(now: T0) == .wait(until: T0 + 120))
        var capped = machine(numbered(1))
        guard case .send(let r2) = capped.nextAction(now: T0) else { return }
        capped.handle(r2.id, answer(503, "", headers: [("Retry-After", "100000")]), now: T0)
        #expect(capped.nextAction(now: T0) == .wait(until: T0 + 300))
    }

    @Test("backoff grows to the cap and stays within [cap/2, cap]")
    func backoffCap() {
        var sm = machine(numbered(1))
        var now = T0
        var delays: [Double] = []
        for _ in 0..<12 {
            guard case .send(let r) = sm.nextAction(now: now) else { Issue.record("no send"); return }
            sm.handle(r.id, answer(502), now: now)
            guard case .wait(let until) = sm.nextAction(now: now) else { Issue.record("no wait"); return }
            delays.append(until - now)
            now = until
        }
        #expect(delays.prefix(3).enumerated().allSatisfy { i, d in d >= Double(1 << i) / 2 && d <= Double(1 << i) })
        #expect(delays.suffix(4).allSatisfy { $0 >= 30 && $0 <= 60 })
        #expect(testPolicy.backoff(failures: 1) == 1)
        #expect(testPolicy.backoff(failures: 7) == 60)
        #expect(testPolicy.backoff(failures: 1000) == 60)
    }

    @Test("parallel failures escalate once, and after a failure one probe at a time until a success")
    func probing() {
        var sm = machine(numbered(60), batch: 10, concurrent: 4)
        var sends: [SM.Request] = []
        while case .send(let r) = sm.nextAction(now: T0) { sends.append(r) }
        #expect(sends.count == 4)
        for r in sends { sm.handle(r.id, .transportFailure(.connection("refused")), now: T0 + 0.1) }
        guard case .wait(let w) = sm.nextAction(now: T0 + 0.1) else { Issue.record("no wait"); return }
        #expect(w - (T0 + 0.1) <= 1)  // one failure's worth of backoff, not four
        guard case .send(let probe) = sm.nextAction(now: w) else { Issue.record("no probe"); return }
        #expect(sm.nextAction(now: w) == .awaitResponses)  // only one in flight
        sm.handle(probe.id, ok(), now: w)
        var resumed = 0
        while case .send = sm.nextAction(now: w) { resumed += 1 }
        #expect(resumed == 4)
        #expect(sm.report.connectionErrors == 4)
    }

    @Test("timeouts and connection errors are retried and counted")
    func transport() {
        var sm = machine(numbered(3))
        var calls = 0
        simulate(&sm) { _, _ in
            calls += 1
            return calls == 1 ? .transportFailure(.timeout) : calls == 2 ? .transportFailure(.connection("reset")) : ok()
        }
        #expect(sm.report.accepted == 3)
        #expect(sm.report.timeouts == 1)
        #expect(sm.report.connectionErrors == 1)
        #expect(sm.report.retries == 2)
        #expect(sm.report.requests == 3)
    }

    @Test("429: pause until the reset of the exhausted header, Retry-After first, capped, backoff without headers")
    func rateLimit429() {
        func pause(_ headers: [(String, String)], status: Int = 429, body: String = "") -> Double? {
            var sm = machine(numbered(2))
            guard case .send(let r) = sm.nextAction(now: T0) else { return nil }
            sm.handle(r.id, answer(status, body, headers: headers), now: T0)
            guard case .wait(let until) = sm.nextAction(now: T0) else { return nil }
            #expect(sm.takeEvents().contains { if case .rateLimited = $0 { true } else { false } })
            return until - T0
        }
        #expect(pause([("X-Librato-RateLimit-Agg", "limit=100,remaining=0,reset=\(Int(T0) + 30)")]) == 30)
        #expect(pause([("Retry-After", "7"), ("X-Librato-RateLimit-Agg", "remaining=0,reset=\(Int(T0) + 30)")]) == 7)
        #expect(pause([("X-Librato-RateLimit-Agg", "remaining=0,reset=\(Int(T0) + 86_400)")]) == 300)
        let fallback = pause([])
        #expect(fallback.map { $0 >= 0.5 && $0 <= 1 } == true)
        #expect(pause([], status: 403, body: #"{"request_time":1,"error":"You have hit the API limit for measurements [measure:raw_rate]."}"#) != nil)
        #expect(pause([("X-Librato-RateLimit-Std", "remaining=0,reset=\(Int(T0) + 12)")], status: 403) == 12)
    }

    @Test("429 re-sends the whole batch (documented choice for partial acceptance), exactly once more")
    func rateLimitResend() {
        var sm = machine(numbered(10))
        var bodies: [[UInt8]] = []
        simulate(&sm) { r, now in
            bodies.append(r.body)
            return bodies.count == 1 ? answer(429, "", headers: [("X-Librato-RateLimit-Agg", "remaining=0,reset=\(Int(now) + 5)")]) : ok()
        }
        #expect(bodies.count == 2)
        #expect(bodies[0] == bodies[1])
        #expect(sm.report.accepted == 10)
        #expect(sm.report.requestsByStatus == [429: 1, 200: 1])
    }

    @Test("2xx with remaining=0 pauses the next request until reset")
    func proactivePause() {
        var sm = machine(numbered(20), batch: 10, concurrent: 1)
        guard case .send(let r) = sm.nextAction(now: T0) else { return }
        sm.handle(r.id, ok(headers: [("X-Librato-RateLimit-Agg", "limit=10,remaining=0,reset=\(Int(T0) + 9)")]), now: T0)
        #expect(sm.nextAction(now: T0) == .wait(until: T0 + 9))
        guard case .send = sm.nextAction(now: T0 + 9) else { Issue.record("no send after reset"); return }
    }

    @Test("400: halves recursively and isolates exactly the invalid measurement")
    func splitIsolates() {
        var sm = machine(numbered(8))
        let sent = simulate(&sm) { r, _ in
            names(r).contains("m5") ? answer(400, #"{"errors":{"params":{"value":["is bad"]}}}"#) : ok()
        }
        #expect(sent.map { names($0.request).count } == [8, 4, 4, 2, 2, 1, 1])
        #expect(sm.report.accepted == 7)
        #expect(sm.report.invalid.map(\.measurement.name) == ["m5"])
        #expect(sm.report.invalid.first?.status == 400)
        #expect(sm.report.invalid.first?.message == "params.value: is bad")
        #expect(sm.report.requestsByStatus == [400: 4, 200: 3])
        #expect(sm.report.retries == 0)
    }

    @Test("400: two invalid measurements in different halves, a 300-batch costs O(log n) requests per bad one")
    func splitTwo() {
        var sm = machine(numbered(300))
        let sent = simulate(&sm) { r, _ in
            let n = names(r)
            return n.contains("m17") || n.contains("m250") ? answer(400) : ok()
        }
        #expect(Set(sm.report.invalid.map(\.measurement.name)) == ["m17", "m250"])
        #expect(sm.report.accepted == 298)
        #expect(sent.count <= 1 + 2 * 2 * 9)
    }

    @Test("413 splits like 400; a single measurement 'too far in the past' counts as too old")
    func tooLargeAndTooOld() {
        var sm = machine(numbered(4))
        simulate(&sm) { r, _ in
            if names(r).count > 1 { return answer(413) }
            return names(r) == ["m2"] ? answer(400, #"{"errors":{"params":{"measure_time":["is too far in the past"]}}}"#) : ok()
        }
        #expect(sm.report.accepted == 3)
        #expect(sm.report.tooOld == 1)
        #expect(sm.report.invalid.isEmpty)
    }

    @Test("401 keeps the data and retries slowly until the credential works")
    func unauthorized() {
        var sm = machine(numbered(3))
        var calls = 0
        let sent = simulate(&sm) { _, _ in
            calls += 1
            return calls <= 3 ? answer(401, #"{"errors":{"request":["Please provide credentials for authentication."]}}"#) : ok()
        }
        #expect(sent.count == 4)
        #expect(sent[1].at - sent[0].at == 60)
        #expect(sent[3].at - sent[2].at == 60)
        #expect(sm.report.accepted == 3)
        #expect(sm.takeEvents().filter { if case .unauthorized = $0 { true } else { false } }.count == 3)
    }

    @Test("403 tags not enabled: clear event, data kept, slow retry")
    func tagsNotEnabled() {
        var sm = machine(numbered(3), api: .tagged)
        var calls = 0
        simulate(&sm) { _, _ in
            calls += 1
            return calls == 1 ? answer(403, #"{"errors":["Tag based measurements are not enabled for this account."]}"#) : ok(202)
        }
        #expect(sm.report.accepted == 3)
        let events = sm.takeEvents()
        #expect(events.contains(.tagsNotEnabled(messages: ["Tag based measurements are not enabled for this account."])))
    }

    @Test("other 403s and 404/415 are configuration errors: slow retry, data kept")
    func misconfigured() {
        for status in [403, 404, 405, 415, 301] {
            var sm = machine(numbered(2))
            var calls = 0
            let sent = simulate(&sm) { _, _ in
                calls += 1
                return calls == 1 ? answer(status) : ok()
            }
            #expect(sent.count == 2)
            #expect(sent[1].at - sent[0].at == 60)
            #expect(sm.report.accepted == 2)
        }
    }

    @Test("measurements older than the max age are dropped before sending, also while retrying")
    func maxAge() {
        let old = Measurement(name: "old", time: Int(T0) - 111 * 60, value: .single(1))
        var sm = machine([old] + numbered(2))
        let first = simulate(&sm) { _, _ in ok() }
        #expect(names(first[0].request) == ["m0", "m1"])
        #expect(sm.report.tooOld == 1)
        #expect(sm.report.accepted == 2)

        // A permanent 401: the data is kept until it is too old, then dropped, so submit always ends.
        var stuck = machine(numbered(2, time: Int(T0)))
        let sent = simulate(&stuck) { _, _ in answer(401) }
        #expect(stuck.report.tooOld == 2)
        #expect(stuck.report.accepted == 0)
        #expect(sent.count == 111)  // one attempt per 60 s for 110 min, then dropped
    }

    @Test("locally invalid measurements are reported without a request")
    func localRejects() {
        var sm = machine([Measurement(name: "nan", time: Int(T0), value: .single(.nan))] + numbered(1))
        let sent = simulate(&sm) { _, _ in ok() }
        #expect(sent.count == 1)
        #expect(sm.report.invalid.count == 1)
        #expect(sm.report.invalid.first?.status == nil)
        var empty = machine([Measurement(name: "nan", time: Int(T0), value: .single(.infinity))])
        #expect(empty.nextAction(now: T0) == .finished)
    }

    @Test("cancel: everything pending or in flight is undelivered, late responses are ignored")
    func cancel() {
        var sm = machine(numbered(50), batch: 10, concurrent: 2)
        guard case .send(let a) = sm.nextAction(now: T0), case .send(let b) = sm.nextAction(now: T0) else { return }
        sm.handle(a.id, ok(), now: T0)
        sm.cancel()
        #expect(sm.nextAction(now: T0) == .finished)
        sm.handle(b.id, ok(), now: T0)
        #expect(sm.report.accepted == 10)
        #expect(sm.report.undelivered.count == 40)
        #expect(sm.report.undelivered.map(\.name) == (10..<50).map { "m\($0)" })
        #expect(!sm.report.isComplete)
    }

    @Test("an outcome for an unknown request changes nothing")
    func unknownID() {
        var sm = machine(numbered(1))
        sm.handle(99, ok(), now: T0)
        #expect(sm.report.accepted == 0)
        guard case .send = sm.nextAction(now: T0) else { Issue.record("no send"); return }
    }

    @Test("the external gate (shared with other submits) holds sending")
    func externalGate() {
        var sm = machine(numbered(1))
        #expect(sm.nextAction(now: T0, externalGate: T0 + 5) == .wait(until: T0 + 5))
        guard case .send = sm.nextAction(now: T0 + 5, externalGate: T0 + 5) else { Issue.record("no send"); return }
    }

    @Test("every measurement ends exactly once in accepted, invalid, tooOld or undelivered", arguments: 0..<20)
    func accountingInvariant(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var ms = numbered(500, time: Int(T0) - 100 * 60)
        ms.append(Measurement(name: "bad", time: Int(T0), value: .single(.nan)))
        var sm = machine(ms, batch: 37, concurrent: 3)
        let statuses = [200, 202, 400, 401, 403, 404, 413, 429, 500, 503]
        simulate(&sm, maxSteps: 100_000) { r, _ in
            if Int.random(in: 0..<3, using: &rng) == 0 { return .transportFailure(.timeout) }
            let s = statuses[Int.random(in: 0..<statuses.count, using: &rng)]
            return answer(s == 400 && names(r).count == 1 && Bool.random(using: &rng) ? 200 : s)
        }
        let r = sm.report
        #expect(r.submitted == 501)
        #expect(r.accepted + r.invalid.count + r.tooOld + r.undelivered.count == r.submitted)
        #expect(r.undelivered.isEmpty)
    }
}
