import DockerLibratoTesting
import Logging
import Synchronization
import Testing

@testable import Librato

@Suite("LibratoClient against the fake")
struct ClientEndToEndTests {
    @Test("legacy: 700 measurements in 3 requests with the documented headers, each stored exactly once")
    func legacyHappyPath() async throws {
        try await withFake { fake async throws in
            try await withClient(makeClient(fake)) { client async throws in
                let ms = gauges(700)
                let report = await client.submit(ms)
                #expect(report.accepted == 700)
                #expect(report.requestsByStatus == [200: 3])
                #expect(report.isComplete)
                let s = fake.snapshot
                #expect(s.requests.count == 3)
                #expect(s.accepted.count == 700)
                #expect(s.duplicates.isEmpty)
                for m in ms { #expect(s.points(name: m.name, source: m.source, time: m.time).count == 1) }
                let r = try #require(s.requests.first)
                #expect(r.method == "POST" && r.uri == "/v1/metrics")
                #expect(r.header("User-Agent") == "docker-librato/\(LibratoClient.version)")
                #expect(r.header("Content-Type") == "application/json")
                #expect(r.header("Authorization")?.hasPrefix("Basic ") == true)
                let first = s.points(name: "test.metric.0", source: "host-0", time: ms[0].time)
                #expect(first.map(\.value) == [0.5])
            }
        }
    }

    @Test("exact payloads on the wire, both APIs")
    func exactPayloads() async throws {
        try await withFake { fake async throws in
            let t = alignedNow()
            let ms = [
                Measurement(name: "docker.container.cpu.percent", source: "c1:h1:web 1", tags: ["container": "web 1"], time: t,
                            value: .summary(Summary(count: 8, sum: 40, min: 2, max: 9, sumSquares: 232, last: 9)), period: 60),
                Measurement(name: "docker.containers.running", source: "c1", tags: ["cluster": "c1"], time: t, value: .single(3)),
            ]
            try await withClient(makeClient(fake)) { client async throws in _ = await client.submit(ms) }
            try await withClient(makeClient(fake, api: .tagged)) { client async throws in _ = await client.submit(ms) }
            let bodies = fake.snapshot.requests.map(\.bodyText)
            #expect(bodies == [
                #"{"gauges":[{"name":"docker.container.cpu.percent","source":"c1:h1:web_1","measure_time":\#(t),"count":8,"sum":40,"min":2,"max":9,"sum_squares":232,"period":60},{"name":"docker.containers.running","source":"c1","measure_time":\#(t),"value":3}]}"#,
                #"{"measurements":[{"name":"docker.container.cpu.percent","time":\#(t),"tags":{"container":"web 1"},"count":8,"sum":40,"min":2,"max":9,"last":9,"stddev":2,"period":60},{"name":"docker.containers.running","time":\#(t),"tags":{"cluster":"c1"},"value":3}]}"#,
            ])
        }
    }

    @Test("tagged: 2500 measurements in 3 requests of at most 1000, 202 counts as accepted")
    func taggedHappyPath() async throws {
        try await withFake { fake async throws in
            try await withClient(makeClient(fake, api: .tagged)) { client async throws in
                let ms = gauges(2500)
                let report = await client.submit(ms)
                #expect(report.accepted == 2500)
                #expect(report.requestsByStatus == [202: 3])
                let s = fake.snapshot
                #expect(s.requests.map(\.uri) == Array(repeating: "/v1/measurements", count: 3))
                #expect(s.accepted.count == 2500 && s.duplicates.isEmpty)
                #expect(s.points(name: "test.metric.0", tags: ["host": "host-0", "cluster": "c1"], time: ms[0].time).count == 1)
            }
        }
    }

    @Test("hostile names never cause a 400")
    func hostileNames() async throws {
        try await withFake { fake async throws in
            for api in LibratoAPI.allCases {
                try await withClient(makeClient(fake, api: api)) { client async throws in
                    let ms = SanitiserTests.hostile.enumerated().map { i, s in
                        Measurement(name: s, source: s, tags: [s: s, "container": s, "cluster": "c1"], time: alignedNow(), value: .single(Double(i)))
                    }
                    let report = await client.submit(ms)
                    #expect(report.accepted == ms.count, "\(api)")
                    #expect(report.invalid.isEmpty)
                    #expect(report.requestsByStatus.keys.allSatisfy { (200..<300).contains($0) })
                }
            }
        }
    }

    @Test("5xx ×20, 429 ×5, two timeouts and a dropped connection: every measurement arrives exactly once")
    func faultPlan() async throws {
        try await withFake { fake async throws in
            var plan: [FakeLibratoFault] = Array(repeating: .status(500), count: 8) + [.rateLimited429, .timeout(seconds: 5)]
            plan += Array(repeating: .status(503), count: 6) + [.rateLimited429, .rateLimited429, .dropConnection]
            plan += Array(repeating: .status(502), count: 6) + [.timeout(seconds: 5), .rateLimited429, .rateLimited429]
            fake.inject(plan)
            // Long enough that only the two stalled requests time out, even on a loaded 2-core machine: a request
            // the fake answered after the client gave up would (correctly) be re-sent and stored twice.
            let client = makeClient(fake, requestTimeout: .milliseconds(1500))
            try await withClient(client) { client async throws in
                let ms = gauges(2000)
                let report = await client.submit(ms)
                #expect(report.accepted == 2000)
                #expect(report.isComplete && report.invalid.isEmpty && report.tooOld == 0)
                // On a loaded machine a request can also time out unplanned (a clean-clone CI run saw 4 timeouts): the
                // fake then answers the abandoned request with the next planned fault, which the client never sees.
                // Every planned fault is consumed (below), and each one the client did not see is one such timeout.
                let unplannedTimeouts = report.timeouts - 2
                let seen = [500, 503, 502, 429].map { report.requestsByStatus[$0] ?? 0 }
                #expect(unplannedTimeouts >= 0 && seen.reduce(0, +) <= 25 && seen.reduce(0, +) + unplannedTimeouts >= 25)
                if unplannedTimeouts == 0 { #expect(seen == [8, 6, 6, 5]) }
                // The planned dropped connection; on a loaded machine a pooled connection can also be found closed (a
                // clean-clone CI run saw 2): counted and retried like it.
                #expect(report.connectionErrors >= 1)
                #expect(report.retries == seen.reduce(0, +) + report.timeouts + report.connectionErrors, "every failed request retried once")
                let s = fake.snapshot
                #expect(fake.plannedFaults.isEmpty)
                #expect(s.accepted.count == 2000)
                #expect(s.duplicates.isEmpty)
                for m in ms { #expect(s.points(name: m.name, source: m.source, time: m.time).count == 1) }
            }
        }
    }

    @Test("a batch with one invalid measurement loses only that one, logged with Librato's message")
    func oneInvalid() async throws {
        try await withFake { fake async throws in
            let logs = LogCapture()
            try await withClient(makeClient(fake, logger: logs.logger())) { client async throws in
                var ms = gauges(100)
                ms[37].time = alignedNow() + 3600  // the fake rejects times more than 5 min ahead
                let report = await client.submit(ms)
                #expect(report.accepted == 99)
                #expect(report.invalid.count == 1)
                #expect(report.invalid.first?.measurement.source == "host-37")
                #expect(report.invalid.first?.message.contains("too far in the future") == true)
                let s = fake.snapshot
                #expect(s.accepted.count == 99 && s.duplicates.isEmpty)
                #expect(s.accepted.allSatisfy { $0.source != "host-37" })
                let line = try #require(logs.entries.first { $0.level == .error })
                #expect(line.metadata["librato.source"] == "host-37")
                #expect("\(line.metadata["librato.error"] ?? "")".contains("too far in the future"))
            }
        }
    }

    @Test("401: loud error naming the variables, data kept and delivered once the credential works")
    func unauthorizedKeepsData() async throws {
        try await withFake { fake async throws in
            let logs = LogCapture()
            fake.inject(.unauthorized401, times: 3)
            try await withClient(makeClient(fake, logger: logs.logger())) { client async throws in
                let report = await client.submit(gauges(10))
                #expect(report.requestsByStatus[401] == 3)
                #expect(report.accepted == 10)
                #expect(fake.snapshot.accepted.count == 10)
                let errors = logs.entries.filter { $0.level == .error }
                #expect(errors.count == 3)
                #expect(errors.allSatisfy { $0.message.contains("LIBRATO_TOKEN") && $0.message.contains("LIBRATO_EMAIL") })
            }
        }
    }

    @Test("401 forever: nothing lost, the cancelled submit hands every measurement back")
    func unauthorizedCancel() async throws {
        try await withFake { fake async throws in
            try await withClient(makeClient(fake, token: "wrong-token")) { client async throws in
                let ms = gauges(10)
                let task = Task { await client.submit(ms) }
                try await fake.waitFor { $0.requests(withStatus: 401).count >= 2 }
                task.cancel()
                let report = await task.value
                #expect(report.accepted == 0)
                #expect(report.undelivered.count == 10)
                #expect(!report.isComplete)
                #expect(fake.snapshot.accepted.isEmpty)
            }
        }
    }

    @Test("tags not enabled: the error suggests LIBRATO_API=legacy and the data is kept")
    func tagsNotEnabled() async throws {
        var config = FakeLibratoConfiguration()
        config.tagsEnabled = false
        try await withFake(config) { fake async throws in
            let logs = LogCapture()
            try await withClient(makeClient(fake, api: .tagged, logger: logs.logger())) { client async throws in
                let task = Task { await client.submit(gauges(5)) }
                try await fake.waitFor { $0.requests(withStatus: 403).count >= 2 }
                task.cancel()
                let report = await task.value
                #expect(report.undelivered.count == 5)
                #expect(logs.entries.contains { $0.level == .error && $0.message.contains("LIBRATO_API=legacy") })
            }
        }
    }

    @Test("rate limit of 2 requests per window: everything arrives once, pauses in between")
    func rateLimited() async throws {
        var config = FakeLibratoConfiguration()
        config.rateLimit = (requests: 2, window: 0.1)
        try await withFake(config) { fake async throws in
            try await withClient(makeClient(fake)) { client async throws in
                let report = await client.submit(gauges(1800))
                #expect(report.accepted == 1800)
                #expect(fake.snapshot.accepted.count == 1800)
                #expect(fake.snapshot.duplicates.isEmpty)
            }
        }
    }

    @Test("data older than the max age is dropped, counted and not sent")
    func tooOld() async throws {
        try await withFake { fake async throws in
            let logs = LogCapture()
            try await withClient(makeClient(fake, logger: logs.logger())) { client async throws in
                let report = await client.submit(gauges(3, time: alignedNow() - 111 * 60) + gauges(2, offset: 10))
                #expect(report.tooOld == 3)
                #expect(report.accepted == 2)
                #expect(fake.snapshot.accepted.count == 2)
                #expect(logs.entries.contains { $0.level == .warning && $0.metadata["librato.measurements"] == "3" })
            }
        }
    }

    @Test("cancellation during an outage returns promptly with everything undelivered")
    func cancelDuringOutage() async throws {
        try await withFake { fake async throws in
            fake.failAll(with: .status(503), for: .seconds(3600))
            try await withClient(makeClient(fake)) { client async throws in
                let task = Task { await client.submit(gauges(400)) }
                try await fake.waitFor { $0.requests.count >= 5 }
                task.cancel()
                let report = await task.value
                #expect(report.undelivered.count == 400)
                #expect(report.accepted == 0)
            }
        }
    }

    @Test("concurrent submits share the request limit and all arrive")
    func concurrentSubmits() async throws {
        try await withFake { fake async throws in
            fake.inject(.status(500), times: 4)
            try await withClient(makeClient(fake, maxConcurrent: 2)) { client async throws in
                async let a = client.submit(gauges(900, offset: 0))
                async let b = client.submit(gauges(900, offset: 900))
                let (ra, rb) = await (a, b)
                #expect(ra.accepted + rb.accepted == 1800)
                #expect(fake.snapshot.accepted.count == 1800 && fake.snapshot.duplicates.isEmpty)
            }
        }
    }

    @Test("whenAccepted: called once, when the one request carrying the whole list is accepted (after its retries); never for a list that took several")
    func whenAcceptedMarksTheRequestThatCarriedEverything() async throws {
        try await withFake { fake async throws in
            fake.inject([.status(503), .dropConnection, .status(500)])
            try await withClient(makeClient(fake)) { client async throws in
                let calls = Mutex(0)
                let one = gauges(100)
                let report = await client.submit(one) { calls.withLock { $0 += 1 } }
                #expect(report.accepted == 100 && report.retries == 3)
                #expect(calls.withLock { $0 } == 1, "called once, for the request that was accepted")
                #expect(fake.snapshot.accepted.count == 100 && fake.snapshot.duplicates.isEmpty)

                // 700 legacy measurements go in three requests: no one request delivered the list.
                let several = await client.submit(gauges(700, offset: 100)) { calls.withLock { $0 += 1 } }
                #expect(several.accepted == 700 && calls.withLock { $0 } == 1)

                // One measurement rejected before sending: the request did not carry the whole list.
                var partly = gauges(10, offset: 800)
                partly[3].value = .single(.infinity)
                let rejected = await client.submit(partly) { calls.withLock { $0 += 1 } }
                #expect(rejected.accepted == 9 && rejected.invalid.count == 1 && calls.withLock { $0 } == 1)
            }
        }
    }

    @Test("annotations: created, retried after 503, invalid reported")
    func annotations() async throws {
        try await withFake { fake async throws in
            try await withClient(makeClient(fake)) { client async throws in
                fake.inject(.status(503), times: 2)
                let t = alignedNow()
                let created = await client.annotate(
                    Annotation(stream: "docker events", title: "web-1 restarted", source: "c1:host", startTime: t, endTime: t))
                #expect(created == .created(location: "/v1/annotations/docker_events/1"))
                let a = try #require(fake.snapshot.annotations.first)
                #expect(a.stream == "docker_events" && a.title == "web-1 restarted" && a.endTime == t + 1)
                #expect(fake.snapshot.requests.map(\.status) == [503, 503, 201])
                fake.inject(.response(status: 400, body: #"{"errors":{"params":{"title":["is not present"]}}}"#, headers: [:]))
                #expect(await client.annotate(Annotation(stream: "s", title: "t")) == .invalid(messages: ["params.title: is not present"]))
            }
        }
    }

    @Test("the token never appears in any log line, at trace level, in any failure mode")
    func tokenNeverLogged() async throws {
        try await withFake { fake async throws in
            let logs = LogCapture()
            let token = fake.configuration.token
            fake.inject([.status(500), .unauthorized401, .rateLimited429, .tagsNotEnabled403, .dropConnection, .rateLimited403,
                         .response(status: 404, body: "not here", headers: [:])])
            try await withClient(makeClient(fake, logger: logs.logger(level: .trace))) { client async throws in
                var ms = gauges(50)
                ms[3].time = alignedNow() + 7200
                _ = await client.submit(ms)
                fake.inject(.status(500))
                _ = await client.annotate(Annotation(stream: "s", title: "t"))
            }
            let wrongClient = makeClient(fake, logger: logs.logger(level: .trace), token: "another-secret-token")
            try await withClient(wrongClient) { client async throws in
                let task = Task { await client.submit(gauges(1)) }
                try await fake.waitFor { $0.requests(withStatus: 401).count >= 2 }
                task.cancel()
                _ = await task.value
            }
            #expect(logs.entries.count > 10)
            let text = logs.text
            for secret in [token, "another-secret-token", LibratoCredentials(email: fake.configuration.email, token: token).authorizationHeader,
                           String(LibratoCredentials(email: fake.configuration.email, token: token).authorizationHeader.dropFirst(6))] {
                #expect(!text.contains(secret))
            }
        }
    }
}
