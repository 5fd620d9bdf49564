import Testing

@testable import Librato

@Suite("Error bodies and rate-limit headers")
struct ResponseParsingTests {
    func messages(_ s: String) -> [String] { LibratoErrorBody.messages(from: Array(s.utf8)) }

    @Test("every documented error-body shape (docs/librato-api.md §5)")
    func errorShapes() {
        #expect(messages(#"{"errors":{"params":{"name":["is not present"],"start_time":["is not a number"]}}}"#)
            == ["params.name: is not present", "params.start_time: is not a number"])
        #expect(messages(#"{"errors":{"request":["Please use secured connection through https!","Please provide credentials for authentication."]}}"#)
            == ["request: Please use secured connection through https!", "request: Please provide credentials for authentication."])
        #expect(messages(#"{"errors":{"request":"single string"}}"#) == ["request: single string"])
        #expect(messages(#"{"errors":{"system":["The API is currently down for maintenance. It'll be back shortly."]}}"#)
            == ["system: The API is currently down for maintenance. It'll be back shortly."])
        #expect(messages(#"{"errors":{"params":{"measure_time":["is too far in the past"]}},"request_time":1467306906}"#)
            == ["params.measure_time: is too far in the past"])
        #expect(messages(#"{"errors":["Tag based measurements are not enabled for this account."]}"#)
            == ["Tag based measurements are not enabled for this account."])
        #expect(messages(#"{"errors":"plain"}"#) == ["plain"])
        #expect(messages(#"{"request_time":1467306906,"error":"You have hit the API limit for measurements [measure:raw_rate]."}"#)
            == ["You have hit the API limit for measurements [measure:raw_rate]."])
        #expect(messages(#"{"message":"Internal error"}"#) == ["Internal error"])
        #expect(messages("<html>502 Bad Gateway</html>") == ["<html>502 Bad Gateway</html>"])
        #expect(messages("") == ["(empty body)"])
        #expect(messages("{}") == ["{}"])
    }

    @Test("X-Librato-RateLimit-* values: pairs in any order, unknown keys ignored")
    func rateHeaders() {
        #expect(RateLimitHeader(parsing: "limit=600000,remaining=599998,reset=1531370400")
            == RateLimitHeader(limit: 600_000, remaining: 599_998, reset: 1_531_370_400))
        #expect(RateLimitHeader(parsing: " reset=5 , remaining=0,extra=x") == RateLimitHeader(remaining: 0, reset: 5))
        #expect(RateLimitHeader(parsing: "garbage") == nil)
        #expect(RateLimitHeader(limit: 1, remaining: 0, reset: 2).headerValue == "limit=1,remaining=0,reset=2")
    }

    @Test("resume time: Retry-After first, then the latest reset of an exhausted header")
    func resume() {
        let now = 1_700_000_000.0
        let exhausted = RateLimitState(
            headers: [("x-librato-ratelimit-agg", "limit=10,remaining=0,reset=1700000030"),
                      ("X-Librato-RateLimit-Std", "limit=10,remaining=3,reset=1700000099")], now: now)
        #expect(exhausted.isExhausted)
        #expect(exhausted.resumeTime(now: now) == 1_700_000_030)
        let retryAfter = RateLimitState(headers: [("Retry-After", "7"), ("X-Librato-RateLimit-Agg", "remaining=0,reset=1700000030")], now: now)
        #expect(retryAfter.resumeTime(now: now) == now + 7)
        let date = RateLimitState(headers: [("Retry-After", "Tue, 14 Nov 2023 22:14:00 GMT")], now: now)
        #expect(date.resumeTime(now: now) == 1_700_000_040)
        let relative = RateLimitState(headers: [("X-Librato-RateLimit-Agg", "remaining=0,reset=60")], now: now)
        #expect(relative.resumeTime(now: now) == now + 60)
        #expect(RateLimitState(headers: [("X-Librato-RateLimit-Agg", "remaining=5,reset=9")], now: now).resumeTime(now: now) == nil)
    }

    @Test("HTTP dates (IMF-fixdate)")
    func httpDate() {
        #expect(HTTPDate.epochSeconds("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(HTTPDate.epochSeconds("Thu, 01 Jan 1970 00:00:00 GMT") == 0)
        #expect(HTTPDate.epochSeconds("Sun, 06 Nov 1994 08:49:37 PST") == nil)
        #expect(HTTPDate.epochSeconds("tomorrow") == nil)
    }

    @Test("status classes")
    func classes() {
        func c(_ status: Int, _ body: String = "", _ headers: [(String, String)] = []) -> ResponseClass {
            ResponseClass(status: status, headers: headers, body: Array(body.utf8), now: T0)
        }
        #expect(c(200) == .accepted(pauseUntil: nil))
        #expect(c(202) == .accepted(pauseUntil: nil))
        #expect(c(204, "", [("X-Librato-RateLimit-Agg", "remaining=0,reset=1700000010")]) == .accepted(pauseUntil: T0 + 10))
        #expect(c(400, #"{"errors":{"params":{"name":["is invalid"]}}}"#) == .invalid(["params.name: is invalid"]))
        #expect(c(413) == .invalid(["(empty body)"]))
        #expect(c(429) == .rateLimited(resumeAt: nil, ["(empty body)"]))
        #expect(c(401) == .unauthorized(["(empty body)"]))
        #expect(c(403, #"{"errors":["Tag based measurements are not enabled for this account. x"]}"#)
            == .tagsNotEnabled(["Tag based measurements are not enabled for this account. x"]))
        #expect(c(403, #"{"error":"You have hit the API limit for measurements"}"#)
            == .rateLimited(resumeAt: nil, ["You have hit the API limit for measurements"]))
        #expect(c(403, "", [("X-Librato-RateLimit-Std", "remaining=0,reset=1700000200")]) == .rateLimited(resumeAt: T0 + 200, ["(empty body)"]))
        #expect(c(403, #"{"errors":{"request":["Please use secured connection through https!"]}}"#)
            == .forbidden(["request: Please use secured connection through https!"]))
        #expect(c(500) == .transient(retryAt: nil, ["(empty body)"]))
        #expect(c(503) == .transient(retryAt: nil, ["(empty body)"]))
        #expect(c(408) == .transient(retryAt: nil, ["(empty body)"]))
        #expect(c(503, "", [("Retry-After", "120")]) == .transient(retryAt: T0 + 120, ["(empty body)"]))
        #expect(c(404) == .misconfigured(["(empty body)"]))
        #expect(c(415) == .misconfigured(["(empty body)"]))
        #expect(c(301) == .misconfigured(["(empty body)"]))
    }
}
