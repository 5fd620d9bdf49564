import DockerLibratoTesting
import NIOHTTP1
import Testing

@testable import Librato

/// A chart body with one source-based stream (the smallest valid legacy chart).
let legacyChart = #"{"name":"CPU","streams":[{"metric":"cpu","source":"prod:*"}]}"#
/// A chart body with one tagged stream.
let taggedChart = #"{"name":"CPU","type":"stacked","streams":[{"metric":"cpu","tags":[{"name":"cluster","values":["prod"]},{"name":"host","values":["*"],"grouped":true}]}]}"#

@Suite("Fake Librato enforces the Spaces and Charts API (docs/librato-spaces.md)")
struct FakeLibratoSpacesTests {
    func createSpace(_ fake: FakeLibrato, _ name: String = "ops") async throws -> Int {
        let r = try await raw(fake, "/v1/spaces", #"{"name":"\#(name)"}"#)
        #expect(r.status == 201, "\(r.body)")
        return try #require(r.json?["id"]?.intValue)
    }

    @Test("auth, rate-limit headers and faults apply to spaces as to measurements")
    func authAndFaults() async throws {
        try await withFake { fake async throws in
            let denied = try await raw(fake, "/v1/spaces", "", method: .GET, credentials: (fake.configuration.email, "wrong"))
            #expect(denied.status == 401)
            #expect(denied.body == #"{"errors":{"request":["Please provide credentials for authentication."]}}"#)
            #expect(denied.headers.first(name: "X-Librato-RateLimit-Std") != nil)
            fake.inject(.status(503))
            #expect(try await raw(fake, "/v1/spaces", #"{"name":"a"}"#).status == 503)
            #expect(fake.spaces.isEmpty)
            fake.inject(.processThenDropConnection)
            await #expect(throws: (any Error).self) { try await raw(fake, "/v1/spaces", #"{"name":"a"}"#) }
            #expect(fake.spaces.map(\.name) == ["a"])
            #expect(fake.snapshot.requests.map(\.status) == [401, 503, nil])
        }
    }

    @Test("spaces: 201 with Location and {id,name}; retrieve with chart ids; rename 204; delete 204 then 404")
    func spaceLifecycle() async throws {
        try await withFake { fake async throws in
            let r = try await raw(fake, "/v1/spaces", #"{"name":"CPUs"}"#)
            #expect(r.status == 201)
            let id = try #require(r.json?["id"]?.intValue)
            #expect(r.headers.first(name: "Location") == "/v1/spaces/\(id)")
            #expect(r.body == #"{"id":\#(id),"name":"CPUs"}"#)
            let chart = try await raw(fake, "/v1/spaces/\(id)/charts", legacyChart)
            let chartID = try #require(chart.json?["id"]?.intValue)
            let detail = try await raw(fake, "/v1/spaces/\(id)", "", method: .GET)
            #expect(detail.body == #"{"name":"CPUs","id":\#(id),"charts":[{"id":\#(chartID)}]}"#)
            #expect(try await raw(fake, "/v1/spaces/\(id)", #"{"name":"MEMORY"}"#, method: .PUT).status == 204)
            #expect(fake.spaces.map(\.name) == ["MEMORY"])
            #expect(try await raw(fake, "/v1/spaces/\(id)", "", method: .DELETE).status == 204)
            #expect(try await raw(fake, "/v1/spaces/\(id)", "", method: .GET).status == 404)
            #expect(try await raw(fake, "/v1/spaces/\(id)/charts", "", method: .GET).status == 404)
        }
    }

    @Test("space names are unique ignoring case: 422 on create and on rename")
    func uniqueNames() async throws {
        try await withFake { fake async throws in
            _ = try await createSpace(fake, "Ops")
            let other = try await createSpace(fake, "dev")
            let dup = try await raw(fake, "/v1/spaces", #"{"name":"ops"}"#)
            #expect(dup.status == 422)
            #expect(dup.json?["errors"]?["params"]?["name"] != nil)
            #expect(try await raw(fake, "/v1/spaces/\(other)", #"{"name":"OPS"}"#, method: .PUT).status == 422)
            #expect(fake.spaces.map(\.name) == ["Ops", "dev"])
        }
    }

    @Test("list: query block, pages of at most 100, name search by substring ignoring case, sort")
    func pagination() async throws {
        try await withFake { fake async throws in
            for i in 0..<250 { fake.addSpace(name: "space \(1000 + i)") }
            fake.addSpace(name: "Staging_Ops")
            var seen: [Int] = []
            for offset in [0, 100, 200] {
                let page = try await raw(fake, "/v1/spaces?offset=\(offset)&length=100", "", method: .GET)
                #expect(page.status == 200)
                let query = try #require(page.json?["query"])
                #expect(query["found"]?.intValue == 251 && query["total"]?.intValue == 251 && query["offset"]?.intValue == offset)
                let ids = page.json?["spaces"]?.arrayValue?.compactMap { $0["id"]?.intValue } ?? []
                #expect(query["length"]?.intValue == ids.count)
                seen += ids
            }
            #expect(seen.count == 251 && Set(seen).count == 251)
            let defaultPage = try await raw(fake, "/v1/spaces", "", method: .GET)
            #expect(defaultPage.json?["spaces"]?.arrayValue?.count == 100)
            let search = try await raw(fake, "/v1/spaces?name=ops", "", method: .GET)
            #expect(search.json?["spaces"]?.jsonText == #"[{"id":251,"name":"Staging_Ops"}]"#)
            #expect(search.json?["query"]?.jsonText == #"{"found":1,"length":1,"offset":0,"total":251}"#)
            let encoded = try await raw(fake, "/v1/spaces?name=space%201249", "", method: .GET)
            #expect(encoded.json?["spaces"]?.arrayValue?.count == 1)
            let desc = try await raw(fake, "/v1/spaces?name=space&sort=desc&length=1&orderby=name", "", method: .GET)
            #expect(desc.json?["spaces"]?.arrayValue?.first?["name"] == .string("space 1249"))
        }
    }

    @Test("list parameters: 400 naming the parameter", arguments: [
        ("length=101", "length"), ("length=0", "length"), ("length=x", "length"), ("offset=-1", "offset"),
        ("orderby=id", "orderby"), ("sort=up", "sort"), ("page=2", "page"),
    ])
    func listRejects(query: String, param: String) async throws {
        try await withFake { fake async throws in
            let r = try await raw(fake, "/v1/spaces?\(query)", "", method: .GET)
            #expect(r.status == 400)
            #expect(r.json?["errors"]?["params"]?[param] != nil, "\(r.body)")
        }
    }

    @Test("space bodies: 400 naming the parameter, nothing stored", arguments: [
        (#"[]"#, "request"), (#"{}"#, "name"), (#"{"name":""}"#, "name"), (#"{"name":"  "}"#, "name"), (#"{"name":5}"#, "name"),
        (#"{"name":"\#(String(repeating: "x", count: 256))"}"#, "name"), (#"{"name":"a","charts":[]}"#, "charts"),
        (#"{"name":"a","tags":"yes"}"#, "tags"),
    ])
    func spaceRejects(body: String, param: String) async throws {
        try await withFake { fake async throws in
            let r = try await raw(fake, "/v1/spaces", body)
            #expect(r.status == 400)
            #expect(r.json?["errors"]?["params"]?[param] != nil, "\(r.body)")
            #expect(fake.spaces.isEmpty)
        }
    }

    @Test("python-librato's extra `tags: false` on create is tolerated")
    func tagsFlag() async throws {
        try await withFake { fake async throws in
            #expect(try await raw(fake, "/v1/spaces", #"{"name":"a","tags":false}"#).status == 201)
        }
    }

    @Test("transport rules: 415 without JSON, 400 unparseable, 405 other methods, 404 unknown ids and paths, no query on writes")
    func transport() async throws {
        try await withFake { fake async throws in
            let id = try await createSpace(fake)
            #expect(try await raw(fake, "/v1/spaces", "name=a", contentType: "application/x-www-form-urlencoded").status == 415)
            #expect(try await raw(fake, "/v1/spaces/\(id)/charts", legacyChart, contentType: nil).status == 415)
            #expect(try await raw(fake, "/v1/spaces", #"{"name":"#).json?["errors"]?["request"] != nil)
            #expect(try await raw(fake, "/v1/spaces", "", method: .DELETE).status == 405)
            #expect(try await raw(fake, "/v1/spaces/\(id)", "{}", method: .POST).status == 405)
            #expect(try await raw(fake, "/v1/spaces/\(id)/charts", "", method: .PUT).status == 405)
            #expect(try await raw(fake, "/v1/spaces/999", "", method: .GET).status == 404)
            #expect(try await raw(fake, "/v1/spaces/abc", "", method: .GET).status == 404)
            #expect(try await raw(fake, "/v1/spaces/\(id)/charts/1", "", method: .GET).status == 404)
            #expect(try await raw(fake, "/v1/spaces/\(id)/other", "", method: .GET).status == 404)
            #expect(try await raw(fake, "/v1/spaces?name=x", #"{"name":"b"}"#).status == 400)
        }
    }

    @Test("charts: 201 with the chart (ids, documented defaults) and Location of the space; bare-array list; retrieve")
    func chartCreate() async throws {
        try await withFake { fake async throws in
            let id = try await createSpace(fake)
            let r = try await raw(fake, "/v1/spaces/\(id)/charts", legacyChart)
            #expect(r.status == 201)
            #expect(r.headers.first(name: "Location") == "/v1/spaces/\(id)")
            #expect(r.body == #"{"id":1,"name":"CPU","type":"line","streams":[{"id":1,"metric":"cpu","source":"prod:*","group_function":"average","summary_function":"average","type":"gauge"}],"thresholds":null}"#)
            let tagged = try await raw(fake, "/v1/spaces/\(id)/charts", taggedChart)
            #expect(tagged.json?["streams"]?.arrayValue?.first?["tags"]?.jsonText
                == #"[{"name":"cluster","values":["prod"],"grouped":false,"dynamic":false},{"name":"host","values":["*"],"grouped":true,"dynamic":false}]"#)
            let list = try await raw(fake, "/v1/spaces/\(id)/charts", "", method: .GET)
            #expect(list.json?.arrayValue?.map { $0["id"] } == [.number("1"), .number("2")])
            #expect(try await raw(fake, "/v1/spaces/\(id)/charts/2", "", method: .GET).body == tagged.body)
            // A composite stream (alone), and a dynamic tag without values, are valid.
            let composite = #"{"name":"Sum","streams":[{"composite":"sum(s(\"cpu\",\"*\"))","downsample_function":"sum"}]}"#
            #expect(try await raw(fake, "/v1/spaces/\(id)/charts", composite).json?["streams"]?.arrayValue?.first?["type"] == .string("composite"))
            let dynamic = #"{"name":"Env","streams":[{"metric":"cpu","tags":[{"name":"environment","dynamic":true}]}]}"#
            #expect(try await raw(fake, "/v1/spaces/\(id)/charts", dynamic).status == 201)
            #expect(fake.spaces.first?.charts.count == 4)
        }
    }

    @Test("chart update: 200 with the chart; partial bodies keep the rest; streams replace the old ones; delete 204")
    func chartUpdate() async throws {
        try await withFake { fake async throws in
            let id = try await createSpace(fake)
            _ = try await raw(fake, "/v1/spaces/\(id)/charts", #"{"name":"CPU","label":"%","streams":[{"metric":"cpu","source":"a"},{"metric":"cpu","source":"b"}]}"#)
            let renamed = try await raw(fake, "/v1/spaces/\(id)/charts/1", #"{"type":"stacked","name":"Temperature"}"#, method: .PUT)
            #expect(renamed.status == 200)
            #expect(renamed.json?["name"] == .string("Temperature") && renamed.json?["type"] == .string("stacked"))
            #expect(renamed.json?["label"] == .string("%") && renamed.json?["streams"]?.arrayValue?.count == 2)
            let replaced = try await raw(fake, "/v1/spaces/\(id)/charts/1", #"{"streams":[{"metric":"mem","source":"c"}]}"#, method: .PUT)
            #expect(replaced.json?["streams"]?.jsonText
                == #"[{"id":3,"metric":"mem","source":"c","group_function":"average","summary_function":"average","type":"gauge"}]"#)
            #expect(replaced.json?["name"] == .string("Temperature"))
            #expect(try await raw(fake, "/v1/spaces/\(id)/charts/1", #"{"type":"pie"}"#, method: .PUT).status == 400)
            #expect(fake.spaces.first?.charts.first?.json == replaced.json)
            #expect(try await raw(fake, "/v1/spaces/\(id)/charts/1", "", method: .DELETE).status == 204)
            #expect(fake.spaces.first?.charts.isEmpty == true)
        }
    }

    /// Each rule of a chart body, one case each: the body is refused with 400 naming the parameter, nothing stored.
    @Test("chart bodies: 400 naming the parameter", arguments: [
        (#"{"streams":[{"metric":"cpu","source":"*"}]}"#, "name"),
        (#"{"name":"","streams":[{"metric":"cpu","source":"*"}]}"#, "name"),
        (#"{"name":["a"],"streams":[{"metric":"cpu","source":"*"}]}"#, "name"),
        (#"{"name":"a","type":"pie","streams":[{"metric":"cpu","source":"*"}]}"#, "type"),
        (#"{"name":"a"}"#, "streams"),
        (#"{"name":"a","streams":[]}"#, "streams"),
        (#"{"name":"a","streams":{"metric":"cpu"}}"#, "streams"),
        (#"{"name":"a","streams":["cpu"]}"#, "streams"),
        (#"{"name":"a","streams":[{"source":"*"}]}"#, "streams"),
        (#"{"name":"a","streams":[{"metric":"my cpu","source":"*"}]}"#, "streams"),
        (#"{"name":"a","streams":[{"metric":"cpu"}]}"#, "streams"),
        (#"{"name":"a","streams":[{"metric":"cpu","source":"*","tags":[{"name":"a","values":["b"]}]}]}"#, "streams"),
        (#"{"name":"a","streams":[{"metric":"cpu","source":"*"},{"metric":"cpu","tags":[{"name":"a","values":["b"]}]}]}"#, "streams"),
        (#"{"name":"a","streams":[{"metric":"cpu","source":"a/b"}]}"#, "streams"),
        (#"{"name":"a","streams":[{"metric":"cpu","source":""}]}"#, "streams"),
        (#"{"name":"a","streams":[{"metric":"cpu","tags":{"a":"b"}}]}"#, "streams"),
        (#"{"name":"a","streams":[{"metric":"cpu","tags":[]}]}"#, "streams"),
        (#"{"name":"a","streams":[{"metric":"cpu","tags":[{"values":["b"]}]}]}"#, "streams"),
        (#"{"name":"a","streams":[{"metric":"cpu","tags":[{"name":"a b","values":["b"]}]}]}"#, "streams"),
        (#"{"name":"a","streams":[{"metric":"cpu","tags":[{"name":"a"}]}]}"#, "streams"),
        (#"{"name":"a","streams":[{"metric":"cpu","tags":[{"name":"a","values":[]}]}]}"#, "streams"),
        (#"{"name":"a","streams":[{"metric":"cpu","tags":[{"name":"a","values":["b,c"]}]}]}"#, "streams"),
        (#"{"name":"a","streams":[{"metric":"cpu","tags":[{"name":"a","values":["b"],"grouped":"yes"}]}]}"#, "streams"),
        (#"{"name":"a","streams":[{"metric":"cpu","tags":[{"name":"a","values":["b"],"negate":true}]}]}"#, "streams"),
        (#"{"name":"a","streams":[{"composite":"sum(s(\"cpu\",\"*\"))","metric":"cpu"}]}"#, "streams"),
        (#"{"name":"a","streams":[{"metric":"cpu","source":"*","downsample_function":"sum"}]}"#, "streams"),
        (#"{"name":"a","streams":[{"metric":"cpu","source":"*","group_function":"median"}]}"#, "streams"),
        (#"{"name":"a","streams":[{"metric":"cpu","source":"*","summary_function":"p99"}]}"#, "streams"),
        (#"{"name":"a","streams":[{"metric":"cpu","source":"*","color":"red"}]}"#, "streams"),
        (#"{"name":"a","streams":[{"metric":"cpu","source":"*","period":0}]}"#, "streams"),
        (#"{"name":"a","streams":[{"metric":"cpu","source":"*","transform_function":"x*x"}]}"#, "streams"),
        (#"{"name":"a","streams":[{"metric":"cpu","source":"*","id":3}]}"#, "streams"),
        (#"{"name":"a","streams":[{"metric":"cpu","source":"*","type":"gauge"}]}"#, "streams"),
        (##"{"name":"a","streams":[{"metric":"cpu","source":"*","colour":"#52D74C"}]}"##, "streams"),
        (##"{"name":"a","streams":[{"metric":"cpu","source":"*"}],"color":"#52D74C"}"##, "color"),
        (#"{"name":"a","streams":[{"metric":"cpu","source":"*"}],"id":7}"#, "id"),
        (#"{"name":"a","type":"bignumber","streams":[{"metric":"cpu","source":"*"}]}"#, "thresholds"),
        (#"{"name":"a","streams":[{"metric":"cpu","source":"*"}],"thresholds":[{"operator":">=","value":1,"type":"red"}]}"#, "thresholds"),
        (#"{"name":"a","streams":[{"metric":"cpu","source":"*"}],"min":"0"}"#, "min"),
        (#"{"name":"a","streams":[{"metric":"cpu","source":"*"}],"use_log_yaxis":1}"#, "use_log_yaxis"),
    ])
    func chartRejects(body: String, param: String) async throws {
        try await withFake { fake async throws in
            let id = try await createSpace(fake)
            let r = try await raw(fake, "/v1/spaces/\(id)/charts", body)
            #expect(r.status == 400)
            #expect(r.json?["errors"]?["params"]?[param] != nil, "\(r.body)")
            #expect(r.json?["request_time"]?.intValue != nil)
            #expect(fake.spaces.first?.charts.isEmpty == true)
        }
    }

    @Test("a bignumber chart with thresholds, and every optional field, are accepted")
    func optionalFields() async throws {
        try await withFake { fake async throws in
            let id = try await createSpace(fake)
            let body = ##"{"name":"Now","type":"bignumber","min":0,"max":100,"label":"%","related_space":1,"use_last_value":true,"thresholds":[{"operator":">","value":90,"type":"red"}],"streams":[{"metric":"cpu","source":"prod:*","group_function":"breakout","summary_function":"max","color":"#52D74C","name":"cpu","units_short":"%","units_long":"percent","min":0,"max":100,"transform_function":"x/100","period":60,"split_axis":false,"position":1,"gap_detection":true}]}"##
            let r = try await raw(fake, "/v1/spaces/\(id)/charts", body)
            #expect(r.status == 201, "\(r.body)")
            #expect(r.json?["thresholds"]?.arrayValue?.count == 1)
        }
    }
}
