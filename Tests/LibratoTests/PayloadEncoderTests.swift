import Testing

@testable import Librato

@Suite("Payload encoding")
struct PayloadEncoderTests {
    func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test("legacy single value: name, source, measure_time, value")
    func legacySingle() {
        let m = Measurement(name: "cpu", source: "db-2", time: 1_481_637_600, value: .single(88.4))
        #expect(text(PayloadEncoder.entry(m, for: .legacy)) == #"{"name":"cpu","source":"db-2","measure_time":1481637600,"value":88.4}"#)
    }

    @Test("legacy summary: count/sum/min/max/sum_squares, never value, never last or stddev")
    func legacySummary() {
        let s = Summary(count: 4, sum: 82, min: 11, max: 40.5, sumSquares: 2226.5, last: 12)
        let m = Measurement(name: "req.latency", source: "app-1", time: 1_481_637_660, value: .summary(s))
        #expect(
            text(PayloadEncoder.entry(m, for: .legacy))
                == #"{"name":"req.latency","source":"app-1","measure_time":1481637660,"count":4,"sum":82,"min":11,"max":40.5,"sum_squares":2226.5}"#
        )
    }

    @Test("legacy without a source omits it")
    func legacyNoSource() {
        let m = Measurement(name: "cpu", time: 1_481_637_600, value: .single(1))
        #expect(text(PayloadEncoder.entry(m, for: .legacy)) == #"{"name":"cpu","measure_time":1481637600,"value":1}"#)
    }

    @Test("tagged summary: time, sorted tags, last and population stddev instead of sum_squares")
    func taggedSummary() throws {
        // samples 2,4,4,4,5,5,7,9: mean 5, population standard deviation exactly 2
        let s = try #require(Summary(samples: [2, 4, 4, 4, 5, 5, 7, 9]))
        #expect(s == Summary(count: 8, sum: 40, min: 2, max: 9, sumSquares: 232, last: 9))
        let m = Measurement(
            name: "req.latency", tags: ["region": "us-east-1", "host": "web-3"], time: 1_484_613_480, value: .summary(s),
            period: 60, attributes: MetricAttributes(displayUnitsShort: "ms", aggregate: false))
        #expect(
            text(PayloadEncoder.entry(m, for: .tagged))
                == #"{"name":"req.latency","time":1484613480,"tags":{"host":"web-3","region":"us-east-1"},"count":8,"sum":40,"min":2,"max":9,"last":9,"stddev":2,"period":60,"attributes":{"display_units_short":"ms","aggregate":false}}"#
        )
    }

    @Test("tagged single value")
    func taggedSingle() {
        let m = Measurement(name: "memory", tags: ["db": "db-prod-1"], time: 1_484_613_480, value: .single(34.5))
        #expect(text(PayloadEncoder.entry(m, for: .tagged)) == #"{"name":"memory","time":1484613480,"tags":{"db":"db-prod-1"},"value":34.5}"#)
    }

    @Test("a summary without sum of squares sends no stddev; constant samples give 0, not NaN")
    func stddevEdges() {
        #expect(Summary(count: 3, sum: 3).populationStandardDeviation == nil)
        #expect(Summary(samples: [0.1, 0.1, 0.1])?.populationStandardDeviation == 0)
        let m = Measurement(name: "x", tags: ["a": "b"], time: 1, value: .summary(Summary(count: 2, sum: 3)))
        #expect(text(PayloadEncoder.entry(m, for: .tagged)) == #"{"name":"x","time":1,"tags":{"a":"b"},"count":2,"sum":3}"#)
    }

    @Test("every attribute in a fixed order")
    func attributes() {
        let a = MetricAttributes(
            color: "#52D74C", displayMax: 100, displayMin: 0, displayUnitsLong: "percent", displayUnitsShort: "%",
            displayStacked: true, summarizeFunction: "max", aggregate: false)
        let m = Measurement(name: "x", source: "s", time: 1, value: .single(1), attributes: a)
        #expect(
            text(PayloadEncoder.entry(m, for: .legacy))
                == ##"{"name":"x","source":"s","measure_time":1,"value":1,"attributes":{"color":"#52D74C","display_max":100,"display_min":0,"display_units_long":"percent","display_units_short":"%","display_stacked":true,"summarize_function":"max","aggregate":false}}"##
        )
    }

    @Test("request bodies wrap elements in gauges or measurements")
    func bodies() {
        let e = [Array(#"{"a":1}"#.utf8), Array(#"{"b":2}"#.utf8)]
        #expect(text(PayloadEncoder.body(entries: e, for: .legacy)) == #"{"gauges":[{"a":1},{"b":2}]}"#)
        #expect(text(PayloadEncoder.body(entries: e, for: .tagged)) == #"{"measurements":[{"a":1},{"b":2}]}"#)
        #expect(text(PayloadEncoder.body(entries: [[UInt8]](), for: .legacy)) == #"{"gauges":[]}"#)
    }

    @Test("entries appended to one buffer are byte for byte the entries encoded alone; deep nesting keeps its commas")
    func appendedEntries() {
        let ms = [
            Measurement(name: "a", source: "s", tags: ["x": "1", "y": "2"], time: 60, value: .single(1.5)),
            Measurement(
                name: "b", source: nil, tags: ["z": "3"], time: 60, value: .summary(Summary(count: 2, sum: 3, min: 1, max: 2, sumSquares: 5, last: 2)),
                period: 60, attributes: MetricAttributes(displayUnitsShort: "B")),
        ]
        for api in LibratoAPI.allCases {
            var buffer: [UInt8] = []
            var alone: [UInt8] = []
            for m in ms {
                PayloadEncoder.appendEntry(m, for: api, to: &buffer)
                alone += PayloadEncoder.entry(m, for: api)
            }
            #expect(buffer == alone)
        }
        var deep = JSONValue.array([.number("1"), .number("2")])
        for _ in 0..<70 { deep = .array([deep, .number("3")]) }
        var w = JSONWriter()
        w.value(deep)
        #expect(w.text == String(repeating: "[", count: 70) + "[1,2]" + String(repeating: ",3]", count: 70))
    }

    @Test("annotations: fields in order, links, end moved after start, duplicate rels dropped")
    func annotations() {
        let a = Annotation(
            stream: "docker events", title: "web-1 restarted", description: "exit code 137\nOOM", source: "all",
            startTime: 100, endTime: 100,
            links: [.init(rel: "logs", href: "http://x/1", label: "Logs"), .init(rel: "logs", href: "http://x/2")])
        let p = AnnotationPreparer.prepare(a)
        #expect(p.stream == "docker_events")
        #expect(p.source == "all_")
        #expect(p.endTime == 101)
        #expect(
            text(PayloadEncoder.annotationBody(p))
                == #"{"title":"web-1 restarted","description":"exit code 137\nOOM","source":"all_","start_time":100,"end_time":101,"links":[{"rel":"logs","href":"http://x/1","label":"Logs"}]}"#
        )
        #expect(text(PayloadEncoder.annotationBody(Annotation(stream: "s", title: "t"))) == #"{"title":"t"}"#)
    }
}

