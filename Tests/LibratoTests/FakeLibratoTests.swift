import AsyncHTTPClient
import DockerLibratoTesting
import NIOCore
import NIOHTTP1
import Testing
import Timekeeping

@testable import Librato

/// A raw HTTP exchange with the fake, bypassing the client, to check the fake's rules.
struct RawResponse {
    var status: Int
    var headers: HTTPHeaders
    var body: String
    var json: JSONValue? { try? JSONValue.parse(body) }
}

func raw(
    _ fake: FakeLibrato, _ path: String, _ body: String, method: HTTPMethod = .POST,
    contentType: String? = "application/json", credentials: (String, String)? = nil, timeout: TimeAmount = .seconds(60)
) async throws -> RawResponse {
    // A guard against a hang, not a measure: the fake answers on loopback in milliseconds, but in the suite's first
    // seconds hundreds of tests start at once on two cores, and CI once saw 17 requests pass 5 s.

    var request = HTTPClientRequest(url: fake.baseURL + path)
    request.method = method
    let (email, token) = credentials ?? (fake.configuration.email, fake.configuration.token)
    request.headers.add(name: "Authorization", value: LibratoCredentials(email: email, token: token).authorizationHeader)
    if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
    request.body = .bytes(ByteBuffer(string: body))
    let response = try await HTTPClient.shared.execute(request, timeout: timeout)
    let bytes = try await response.body.collect(upTo: 1 << 20)
    return RawResponse(status: Int(response.status.code), headers: response.headers, body: String(buffer: bytes))
}

@Suite("Fake Librato enforces docs/librato-api.md")
struct FakeLibratoTests {
    let now = alignedNow()

    @Test("Basic auth: 401 with the documented body; every response carries rate-limit headers")
    func auth() async throws {
        try await withFake { fake async throws in
            let r = try await raw(fake, "/v1/metrics", "{}", credentials: (fake.configuration.email, "wrong"))
            #expect(r.status == 401)
            #expect(r.body == #"{"errors":{"request":["Please provide credentials for authentication."]}}"#)
            for name in ["X-Librato-RateLimit-Agg", "X-Librato-RateLimit-Std"] {
                let h = try #require(r.headers.first(name: name).flatMap(RateLimitHeader.init(parsing:)))
                #expect(h.limit != nil && h.remaining != nil && h.reset != nil)
            }
            #expect(fake.snapshot.requests.first?.status == 401)
        }
    }

