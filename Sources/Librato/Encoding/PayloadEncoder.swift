/// Turns sanitised measurements and annotations into the exact JSON Librato expects (docs/librato-api.md §2, §3, §6).
///
/// Every measurement is encoded once, on its own, as one array element; a request body is then the API's prefix,
/// the elements joined by commas, and the suffix. That makes batching by bytes exact and re-splitting a rejected
/// batch free.
public enum PayloadEncoder {
    /// One measurement as an element of `gauges` (legacy) or `measurements` (tagged). Expects a measurement that
    /// went through ``Sanitiser/measurement(_:for:)`` for the same API.
    ///
    /// Legacy: `name`, `source`, `measure_time`, then `value` or `count`/`sum`/`min`/`max`/`sum_squares`.
    /// Tagged: `name`, `time`, `tags`, then `value` or `count`/`sum`/`min`/`max`/`last`/`stddev` (the population
    /// standard deviation computed from the sum of squares; `sum_squares` is not a tagged field). Both end with
    /// `period` and `attributes` when set.
    public static func entry(_ m: Measurement, for api: LibratoAPI) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(192)
        appendEntry(m, for: api, to: &out)
        return out
    }

    /// ``entry(_:for:)`` appended to `out` (many entries in one buffer: one allocation, not one per measurement).
    public static func appendEntry(_ m: Measurement, for api: LibratoAPI, to out: inout [UInt8]) {
        var w = JSONWriter(appendingTo: out)
        out = []
        w.object { w in
            w.key("name")
            w.string(m.name)
            switch api {
            case .legacy:
                if let source = m.source {
                    w.key("source")
                    w.string(source)
                }
                w.key("measure_time")
                w.int(m.time)
            case .tagged:
                w.key("time")
                w.int(m.time)
                w.key("tags")
                w.object { w in
                    for (k, v) in m.tags.sorted(by: { $0.key < $1.key }) {
                        w.key(k)
                        w.string(v)
                    }
                }
            }
            switch m.value {
            case .single(let v):
                w.key("value")
                w.number(v)
            case .summary(let s):
                w.key("count")
                w.int(s.count)
                w.key("sum")
                w.number(s.sum)
                optional(&w, "min", s.min)
                optional(&w, "max", s.max)
                switch api {
                case .legacy:
                    optional(&w, "sum_squares", s.sumSquares)
                case .tagged:
                    optional(&w, "last", s.last)
                    optional(&w, "stddev", s.populationStandardDeviation.flatMap(Sanitiser.number))
                }
            }
            if let period = m.period {
                w.key("period")
                w.int(period)
            }
            if let a = m.attributes, !a.isEmpty {
                w.key("attributes")
                attributes(&w, a)
            }
        }
        out = w.takeBytes()
    }

    /// The bytes before the first element of a request body.
    public static func bodyPrefix(for api: LibratoAPI) -> [UInt8] {
        switch api {
        case .legacy: Array(#"{"gauges":["#.utf8)
        case .tagged: Array(#"{"measurements":["#.utf8)
        }
    }

    /// The bytes after the last element of a request body.
    public static let bodySuffix: [UInt8] = Array("]}".utf8)

    /// A whole request body from pre-encoded elements.
    public static func body<Entries: Sequence>(entries: Entries, for api: LibratoAPI) -> [UInt8]
    where Entries.Element: Collection, Entries.Element.Element == UInt8 {
        var out = bodyPrefix(for: api)
        var first = true
        for e in entries {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(contentsOf: e)
        }
        out.append(contentsOf: bodySuffix)
        return out
    }

    /// The body of `POST /v1/annotations/:stream` for an annotation already cleaned by
    /// ``AnnotationPreparer/prepare(_:)``.
    public static func annotationBody(_ a: Annotation) -> [UInt8] {
        var w = JSONWriter()
        w.object { w in
            w.key("title")
            w.string(a.title)
            if let d = a.description {
                w.key("description")
                w.string(d)
            }
            if let s = a.source {
                w.key("source")
                w.string(s)
            }
            if let t = a.startTime {
                w.key("start_time")
                w.int(t)
            }
            if let t = a.endTime {
                w.key("end_time")
                w.int(t)
            }
            if !a.links.isEmpty {
                w.key("links")
                w.array { w in
                    for l in a.links {
                        w.object { w in
                            w.key("rel")
                            w.string(l.rel)
                            w.key("href")
                            w.string(l.href)
                            if let label = l.label {
                                w.key("label")
                                w.string(label)
                            }
                        }
                    }
                }
            }
        }
        return w.bytes
    }

    private static func optional(_ w: inout JSONWriter, _ key: String, _ x: Double?) {
        guard let x else { return }
        w.key(key)
        w.number(x)
    }

    private static func attributes(_ w: inout JSONWriter, _ a: MetricAttributes) {
        w.object { w in
            if let v = a.color { w.key("color"); w.string(v) }
            optional(&w, "display_max", a.displayMax)
            optional(&w, "display_min", a.displayMin)
            if let v = a.displayUnitsLong { w.key("display_units_long"); w.string(v) }
            if let v = a.displayUnitsShort { w.key("display_units_short"); w.string(v) }
            if let v = a.displayStacked { w.key("display_stacked"); w.bool(v) }
            if let v = a.summarizeFunction { w.key("summarize_function"); w.string(v) }
            if let v = a.aggregate { w.key("aggregate"); w.bool(v) }
        }
    }
}

/// Cleans an annotation before sending: stream name and source sanitised, empty title replaced, links with a
/// duplicate `rel` dropped, and an `endTime` not after `startTime` moved to `startTime + 1`.
public enum AnnotationPreparer {
    /// The annotation as it will be sent.
    public static func prepare(_ a: Annotation) -> Annotation {
        var out = a
        out.stream = Sanitiser.metricName(a.stream)
        out.source = Sanitiser.source(a.source)
        if a.title.allSatisfy(\.isWhitespace) { out.title = "(untitled)" }
        if let s = a.startTime, let e = a.endTime, e <= s { out.endTime = s + 1 }
        var seen = Set<String>()
        out.links = a.links.filter { !$0.rel.isEmpty && !$0.href.isEmpty && seen.insert($0.rel).inserted }
        return out
    }
}
