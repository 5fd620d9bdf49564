/// A Librato Space as it should be: a name and its charts, in order (docs/librato-spaces.md).
public struct SpaceDefinition: Sendable, Hashable {
    /// The space's name; spaces are found by it.
    public var name: String
    /// The charts, found within the space by their names (which must be unique and non-empty).
    public var charts: [ChartDefinition]

    public init(name: String, charts: [ChartDefinition]) {
        self.name = name
        self.charts = charts
    }
}

/// A chart of a space: `{"name", "type", "label"?, "streams": […]}`.
public struct ChartDefinition: Sendable, Hashable {
    /// The chart `type`.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case line, stacked, bignumber
    }

    /// The chart's title; charts are found by it within their space.
    public var name: String
    public var type: Kind
    /// The Y-axis label, if any.
    public var label: String?
    public var streams: [StreamDefinition]

    public init(name: String, type: Kind = .line, label: String? = nil, streams: [StreamDefinition]) {
        self.name = name
        self.type = type
        self.label = label
        self.streams = streams
    }
}

/// One stream (line) of a chart: a metric over a source pattern (source-based accounts) or a tag filter (tagged
/// accounts), with how series are combined (`group_function`) and how a complex gauge or a roll-up becomes one value
/// (`summary_function`).
public struct StreamDefinition: Sendable, Hashable {
    /// Which series of the metric.
    public enum Series: Sendable, Hashable {
        /// `source`: a source, a wildcard pattern such as `prod:*:*`, `*`, or `%` (dynamic).
        case source(String)
        /// `tags`: tag filters, `grouped` ones drawing a line per value.
        case tags([StreamTag])
    }

    /// `group_function`: how the matching series are combined.
    public enum GroupFunction: String, Sendable, Hashable, CaseIterable {
        case average, sum, min, max, breakout
    }

    /// `summary_function`: which value of a complex gauge (or of a roll-up of points) is drawn.
    public enum SummaryFunction: String, Sendable, Hashable, CaseIterable {
        case average, sum, min, max, count, derivative
    }

    public var metric: String
    public var series: Series
    public var groupFunction: GroupFunction
    public var summaryFunction: SummaryFunction
    /// The name shown in the legend and tooltip.
    public var name: String?
    /// `units_short`, e.g. `%` or `B`.
    public var unitsShort: String?
    /// `units_long`: the Y-axis label; streams sharing it share an axis.
    public var unitsLong: String?

    public init(
        metric: String, series: Series, groupFunction: GroupFunction = .average, summaryFunction: SummaryFunction = .average,
        name: String? = nil, unitsShort: String? = nil, unitsLong: String? = nil
    ) {
        self.metric = metric
        self.series = series
        self.groupFunction = groupFunction
        self.summaryFunction = summaryFunction
        self.name = name
        self.unitsShort = unitsShort
        self.unitsLong = unitsLong
    }
}

/// A tag filter of a tagged stream: `{"name", "values": […], "grouped"?, "dynamic"?}`.
public struct StreamTag: Sendable, Hashable {
    public var name: String
    /// Values to match; wildcards such as `*` or `web-*` allowed.
    public var values: [String]
    /// Draw one line per value of this tag.
    public var grouped: Bool
    /// Take the filter from the space (then `values` may be empty).
    public var dynamic: Bool

    public init(name: String, values: [String], grouped: Bool = false, dynamic: Bool = false) {
        self.name = name
        self.values = values
        self.grouped = grouped
        self.dynamic = dynamic
    }
}

// MARK: JSON

extension ChartDefinition {
    /// The create/update body. Only `true` flags of tags are written; everything else always.
    public var jsonBody: [UInt8] {
        var w = JSONWriter()
        write(to: &w)
        return w.bytes
    }

    func write(to w: inout JSONWriter) {
        w.object { w in
            w.key("name"); w.string(name)
            w.key("type"); w.string(type.rawValue)
            if let label { w.key("label"); w.string(label) }
            w.key("streams")
            w.array { w in for s in streams { s.write(to: &w) } }
        }
    }