    @Test("415 for non-JSON, 413 above the body limit, 400 for unparseable JSON, 404/405 elsewhere")
    func transportRules() async throws {
        var config = FakeLibratoConfiguration()
        config.maxBodyBytes = 200
        try await withFake(config) { fake async throws in
            #expect(try await raw(fake, "/v1/metrics", "gauges[0][name]=x", contentType: "application/x-www-form-urlencoded").status == 415)
            #expect(try await raw(fake, "/v1/measurements", "{}", contentType: nil).status == 415)
            #expect(try await raw(fake, "/v1/metrics", String(repeating: " ", count: 201)).status == 413)
            let bad = try await raw(fake, "/v1/metrics", "{\"gauges\":[")
            #expect(bad.status == 400)
            #expect(bad.json?["errors"]?["request"] != nil)
            #expect(try await raw(fake, "/v1/nothing", "{}").status == 404)
            #expect(try await raw(fake, "/v1/metrics", "", method: .GET).status == 405)
            let ok = try await raw(fake, "/v1/metrics", #"{"gauges":[{"name":"a","value":1}]}"#, contentType: "application/json; charset=utf-8")
            #expect(ok.status == 200)
        }
    }

    @Test("legacy: array and hash shapes, top-level defaults, counters; stored as posted")
    func legacyShapes() async throws {
        try await withFake { fake async throws in
            let body = #"{"source":"app-1","measure_time":\#(now),"gauges":[{"name":"req.latency","count":4,"sum":82.0,"min":11.0,"max":40.5,"sum_squares":2226.5},{"name":"cpu","value":88.4,"source":"db-2","measure_time":\#(now - 60)}],"counters":[{"name":"jobs.done","value":10342}]}"#
            #expect(try await raw(fake, "/v1/metrics", body).status == 200)
            let hash = #"{"gauges":{"login-delay":{"value":3.5,"source":"foo.bar.com","measure_time":\#(now)},"0":{"name":"login-delay","value":2.6,"source":"foo2.bar.com","measure_time":\#(now)}}}"#
            #expect(try await raw(fake, "/v1/metrics", hash).status == 200)
            let a = fake.snapshot.accepted
            #expect(a.count == 5)
            #expect(a[0] == AcceptedMeasurement(kind: .gauge, name: "req.latency", source: "app-1", tags: [:], time: now,
                                               count: 4, sum: 82, min: 11, max: 40.5, sumSquares: 2226.5))
            #expect(a[1].source == "db-2" && a[1].time == now - 60 && a[1].value == 88.4)
            #expect(a[2].kind == .counter && a[2].value == 10342 && a[2].source == "app-1")
            #expect(a[3].name == "login-delay" && a[3].source == "foo.bar.com")
            #expect(a[4].name == "login-delay" && a[4].source == "foo2.bar.com")
        }
    }

    @Test("legacy 400s name the offending params and store nothing", arguments: [
        (#"{"gauges":[{"name":"my app","value":1}]}"#, "name"),
        (#"{"gauges":[{"name":"x","value":1,"source":"all"}]}"#, "source"),
        (#"{"gauges":[{"name":"x","value":1,"source":"a/b"}]}"#, "source"),
        (#"{"gauges":[{"name":"x","value":1,"count":1,"sum":1}]}"#, "value"),
        (#"{"gauges":[{"name":"x","count":2}]}"#, "sum"),
        (#"{"gauges":[{"name":"x"}]}"#, "value"),
        (#"{"gauges":[{"name":"x","value":"1"}]}"#, "value"),
        (#"{"gauges":[{"name":"x","value":1e127}]}"#, "value"),
        (#"{"gauges":[{"name":"x","count":2,"sum":1,"last":1}]}"#, "last"),
        (#"{"gauges":[{"name":"x","count":2,"sum":1,"stddev":1}]}"#, "stddev"),
        (#"{"gauges":[{"name":"x","value":1,"measure_time":1.5}]}"#, "measure_time"),
        (#"{"gauges":[{"name":"x","value":1,"min":1}]}"#, "min"),
        (#"{"counters":[{"name":"x","count":2,"sum":1}]}"#, "count"),
        (#"{"gauges":[]}"#, "gauges"),
        (#"{"gauges":[{"value":1}]}"#, "name"),
        (#"{"gauges":[{"name":"x","value":1}],"tags":{"a":"b"}}"#, "tags"),
    ])
    func legacyRejects(body: String, param: String) async throws {
        try await withFake { fake async throws in
            let r = try await raw(fake, "/v1/metrics", body)
            #expect(r.status == 400)
            #expect(r.json?["errors"]?["params"]?[param] != nil, "\(r.body)")
            #expect(r.json?["request_time"]?.intValue != nil)
            #expect(fake.snapshot.accepted.isEmpty)
        }
    }

    @Test("measure_time window: the documented too-far-in-the-past body")
    func timeWindow() async throws {
        // Not the suite's minute-aligned `now`: up to 59 s behind, it left 119 minutes ago less than a minute from the
        // 120-minute limit, and a slow run crossed it.
        let now = Int(WallClock.system.now().wholeSeconds)
        try await withFake { fake async throws in
            let old = try await raw(fake, "/v1/metrics", #"{"gauges":[{"name":"x","value":1,"measure_time":\#(now - 121 * 60)}]}"#)
            #expect(old.status == 400)
            let errors = try #require(old.json?["errors"])
            #expect(errors.jsonText == #"{"params":{"measure_time":["is too far in the past"]}}"#)
            let future = try await raw(fake, "/v1/metrics", #"{"gauges":[{"name":"x","value":1,"measure_time":\#(now + 3600)}]}"#)
            #expect(future.json?["errors"]?["params"]?["measure_time"] == .array([.string("is too far in the future")]))
            #expect(try await raw(fake, "/v1/metrics", #"{"gauges":[{"name":"x","value":1,"measure_time":\#(now - 119 * 60)}]}"#).status == 200)
        }
    }

    @Test("the time window follows the injected clock")
    func injectedClock() async throws {
        var config = FakeLibratoConfiguration()
        config.now = { 1_000_000_000 }
        try await withFake(config) { fake async throws in
            #expect(try await raw(fake, "/v1/metrics", #"{"gauges":[{"name":"x","value":1,"measure_time":1000000000}]}"#).status == 200)
            #expect(try await raw(fake, "/v1/metrics", #"{"gauges":[{"name":"x","value":1,"measure_time":1000000301}]}"#).status == 400)
            #expect(try await raw(fake, "/v1/metrics", #"{"gauges":[{"name":"x","value":1}]}"#).status == 200)
            #expect(fake.snapshot.accepted.map(\.time) == [1_000_000_000, 1_000_000_000])
        }
    }

    @Test("at most 300 legacy / 1000 tagged measurements per request (the fake's strict reading)")
    func countLimits() async throws {
        try await withFake { fake async throws in
            let entry = #"{"name":"x","value":1}"#
            let legacy = #"{"gauges":[\#(Array(repeating: entry, count: 301).joined(separator: ","))]}"#
            #expect(try await raw(fake, "/v1/metrics", legacy).status == 400)
            let tagged = #"{"tags":{"a":"b"},"measurements":[\#(Array(repeating: entry, count: 1001).joined(separator: ","))]}"#
            #expect(try await raw(fake, "/v1/measurements", tagged).status == 400)
        }
    }

    @Test("tagged: per-measurement tags replace the top-level set; 202 by default")
    func taggedReplace() async throws {
        try await withFake { fake async throws in
            let body = #"{"tags":{"region":"us-east-1","host":"web-3"},"time":\#(now),"period":60,"measurements":[{"name":"cpu","value":4.5},{"name":"req.latency","count":3,"sum":16.5,"min":4.5,"max":6.7,"last":5.3,"stddev":0.909},{"name":"memory","value":34.5,"tags":{"db":"db-prod-1"}}]}"#
            #expect(try await raw(fake, "/v1/measurements", body).status == 202)
            let a = fake.snapshot.accepted
            #expect(a.map(\.tags) == [["region": "us-east-1", "host": "web-3"], ["region": "us-east-1", "host": "web-3"], ["db": "db-prod-1"]])
            #expect(a[1].stddev == 0.909 && a[1].last == 5.3 && a[1].period == 60 && a[1].kind == .tagged)
        }
    }

    @Test("tagged 400s", arguments: [
        (#"{"measurements":[{"name":"x","value":1}]}"#, "tags"),
        (#"{"measurements":[]}"#, "measurements"),
        (#"{"tags":{"a":"b"}}"#, "measurements"),
        (#"{"tags":{"a b":"x"},"measurements":[{"name":"x","value":1}]}"#, "tags"),
        (#"{"tags":{"a":"ü"},"measurements":[{"name":"x","value":1}]}"#, "tags"),
        (#"{"tags":{"a":""},"measurements":[{"name":"x","value":1}]}"#, "tags"),
        (#"{"tags":{"a":1},"measurements":[{"name":"x","value":1}]}"#, "tags"),
        (#"{"tags":{},"measurements":[{"name":"x","value":1}]}"#, "tags"),
        (#"{"tags":{"a":"b"},"measurements":[{"name":"x","count":2,"sum":3,"sum_squares":5}]}"#, "sum_squares"),
        (#"{"tags":{"a":"b"},"measurements":[{"name":"x","count":2,"sum":3,"stddev_m2":5}]}"#, "stddev_m2"),
        (#"{"tags":{"a":"b"},"measurements":[{"name":"x","value":1,"source":"s"}]}"#, "source"),
        (#"{"tags":{"a":"b"},"measurements":[{"name":"x","value":1,"time":1}]}"#, "time"),
    ])
    func taggedRejects(body: String, param: String) async throws {
        try await withFake { fake async throws in
            let r = try await raw(fake, "/v1/measurements", body)
            #expect(r.status == 400)
            #expect(r.json?["errors"]?["params"]?[param] != nil, "\(r.body)")
        }
    }

    @Test("tag rules: 50 tags allowed, 51 rejected; space, / \\ ? allowed in values")
    func tagLimits() async throws {
        try await withFake { fake async throws in
            func tags(_ n: Int) -> String { (0..<n).map { #""t\#($0)":"a b/c\\d?e""# }.joined(separator: ",") }
            #expect(try await raw(fake, "/v1/measurements", #"{"tags":{\#(tags(50))},"measurements":[{"name":"x","value":1}]}"#).status == 202)
            #expect(try await raw(fake, "/v1/measurements", #"{"tags":{\#(tags(51))},"measurements":[{"name":"x","value":1}]}"#).status == 400)
        }
    }

    @Test("tags not enabled: the documented 403 body")
    func tagsDisabled() async throws {
        var config = FakeLibratoConfiguration()
        config.tagsEnabled = false
        try await withFake(config) { fake async throws in
            let r = try await raw(fake, "/v1/measurements", #"{"tags":{"a":"b"},"measurements":[{"name":"x","value":1}]}"#)
            #expect(r.status == 403)
            #expect(r.body.contains("Tag based measurements are not enabled"))
        }
    }

    @Test("annotations: 201 with Location and body; title required; start before end; unique rel")
    func annotations() async throws {
        try await withFake { fake async throws in
            let r = try await raw(fake, "/v1/annotations/deploys", #"{"title":"v1 released","start_time":100,"end_time":200,"links":[{"rel":"github","href":"http://x"}]}"#)
            #expect(r.status == 201)
            #expect(r.headers.first(name: "Location") == "/v1/annotations/deploys/1")
            #expect(r.json?["title"] == .string("v1 released"))
            #expect(fake.snapshot.annotations.first?.links == [Annotation.Link(rel: "github", href: "http://x")])
            let equal = try await raw(fake, "/v1/annotations/deploys", #"{"title":"t","start_time":100,"end_time":100}"#)
            #expect(equal.status == 400)
            #expect(equal.json?["errors"]?.jsonText == #"{"params":{"start_time":["must be before end_time"]}}"#)
            #expect(try await raw(fake, "/v1/annotations/deploys", #"{"description":"no title"}"#).status == 400)
            #expect(try await raw(fake, "/v1/annotations/deploys", #"{"title":"t","links":[{"rel":"a","href":"x"},{"rel":"a","href":"y"}]}"#).status == 400)
            #expect(try await raw(fake, "/v1/annotations/bad%20name", #"{"title":"t"}"#).status == 400)
        }
    }

    @Test("rate limit: N requests per window, then 429 with the flat body and remaining=0")
    func rateLimit() async throws {
        var config = FakeLibratoConfiguration()
        config.rateLimit = (requests: 2, window: 3600)
        try await withFake(config) { fake async throws in
            let body = #"{"gauges":[{"name":"x","value":1}]}"#
            let first = try await raw(fake, "/v1/metrics", body)
            #expect(first.headers.first(name: "X-Librato-RateLimit-Agg").flatMap(RateLimitHeader.init(parsing:))?.remaining == 1)
            #expect(try await raw(fake, "/v1/metrics", body).status == 200)
            let limited = try await raw(fake, "/v1/metrics", body)
            #expect(limited.status == 429)
            #expect(limited.json?["error"]?.stringValue?.hasPrefix("You have hit the API limit for measurements") == true)
            #expect(limited.json?["request_time"]?.intValue != nil)
            #expect(limited.headers.first(name: "X-Librato-RateLimit-Agg").flatMap(RateLimitHeader.init(parsing:))?.remaining == 0)
            #expect(fake.snapshot.accepted.count == 2)
        }
    }

    @Test("fault plan: consumed one per request, before auth and validation; nothing stored by faults")
    func faults() async throws {
        try await withFake { fake async throws in
            fake.inject([.status(500), .rateLimited429, .tagsNotEnabled403, .unauthorized401, .dropConnection, .timeout(seconds: 0.2)])
            let body = #"{"gauges":[{"name":"x","value":1}]}"#
            #expect(try await raw(fake, "/v1/metrics", body).status == 500)
            let limited = try await raw(fake, "/v1/metrics", body)
            #expect(limited.status == 429 && limited.json?["error"] != nil)
            #expect(try await raw(fake, "/v1/metrics", body).status == 403)
            #expect(try await raw(fake, "/v1/metrics", body).status == 401)
            await #expect(throws: (any Error).self) { try await raw(fake, "/v1/metrics", body) }
            await #expect(throws: (any Error).self) { try await raw(fake, "/v1/metrics", body, timeout: .seconds(2)) }
            #expect(try await raw(fake, "/v1/metrics", body).status == 200)
            let s = fake.snapshot
            #expect(s.requests.map(\.status) == [500, 429, 403, 401, nil, nil, 200])
            #expect(s.requests[4].fault == .dropConnection)
            #expect(s.accepted.count == 1)
            #expect(fake.plannedFaults.isEmpty)
        }
    }

    @Test("failAll answers every request with the fault for a while")
    func failAll() async throws {
        try await withFake { fake async throws in
            fake.failAll(with: .status(503), for: .seconds(3600))
            for _ in 0..<3 { #expect(try await raw(fake, "/v1/metrics", #"{"gauges":[{"name":"x","value":1}]}"#).status == 503) }
            fake.clearFaults()
            #expect(try await raw(fake, "/v1/metrics", #"{"gauges":[{"name":"x","value":1}]}"#).status == 200)
        }
    }

    @Test("duplicates: every accepted measurement is a new point, and the query finds a period posted twice")
    func duplicates() async throws {
        try await withFake { fake async throws in
            let body = #"{"gauges":[{"name":"CPU","source":"Web-1","value":1,"measure_time":\#(now)}]}"#
            fake.inject(.processThenDropConnection)
            await #expect(throws: (any Error).self) { try await raw(fake, "/v1/metrics", body) }
            #expect(try await raw(fake, "/v1/metrics", body).status == 200)
            let s = fake.snapshot
            #expect(s.points(name: "cpu", source: "web-1", time: now).count == 2)
            #expect(s.duplicates.values.first == 2)
        }
    }

    @Test("waitFor returns as soon as the condition holds and times out with a summary")
    func waitFor() async throws {
        try await withFake { fake async throws in
            async let waited = fake.waitFor(timeout: .seconds(10)) { $0.accepted.count >= 1 }
            _ = try await raw(fake, "/v1/metrics", #"{"gauges":[{"name":"x","value":1}]}"#)
            #expect(try await waited.accepted.count == 1)
            do {
                try await fake.waitFor(timeout: .milliseconds(50)) { $0.accepted.count >= 5 }
                Issue.record("did not time out")
            } catch let error as FakeLibratoError {
                #expect(error.description.contains("1 measurements"))
            }
        }
    }
}