@Suite("Batching")
struct BatcherTests {
    @Test("at most 300 legacy / 1000 tagged per request")
    func countLimits() {
        let legacy = Batcher(api: .legacy).batches(sizes: Array(repeating: 50, count: 650))
        #expect(legacy.map(\.count) == [300, 300, 50])
        let tagged = Batcher(api: .tagged).batches(sizes: Array(repeating: 50, count: 2500))
        #expect(tagged.map(\.count) == [1000, 1000, 500])
        #expect(Batcher(api: .legacy).batches(sizes: []).isEmpty)
    }

    @Test("bodies stay strictly under the byte limit, framing and commas included")
    func byteLimit() {
        let b = Batcher(api: .legacy, maxCount: 1000, maxBytes: 1000)
        let sizes = Array(repeating: 99, count: 30)
        let batches = b.batches(sizes: sizes)
        for (i, r) in batches.enumerated() {
            let body = b.overhead + r.count * 99 + (r.count - 1)
            #expect(body < 1000)
            if i < batches.count - 1 { #expect(body + 100 >= 1000) }  // another element would not have fit
        }
        #expect(batches.flatMap { Array($0) } == Array(0..<30))
    }

    @Test("an element too large for any body still gets a batch of its own")
    func oversized() {
        let b = Batcher(api: .legacy, maxBytes: 100)
        #expect(b.batches(sizes: [10, 500, 10]) == [0..<1, 1..<2, 2..<3])
    }

    @Test("a real 1 MB limit with large tagged measurements")
    func realisticBytes() {
        let tags = Dictionary(uniqueKeysWithValues: (0..<50).map { ("tag\($0)", String(repeating: "v", count: 200)) })
        let m = Measurement(name: String(repeating: "n", count: 255), tags: tags, time: 1_700_000_000, value: .single(1))
        let size = PayloadEncoder.entry(m, for: .tagged).count
        #expect(size > 10_000)
        let batches = Batcher(api: .tagged).batches(sizes: Array(repeating: size, count: 1000))
        #expect(batches.count > 1)
        for r in batches { #expect(15 + r.count * (size + 1) < 1_000_000) }
    }
}
