import DockerLibratoTesting
import Logging
import NIOHTTP1
import Synchronization
import Testing

@testable import Librato

/// A small space over `api`'s stream shape: three charts.
func sampleSpace(_ api: LibratoAPI, name: String = "docker-librato prod") -> SpaceDefinition {
    func series(_ pattern: String, grouped: String? = nil) -> StreamDefinition.Series {
        switch api {
        case .legacy: return .source(pattern)
        case .tagged:
            return .tags([StreamTag(name: "cluster", values: ["prod"])] + (grouped.map { [StreamTag(name: $0, values: ["*"], grouped: true)] } ?? []))
        }
    }
    return SpaceDefinition(
        name: name,
        charts: [
            ChartDefinition(
                name: "Cluster: CPU %",
                streams: [
                    StreamDefinition(metric: "docker.cluster.cpu.percent", series: series("prod"), groupFunction: .sum, summaryFunction: .sum, name: "all", unitsShort: "%"),
                    StreamDefinition(metric: "docker.cluster.cpu.percent", series: series("prod"), groupFunction: .sum, summaryFunction: .max, name: "busiest"),
                ]),
            ChartDefinition(
                name: "Hosts: memory", type: .stacked, label: "bytes",
                streams: [StreamDefinition(metric: "docker.host.memory.used", series: series("prod:*", grouped: "host"), groupFunction: api == .legacy ? .breakout : .sum)]),
            ChartDefinition(
                name: "Containers: CPU %",
                streams: [StreamDefinition(metric: "docker.container.cpu.percent", series: series("prod:*:*", grouped: "container"), groupFunction: api == .legacy ? .breakout : .sum)]),
        ])
}

/// Writes the fake recorded (POST, PUT, DELETE).
func writes(_ fake: FakeLibrato) -> [RecordedRequest] { fake.snapshot.requests.filter { $0.method != "GET" } }

@Suite("Spaces: the planner (pure) and LibratoClient.syncSpace against the strict fake")
struct SpaceSyncTests {
    // MARK: planner

    @Test("no space yet: create it, then every chart, in order")
    func planFromNothing() {
        let space = sampleSpace(.legacy)
        let plan = SpacePlanner.plan(space, current: nil)
        #expect(plan.space == .created)
        #expect(plan.requests == [.createSpace(name: space.name)] + space.charts.map { .createChart(space: .created, $0) })
        #expect(plan.requests.map { $0.path() } == ["/v1/spaces"] + Array(repeating: "/v1/spaces/:id/charts", count: 3))
        #expect(plan.requests[1].path(createdSpace: 42) == "/v1/spaces/42/charts")
        #expect(plan.requests[0].body.map { String(decoding: $0, as: UTF8.self) } == #"{"name":"docker-librato prod"}"#)
    }

    /// The charts of `space` as the API returns them: ids, defaults, read-only fields, as the fake stores them.
    static func asReturned(_ space: SpaceDefinition, firstID: Int = 10) throws -> [CurrentChart] {
        try space.charts.enumerated().map { i, c in
            var json = try JSONValue.parse(c.jsonBody)
            guard case .object(var members) = json else { throw PlanError.notAnObject }
            members.insert(JSONMember("id", .number(String(firstID + i))), at: 0)
            members.append(JSONMember("thresholds", .null))
            if case .array(let streams)? = json["streams"] {
                let returned = streams.enumerated().map { j, s -> JSONValue in
                    guard case .object(let m) = s else { return s }
                    return .object([JSONMember("id", .number(String(100 + j)))] + m + [JSONMember("type", .string("gauge")), JSONMember("color", .string("#52D74C"))])
                }
                members = members.map { $0.key == "streams" ? JSONMember("streams", .array(returned)) : $0 }
            }
            json = .object(members)
            return CurrentChart(id: firstID + i, name: c.name, definition: ChartDefinition(json: json))
        }
    }

    enum PlanError: Error { case notAnObject }

    @Test("a space already as defined plans nothing, whatever ids, defaults and colours the API adds")
    func planNothing() throws {
        for api in LibratoAPI.allCases {
            let space = sampleSpace(api)
            let plan = SpacePlanner.plan(space, current: CurrentSpace(id: 7, charts: try Self.asReturned(space)))
            #expect(plan.requests.isEmpty, "\(api)")
            #expect(plan.unchanged == space.charts.map(\.name))
            #expect(plan.space == .id(7))
        }
    }

