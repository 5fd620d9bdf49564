import Librato

/// Validates chart bodies (`POST /v1/spaces/:id/charts`, `PUT …/charts/:chart_id`; docs/librato-spaces.md §3) and
/// builds the chart the API returns: ids added, `type`, `group_function` and `summary_function` defaulted, each
/// stream's read-only `type`, `thresholds` null when not given. Every problem of a body is collected into one 400
/// `{"errors":{"params":{…}}}`.
enum ChartValidator {
    static let chartTypes: Set = ["line", "stacked", "bignumber"]
    static let groupFunctions: Set = ["average", "sum", "min", "max", "breakout"]
    static let summaryFunctions: Set = ["max", "min", "average", "sum", "count", "derivative"]
    static let downsampleFunctions: Set = ["max", "min", "average", "sum", "count"]
    /// Optional chart fields kept as given.
    static let options: Set = ["min", "max", "label", "related_space", "thresholds", "use_log_yaxis", "use_last_value"]
    static let streamKeys: Set = [
        "metric", "source", "tags", "composite", "group_function", "summary_function", "downsample_function", "color", "name",
        "units_short", "units_long", "min", "max", "transform_function", "period", "split_axis", "position", "gap_detection",
    ]

    /// A chart's fields after validation (and, for an update, merged over the stored chart).
    struct Fields {
        var name: String
        var type: String
        /// New streams to store (ids and defaults to add), or nil to keep the stored ones.
        var newStreams: [JSONValue]?
        var keptStreams: [JSONValue]
        var options: [JSONMember]
    }

    /// Create (`existing` nil: `name` and `streams` required) or update (every field optional; `streams`, when
    /// sent, replace the old ones).
    static func validate(_ body: JSONValue, existing: JSONValue?) -> Result<Fields, ParamErrors> {
        var errors = ParamErrors()
        guard let members = body.objectMembers else {
            errors.add("request", "the body must be a JSON object")
            return .failure(errors)
        }
        for m in members where m.key != "name" && m.key != "type" && m.key != "streams" && !options.contains(m.key) {
            errors.add(m.key, m.key == "id" ? "is read-only" : "is not a known parameter")
        }
        var fields = Fields(
            name: existing?["name"]?.stringValue ?? "", type: existing?["type"]?.stringValue ?? "line", newStreams: nil,
            keptStreams: existing?["streams"]?.arrayValue ?? [],
            options: (existing?.objectMembers ?? []).filter { options.contains($0.key) && $0.value != .null })
        switch body["name"] {
        case nil: if existing == nil { errors.add("name", "is not present") }
        case .string(let n)?:
            if n.allSatisfy({ $0 == " " }) { errors.add("name", "is not present") } else if n.count > 255 {
                errors.add("name", "is longer than 255 characters")
            }
            fields.name = n
        default: errors.add("name", "is not a string")
        }
        if let t = body["type"] {
            if let type = t.stringValue, chartTypes.contains(type) { fields.type = type } else { errors.add("type", "must be line, stacked or bignumber") }
        }
        switch body["streams"] {
        case nil: if existing == nil { errors.add("streams", "is not present") }
        case .array(let list)?:
            if list.isEmpty { errors.add("streams", "must contain at least one stream") }
            var kinds = Set<String>()
            for (i, s) in list.enumerated() { stream(s, place: "streams[\(i)]", kinds: &kinds, &errors) }
            if kinds.contains("source"), kinds.contains("tags") {
                errors.add("streams", "mixes source-based (source) and tagged (tags) streams")
            }
            fields.newStreams = list
        default: errors.add("streams", "must be an array")
        }
        for m in members where options.contains(m.key) {
            option(m, &errors)
            fields.options.removeAll { $0.key == m.key }
            if m.value != .null { fields.options.append(m) }
        }
        if fields.type == "bignumber", existing == nil, !fields.options.contains(where: { $0.key == "thresholds" }) {
            errors.add("thresholds", "are required for a bignumber chart")
        }
        return errors.isEmpty ? .success(fields) : .failure(errors)
    }