    /// Reads a chart as the API returns it (ids, read-only and unknown fields ignored; `type`, `group_function` and
    /// `summary_function` default as documented). Nil when it is not a chart this type can describe, e.g. one with
    /// a composite stream: such a chart never equals a definition.
    public init?(json: JSONValue) {
        guard let name = json["name"]?.stringValue else { return nil }
        let type: Kind
        switch json["type"] {
        case nil, .null?: type = .line
        case .string(let raw)?:
            guard let k = Kind(rawValue: raw) else { return nil }
            type = k
        default: return nil
        }
        var streams: [StreamDefinition] = []
        for s in json["streams"]?.arrayValue ?? [] {
            guard let stream = StreamDefinition(json: s) else { return nil }
            streams.append(stream)
        }
        self.init(name: name, type: type, label: json["label"]?.stringValue, streams: streams)
    }

    /// Whether `current` (as read back) already is this chart: same name, type and streams; for optional fields
    /// this definition leaves out, whatever `current` holds is fine (so a colour set by hand survives). Metric
    /// names, sources and tags compare case-insensitively, as Librato treats them.
    public func isSatisfied(by current: ChartDefinition) -> Bool {
        name == current.name && type == current.type && (label == nil || label == current.label)
            && streams.count == current.streams.count
            && zip(streams, current.streams).allSatisfy { $0.isSatisfied(by: $1) }
    }
}

extension StreamDefinition {
    func write(to w: inout JSONWriter) {
        w.object { w in
            w.key("metric"); w.string(metric)
            switch series {
            case .source(let source):
                w.key("source"); w.string(source)
            case .tags(let tags):
                w.key("tags")
                w.array { w in
                    for t in tags {
                        w.object { w in
                            w.key("name"); w.string(t.name)
                            if !t.values.isEmpty || !t.dynamic {
                                w.key("values"); w.array { w in for v in t.values { w.string(v) } }
                            }
                            if t.grouped { w.key("grouped"); w.bool(true) }
                            if t.dynamic { w.key("dynamic"); w.bool(true) }
                        }
                    }
                }
            }
            w.key("group_function"); w.string(groupFunction.rawValue)
            w.key("summary_function"); w.string(summaryFunction.rawValue)
            if let name { w.key("name"); w.string(name) }
            if let unitsShort { w.key("units_short"); w.string(unitsShort) }
            if let unitsLong { w.key("units_long"); w.string(unitsLong) }
        }
    }

    init?(json: JSONValue) {
        guard json["composite"] == nil, let metric = json["metric"]?.stringValue else { return nil }
        let series: Series
        if let source = json["source"]?.stringValue {
            series = .source(source)
        } else if let list = json["tags"]?.arrayValue {
            var tags: [StreamTag] = []
            for t in list {
                guard let name = t["name"]?.stringValue else { return nil }
                let values = (t["values"]?.arrayValue ?? []).compactMap(\.stringValue)
                tags.append(StreamTag(name: name, values: values, grouped: t["grouped"] == .bool(true), dynamic: t["dynamic"] == .bool(true)))
            }
            series = .tags(tags)
        } else {
            return nil
        }
        func function<F: RawRepresentable>(_ key: String, default value: F) -> F? where F.RawValue == String {
            switch json[key] {
            case nil, .null?: value
            case .string(let raw)?: F(rawValue: raw)
            default: nil
            }
        }
        guard let group = function("group_function", default: GroupFunction.average),
            let summary = function("summary_function", default: SummaryFunction.average)
        else { return nil }
        self.init(
            metric: metric, series: series, groupFunction: group, summaryFunction: summary, name: json["name"]?.stringValue,
            unitsShort: json["units_short"]?.stringValue, unitsLong: json["units_long"]?.stringValue)
    }

    func isSatisfied(by current: StreamDefinition) -> Bool {
        guard metric.lowercased() == current.metric.lowercased(), groupFunction == current.groupFunction,
            summaryFunction == current.summaryFunction, name == nil || name == current.name,
            unitsShort == nil || unitsShort == current.unitsShort, unitsLong == nil || unitsLong == current.unitsLong
        else { return false }
        switch (series, current.series) {
        case (.source(let a), .source(let b)):
            return a.lowercased() == b.lowercased()
        case (.tags(let a), .tags(let b)):
            func normal(_ tags: [StreamTag]) -> [StreamTag] {
                tags.map { StreamTag(name: $0.name.lowercased(), values: $0.values.map { $0.lowercased() }.sorted(), grouped: $0.grouped, dynamic: $0.dynamic) }
                    .sorted { $0.name < $1.name }
            }
            return normal(a) == normal(b)
        default:
            return false
        }
    }
}