    @Test("a changed chart is updated in place by id, a missing one created, charts of the user's own left alone")
    func planChanges() throws {
        let space = sampleSpace(.legacy)
        var current = try Self.asReturned(space)
        current[0].definition?.streams[1].summaryFunction = .average  // changed by hand
        current.remove(at: 2)  // deleted by hand
        current.append(CurrentChart(id: 99, name: "My own chart", definition: nil))
        let plan = SpacePlanner.plan(space, current: CurrentSpace(id: 7, charts: current))
        #expect(plan.requests == [.updateChart(space: 7, chart: 10, space.charts[0]), .createChart(space: .id(7), space.charts[2])])
        #expect(plan.unchanged == ["Hosts: memory"])
        #expect(plan.requests.map { "\($0.method) \($0.path())" } == ["PUT /v1/spaces/7/charts/10", "POST /v1/spaces/7/charts"])
    }

    @Test("chart comparison: what counts as different", arguments: [
        ("type", false), ("stream metric", false), ("source", false), ("group", false), ("summary", false), ("stream name", false),
        ("units", false), ("label", false), ("streams added", false), ("case of names and sources", true), ("colour", true),
        ("units long", true), ("composite", false),
    ])
    func comparison(change: String, satisfied: Bool) throws {
        var desired = sampleSpace(.legacy).charts[1]
        desired.streams[0].name = "used"
        desired.streams[0].unitsShort = "B"
        var c = desired
        var s = c.streams[0]
        switch change {
        case "type": c.type = .line
        case "stream metric": s.metric = "docker.host.memory.rss"
        case "source": s.series = .source("prod:*:*")
        case "group": s.groupFunction = .average
        case "summary": s.summaryFunction = .max
        case "stream name": s.name = "hosts"
        case "units": s.unitsShort = "bytes"
        case "label": c.label = "B"
        case "streams added": c.streams.append(s)
        case "case of names and sources":
            s.metric = s.metric.uppercased()
            s.series = .source("PROD:*")
        case "colour", "units long": s.unitsLong = "bytes"  // fields the definition leaves out
        default: break
        }
        if change != "streams added" { c.streams[0] = s }
        if change == "composite" {
            let json = try JSONValue.parse(#"{"name":"Hosts: memory","type":"stacked","label":"bytes","streams":[{"composite":"sum(s(\"docker.host.memory.used\",\"prod:*\"))"}]}"#)
            #expect(ChartDefinition(json: json) == nil)
            return
        }
        #expect(desired.isSatisfied(by: c) == satisfied)
    }

    @Test("tag filters compare as sets, ignoring case and the order of values")
    func tagComparison() {
        let desired = sampleSpace(.tagged).charts[2]
        var c = desired
        c.streams[0].series = .tags([StreamTag(name: "Container", values: ["*"], grouped: true), StreamTag(name: "cluster", values: ["PROD"])])
        #expect(desired.isSatisfied(by: c))
        c.streams[0].series = .tags([StreamTag(name: "cluster", values: ["prod"]), StreamTag(name: "container", values: ["*"])])
        #expect(!desired.isSatisfied(by: c))  // no longer grouped
    }

    @Test("which listed space is ours: exact name first, then ignoring case; the lowest id among equals")
    func match() {
        let listed = [SpaceSummary(id: 9, name: "docker-librato prod-eu"), SpaceSummary(id: 5, name: "Docker-Librato Prod"), SpaceSummary(id: 8, name: "docker-librato prod"), SpaceSummary(id: 3, name: "docker-librato prod")]
        #expect(SpacePlanner.match("docker-librato prod", in: listed)?.id == 3)
        #expect(SpacePlanner.match("DOCKER-LIBRATO PROD", in: listed)?.id == 3)
        #expect(SpacePlanner.match("docker-librato prod-eu", in: listed)?.id == 9)
        #expect(SpacePlanner.match("docker-librato", in: listed) == nil)
    }

    @Test("pages: the listing ends at `found` (or `total`), or at an empty page")
    func pages() throws {
        func page(_ n: Int, found: Int?, total: Int? = nil, offset: Int) throws -> Int? {
            let spaces = (0..<n).map { #"{"id":\#($0 + offset),"name":"s"}"# }.joined(separator: ",")
            var query: [String] = []
            if let found { query.append(#""found":\#(found)"#) }
            if let total { query.append(#""total":\#(total)"#) }
            let json = try JSONValue.parse(#"{"query":{\#(query.joined(separator: ","))},"spaces":[\#(spaces)]}"#)
            return try #require(SpacePlanner.spacesPage(json, offset: offset)).next
        }
        #expect(try page(100, found: 250, offset: 0) == 100)
        #expect(try page(50, found: 250, offset: 200) == nil)
        #expect(try page(0, found: 250, offset: 100) == nil)
        #expect(try page(100, found: nil, total: 150, offset: 0) == 100)
        #expect(try page(3, found: nil, offset: 0) == nil)
        #expect(SpacePlanner.spacesPage(try JSONValue.parse("[]"), offset: 0) == nil)
    }

    @Test("definitions with an empty or repeated chart name, or a chart without streams, are refused before any request")
    func problems() async throws {
        var space = sampleSpace(.legacy)
        space.charts.append(space.charts[0])
        space.charts.append(ChartDefinition(name: "", streams: []))
        #expect(SpacePlanner.problems(space) == ["the chart name 'Cluster: CPU %' is used twice", "a chart has no name", "the chart '' has no streams"])
        try await withFake { fake async throws in
            _ = try await withClient(makeClient(fake)) { client async throws in
                await #expect(throws: SpaceSyncError.self) { try await client.syncSpace(space) }
            }
            #expect(fake.snapshot.requests.isEmpty)
        }
    }

    // MARK: against the fake

    @Test("first run creates the space and its charts; the second sends no write and finds the same space", arguments: LibratoAPI.allCases)
    func idempotent(api: LibratoAPI) async throws {
        try await withFake { fake async throws in
            try await withClient(makeClient(fake, api: api)) { client async throws in
                let space = sampleSpace(api)
                let first = try await client.syncSpace(space)
                #expect(first.spaceCreated && first.chartsCreated == space.charts.map(\.name) && first.writes == 4 && first.reads == 1)
                #expect(fake.snapshot.requests.allSatisfy { $0.status.map { (200..<300).contains($0) } == true })
                let stored = try #require(fake.spaces.first)
                #expect(fake.spaces.count == 1 && stored.id == first.spaceID && stored.name == space.name)
                #expect(stored.charts.map(\.name) == space.charts.map(\.name))
                fake.resetRecordings()
                let second = try await client.syncSpace(space)
                #expect(!second.spaceCreated && second.writes == 0 && second.chartsUnchanged.count == 3 && second.spaceID == first.spaceID)
                #expect(writes(fake).isEmpty)
                #expect(fake.snapshot.requests.map { "\($0.method) \($0.uri)" } == [
                    "GET /v1/spaces?name=docker-librato%20prod&offset=0&length=100", "GET /v1/spaces/\(first.spaceID)/charts",
                ])
                #expect(fake.spaces == [stored])
            }
        }
    }

    @Test("a pre-existing space with a chart changed by hand: that chart is updated in place, a chart of the user's own stays")
    func updateInPlace() async throws {
        try await withFake { fake async throws in
            try await withClient(makeClient(fake)) { client async throws in
                let space = sampleSpace(.legacy)
                let id = try await client.syncSpace(space).spaceID
                let chart = try #require(fake.spaces.first?.charts.first)
                let edited = #"{"streams":[{"metric":"docker.cluster.cpu.percent","source":"prod","summary_function":"average"}]}"#
                #expect(try await raw(fake, "/v1/spaces/\(id)/charts/\(chart.id)", edited, method: .PUT).status == 200)
                #expect(try await raw(fake, "/v1/spaces/\(id)/charts", #"{"name":"Mine","streams":[{"metric":"x","source":"*"}]}"#).status == 201)
                fake.resetRecordings()
                let report = try await client.syncSpace(space)
                #expect(report.chartsUpdated == ["Cluster: CPU %"] && report.chartsCreated.isEmpty && report.writes == 1)
                #expect(writes(fake).map { "\($0.method) \($0.uri)" } == ["PUT /v1/spaces/\(id)/charts/\(chart.id)"])
                let charts = try #require(fake.spaces.first?.charts)
                #expect(charts.map(\.name) == ["Cluster: CPU %", "Hosts: memory", "Containers: CPU %", "Mine"])
                #expect(charts[0].id == chart.id && charts[0].streams.count == 2)
                #expect(ChartDefinition(json: charts[0].json).map(space.charts[0].isSatisfied(by:)) == true)
            }
        }
    }

    @Test("the space is found beyond the first page of the search, and never created twice")
    func foundOnALaterPage() async throws {
        try await withFake { fake async throws in
            for i in 0..<230 { fake.addSpace(name: "an old docker-librato prod \(i)") }
            let id = fake.addSpace(name: "docker-librato prod")
            try await withClient(makeClient(fake)) { client async throws in
                let report = try await client.syncSpace(sampleSpace(.legacy))
                #expect(report.spaceID == id && !report.spaceCreated && report.reads == 4)
            }
            #expect(fake.spaces.count == 231)
            #expect(fake.snapshot.requests.filter { $0.uri.hasPrefix("/v1/spaces?") }.map(\.uri).map { $0.split(separator: "&")[1] } == [
                "offset=0", "offset=100", "offset=200",
            ])
        }
    }

    @Test("transient failures start over from reading: 503 and 429 are retried; a POST whose answer was lost is not sent twice")
    func transient() async throws {
        try await withFake { fake async throws in
            try await withClient(makeClient(fake)) { client async throws in
                // The listing gets a 503, the next one a 429; then the space is created but its answer is lost.
                fake.inject([.status(503), .rateLimited429, .passThrough, .processThenDropConnection])
                let report = try await client.syncSpace(sampleSpace(.legacy))
                #expect(report.attempts == 4)
                #expect(fake.spaces.count == 1 && fake.spaces[0].charts.map(\.name) == sampleSpace(.legacy).charts.map(\.name))
                #expect(report.spaceID == fake.spaces[0].id && !report.spaceCreated)
            }
        }
        try await withFake { fake async throws in
            try await withClient(makeClient(fake, api: .tagged)) { client async throws in
                // The first chart is stored but its answer is lost: found by name on the next attempt, not re-posted.
                fake.inject([.passThrough, .passThrough, .processThenDropConnection])
                let report = try await client.syncSpace(sampleSpace(.tagged))
                #expect(report.attempts == 2 && report.chartsUnchanged == ["Cluster: CPU %"])
                #expect(fake.spaces.count == 1 && fake.spaces[0].charts.count == 3)
                #expect(fake.snapshot.requests.filter { $0.method == "POST" }.count == 4)
            }
        }
    }

    @Test("final errors end it with what Librato said: 400 with the parameter, 401 at once")
    func finalErrors() async throws {
        try await withFake { fake async throws in
            var space = sampleSpace(.legacy)
            space.charts[0].streams[0].metric = "my cpu"
            try await withClient(makeClient(fake)) { client async throws in
                do throws(SpaceSyncError) {
                    _ = try await client.syncSpace(space)
                    Issue.record("an invalid metric name was accepted")
                } catch {
                    #expect(error.status == 400 && error.request.hasPrefix("POST /v1/spaces/1/charts"))
                    #expect(error.messages.contains { $0.contains("streams") && $0.contains("my cpu") }, "\(error)")
                }
            }
            #expect(fake.spaces.first?.charts.isEmpty == true)
            try await withClient(makeClient(fake, token: "wrong")) { client async throws in
                do throws(SpaceSyncError) {
                    _ = try await client.syncSpace(space)
                    Issue.record("a wrong token was accepted")
                } catch {
                    #expect(error.status == 401 && error.description.contains("Please provide credentials"))
                }
            }
            #expect(fake.snapshot.requests(withStatus: 401).count == 1)
        }
    }

    @Test("dry run: the search, the space and every chart printed with method, URL and body; the credential never")
    func dryRun() throws {
        let lines = DryRunSinkTests.Lines()
        let sink = DryRunSink(configuration: LibratoConfiguration(api: .tagged), output: .custom { lines.append($0) }, logger: quietLogger)
        let space = sampleSpace(.tagged)
        let plan = sink.emitSpacePlan(space)
        #expect(plan.requests.count == 4)
        let out = lines.all
        #expect(out.count == 5)
        #expect(out[0] == """
            GET https://metrics-api.librato.com/v1/spaces?name=docker-librato%20prod&offset=0&length=100
            Authorization: Basic <redacted>
            Accept: application/json
            User-Agent: docker-librato/\(LibratoClient.version)


            """)
        #expect(out[1].hasPrefix("POST https://metrics-api.librato.com/v1/spaces\n") && out[1].contains(#"{"name":"docker-librato prod"}"#))
        for (text, chart) in zip(out.dropFirst(2), space.charts) {
            #expect(text.hasPrefix("POST https://metrics-api.librato.com/v1/spaces/:id/charts\n"))
            #expect(text.hasSuffix(String(decoding: chart.jsonBody, as: UTF8.self) + "\n\n"))
        }
        #expect(out.allSatisfy { !$0.contains("Basic ") || $0.contains("Basic <redacted>\n") })
    }
}