    private static func option(_ m: JSONMember, _ errors: inout ParamErrors) {
        switch m.key {
        case "min", "max": if m.value.doubleValue == nil { errors.add(m.key, "is not a number") }
        case "label": if m.value.stringValue == nil { errors.add(m.key, "is not a string") }
        case "related_space": if m.value.intValue == nil { errors.add(m.key, "is not a space id") }
        case "use_log_yaxis", "use_last_value": if case .bool = m.value {} else { errors.add(m.key, "must be true or false") }
        default:  // thresholds
            guard let list = m.value.arrayValue else {
                errors.add("thresholds", "must be an array")
                return
            }
            for (i, t) in list.enumerated() {
                let ok = t.objectMembers?.allSatisfy { ["operator", "value", "type"].contains($0.key) } == true
                    && [">", "<", "="].contains(t["operator"]?.stringValue ?? "") && t["value"]?.doubleValue != nil
                    && ["red", "yellow"].contains(t["type"]?.stringValue ?? "")
                if !ok { errors.add("thresholds", "thresholds[\(i)] needs operator (> < =), a numeric value and type (red, yellow)") }
            }
        }
    }

    /// One stream: `composite` alone, or `metric` with either `source` (source-based) or `tags` (tagged).
    private static func stream(_ s: JSONValue, place: String, kinds: inout Set<String>, _ errors: inout ParamErrors) {
        guard let members = s.objectMembers else {
            errors.add("streams", "\(place) must be an object")
            return
        }
        for m in members where !streamKeys.contains(m.key) {
            errors.add("streams", "\(place).\(m.key) " + (m.key == "id" || m.key == "type" ? "is read-only" : "is not a known parameter"))
        }
        func string(_ key: String) -> String? {
            guard let v = s[key] else { return nil }
            guard let text = v.stringValue else {
                errors.add("streams", "\(place).\(key) is not a string")
                return nil
            }
            return text
        }
        func oneOf(_ key: String, _ allowed: Set<String>) {
            if let v = string(key), !allowed.contains(v) { errors.add("streams", "\(place).\(key) must be one of \(allowed.sorted().joined(separator: ", "))") }
        }
        if let composite = string("composite") {
            if composite.isEmpty { errors.add("streams", "\(place).composite is empty") }
            for key in ["metric", "source", "tags", "group_function"] where s[key] != nil {
                errors.add("streams", "\(place).\(key) can not be specified with composite")
            }
            oneOf("downsample_function", downsampleFunctions)
            kinds.insert("composite")
        } else {
            if s["downsample_function"] != nil { errors.add("streams", "\(place).downsample_function is only for composite streams") }
            if let metric = string("metric") {
                if !FakeLibratoRules.isValidName(metric) { errors.add("streams", "\(place).metric '\(metric)' is invalid") }
            } else if s["metric"] == nil {
                errors.add("streams", "\(place).metric is not present")
            }
            switch (s["source"], s["tags"]) {
            case (nil, nil): errors.add("streams", "\(place) needs a source (source-based) or tags (tagged)")
            case (_?, _?): errors.add("streams", "\(place): source and tags can not be combined")
            case (_?, nil):
                kinds.insert("source")
                if let source = string("source"), !isValidSourcePattern(source) {
                    errors.add("streams", "\(place).source '\(source)' is invalid")
                }
            case (nil, let tags?):
                kinds.insert("tags")
                streamTags(tags, place: "\(place).tags", &errors)
            }
            oneOf("group_function", groupFunctions)
        }
        oneOf("summary_function", summaryFunctions)
        if let color = string("color"), !isColor(color) { errors.add("streams", "\(place).color must be like #52D74C") }
        for key in ["name", "units_short", "units_long"] { _ = string(key) }
        for key in ["min", "max"] where s[key] != nil && s[key]?.doubleValue == nil { errors.add("streams", "\(place).\(key) is not a number") }
        if let p = s["period"], (p.intValue ?? 0) <= 0 { errors.add("streams", "\(place).period must be a positive number of seconds") }
        if let p = s["position"], p.intValue == nil { errors.add("streams", "\(place).position is not an integer") }
        for key in ["split_axis", "gap_detection"] {
            if let v = s[key] { if case .bool = v {} else { errors.add("streams", "\(place).\(key) must be true or false") } }
        }
        // The documented pattern /^[\dxp()+-\/ ]+$/ taken literally (no `*`; docs/librato-spaces.md §6.6).
        if let t = string("transform_function"),
            t.isEmpty || !t.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || "xp()+,-./ ".utf8.contains($0) })
        {
            errors.add("streams", "\(place).transform_function '\(t)' is invalid")
        }
    }

    /// `[{"name", "values": [...], "grouped"?, "dynamic"?}]`, at least one; `values` required unless dynamic.
    private static func streamTags(_ v: JSONValue, place: String, _ errors: inout ParamErrors) {
        guard let list = v.arrayValue, !list.isEmpty else {
            errors.add("streams", "\(place) must be a non-empty array of {name, values}")
            return
        }
        for (i, t) in list.enumerated() {
            let here = "\(place)[\(i)]"
            guard let members = t.objectMembers else {
                errors.add("streams", "\(here) must be an object")
                continue
            }
            for m in members where !["name", "values", "grouped", "dynamic"].contains(m.key) {
                errors.add("streams", "\(here).\(m.key) is not a known parameter")
            }
            if let name = t["name"]?.stringValue {
                if !FakeLibratoRules.isValidTagName(name) { errors.add("streams", "\(here).name '\(name)' is invalid") }
            } else {
                errors.add("streams", "\(here).name is not present")
            }
            var dynamic = false
            for key in ["grouped", "dynamic"] {
                guard let b = t[key] else { continue }
                if case .bool(let on) = b { if key == "dynamic" { dynamic = on } } else { errors.add("streams", "\(here).\(key) must be true or false") }
            }
            switch t["values"] {
            case nil: if !dynamic { errors.add("streams", "\(here).values is not present") }
            case .array(let values)?:
                if values.isEmpty, !dynamic { errors.add("streams", "\(here).values must not be empty") }
                for value in values where !(value.stringValue.map(isValidTagValuePattern) ?? false) {
                    errors.add("streams", "\(here).values: \(value.jsonText) is not a valid tag value or pattern")
                }
            default: errors.add("streams", "\(here).values must be an array")
            }
        }
    }

    /// A source, a wildcard pattern (`*` anywhere), or `%` (the dynamic source).
    static func isValidSourcePattern(_ s: String) -> Bool {
        s == "%" || ((1...255).contains(s.utf8.count) && s.utf8.allSatisfy { FakeLibratoRules.isNameByte($0) || $0 == UInt8(ascii: "*") })
    }

    /// A tag value, or a pattern of one with `*`.
    static func isValidTagValuePattern(_ s: String) -> Bool {
        FakeLibratoRules.isValidTagValue(String(decoding: s.utf8.map { $0 == UInt8(ascii: "*") ? UInt8(ascii: "x") : $0 }, as: UTF8.self))
    }

    static func isColor(_ s: String) -> Bool {
        let b = Array(s.utf8)
        return b.count == 7 && b[0] == UInt8(ascii: "#")
            && b.dropFirst().allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x46) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    // MARK: the stored chart

    /// The chart as the API returns it: `{"id","name","type",<options>,"streams":[…],"thresholds"}`.
    static func stored(_ f: Fields, id: Int, streamIDs: inout Int) -> FakeChart {
        var streams = f.keptStreams
        if let new = f.newStreams {
            streams = new.map { s in
                defer { streamIDs += 1 }
                return normalised(s, id: streamIDs)
            }
        }
        var members = [JSONMember("id", .number(String(id))), JSONMember("name", .string(f.name)), JSONMember("type", .string(f.type))]
        members += f.options.filter { $0.key != "thresholds" }
        members.append(JSONMember("streams", .array(streams)))
        members.append(JSONMember("thresholds", f.options.first { $0.key == "thresholds" }?.value ?? .null))
        return FakeChart(id: id, json: .object(members))
    }

    /// A stream as returned: its id first, the fields as sent, then the defaults and the read-only `type`.
    private static func normalised(_ s: JSONValue, id: Int) -> JSONValue {
        var members = [JSONMember("id", .number(String(id)))]
        for m in s.objectMembers ?? [] {
            if m.key == "tags", let tags = m.value.arrayValue {
                members.append(JSONMember("tags", .array(tags.map(normalisedTag))))
            } else {
                members.append(m)
            }
        }
        let composite = s["composite"] != nil
        if !composite, s["group_function"] == nil { members.append(JSONMember("group_function", .string("average"))) }
        if s["summary_function"] == nil { members.append(JSONMember("summary_function", .string("average"))) }
        members.append(JSONMember("type", .string(composite ? "composite" : "gauge")))
        return .object(members)
    }

    /// A stream tag as returned: `values`, `grouped` and `dynamic` always present.
    private static func normalisedTag(_ t: JSONValue) -> JSONValue {
        .object([
            JSONMember("name", t["name"] ?? .null), JSONMember("values", t["values"] ?? .array([])),
            JSONMember("grouped", t["grouped"] ?? .bool(false)), JSONMember("dynamic", t["dynamic"] ?? .bool(false)),
        ])
    }
}
