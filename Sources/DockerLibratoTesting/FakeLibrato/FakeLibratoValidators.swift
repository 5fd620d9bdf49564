import Librato

/// Validates `POST /v1/metrics` and `POST /v1/measurements` bodies (docs/librato-api.md §2, §3). A request is accepted or
/// rejected as a whole: any problem answers 400 and stores nothing (whether Librato stores the valid part is
/// UNCONFIRMED; "fix before resending" suggests not), which is what makes clients isolate bad measurements.
struct MeasurementValidator {
    let configuration: FakeLibratoConfiguration
    let now: Double

    private static let legacyTop: Set = ["gauges", "counters", "source", "measure_time", "attributes"]
    private static let legacyCommon: Set = [
        "name", "value", "measure_time", "source", "period", "attributes", "display_name", "description",
    ]
    private static let legacyGauge = legacyCommon.union(["count", "sum", "min", "max", "sum_squares"])
    private static let taggedTop: Set = ["measurements", "tags", "time", "period"]
    private static let taggedEntry: Set = [
        "name", "value", "time", "tags", "period", "attributes", "count", "sum", "min", "max", "last", "stddev",
    ]

    // MARK: legacy

    func validateLegacy(_ body: JSONValue) -> Result<[AcceptedMeasurement], ParamErrors> {
        var errors = ParamErrors()
        guard let top = body.objectMembers else {
            errors.add("request", "the body must be a JSON object")
            return .failure(errors)
        }
        for m in top where !Self.legacyTop.contains(m.key) { errors.add(m.key, "is not a known parameter") }
        var defaultSource: String?
        if let s = body["source"] {
            defaultSource = FakeLibratoRules.string(s, "source", &errors)
            if let d = defaultSource, !FakeLibratoRules.isValidSource(d) { errors.add("source", "'\(d)' is invalid") }
        }
        let defaultTime = body["measure_time"].flatMap {
            FakeLibratoRules.time($0, "measure_time", now: now, configuration: configuration, &errors)
        }
        if let a = body["attributes"], a.objectMembers == nil { errors.add("attributes", "must be an object") }

        var result: [AcceptedMeasurement] = []
        for (kindKey, kind) in [("gauges", AcceptedMeasurement.Kind.gauge), ("counters", .counter)] {
            guard let list = body[kindKey] else { continue }
            var entries: [(hashKey: String?, value: JSONValue, place: String)] = []
            switch list {
            case .array(let a): entries = a.enumerated().map { (nil, $1, "\(kindKey)[\($0)]") }
            case .object(let members): entries = members.map { ($0.key, $0.value, "\(kindKey)[\($0.key)]") }
            default: errors.add(kindKey, "must be an array or an object")
            }
            for e in entries {
                var m = AcceptedMeasurement(kind: kind, name: "", source: defaultSource, tags: [:], time: defaultTime ?? Int(now))
                legacyEntry(e.value, hashKey: e.hashKey, place: e.place, into: &m, &errors)
                result.append(m)
            }
        }
        if result.isEmpty, errors.isEmpty { errors.add("gauges", "must contain at least one measurement") }
        if let limit = configuration.maxLegacyMeasurements, result.count > limit {
            errors.add("gauges", "too many measurements in one request: \(result.count) > \(limit) (fake's limit)")
        }
        return errors.isEmpty ? .success(result) : .failure(errors)
    }

    private func legacyEntry(_ v: JSONValue, hashKey: String?, place: String, into m: inout AcceptedMeasurement, _ errors: inout ParamErrors) {
        guard let members = v.objectMembers else {
            errors.add(place, "must be an object")
            return
        }
        let allowed = m.kind == .gauge ? Self.legacyGauge : Self.legacyCommon
        for member in members where !allowed.contains(member.key) {
            // `last`/`stddev` are tagged-only fields; the legacy docs do not list them (UNCONFIRMED), so we reject.
            let why = m.kind == .counter && Self.legacyGauge.contains(member.key)
                ? "is only allowed on gauges (\(place))" : "is not a known parameter (\(place))"
            errors.add(member.key, why)
        }
        name(v["name"] ?? hashKey.map(JSONValue.string), place: place, into: &m, &errors)
        if let s = v["source"], let source = FakeLibratoRules.string(s, "source", &errors) {
            if FakeLibratoRules.isValidSource(source) { m.source = source } else { errors.add("source", "'\(source)' is invalid (\(place))") }
        }
        if let t = v["measure_time"], let time = FakeLibratoRules.time(t, "measure_time", now: now, configuration: configuration, &errors) {
            m.time = time
        }
        values(v, summaryKeys: ["min", "max", "sum_squares"], place: place, into: &m, &errors)
        common(v, into: &m, &errors)
        for key in ["display_name", "description"] { if let s = v[key] { _ = FakeLibratoRules.string(s, key, &errors) } }
    }

    // MARK: tagged

    func validateTagged(_ body: JSONValue) -> Result<[AcceptedMeasurement], ParamErrors> {
        var errors = ParamErrors()
        guard let top = body.objectMembers else {
            errors.add("request", "the body must be a JSON object")
            return .failure(errors)
        }
        for m in top where !Self.taggedTop.contains(m.key) { errors.add(m.key, "is not a known parameter") }
        let topTags = body["tags"].flatMap { tags($0, place: "tags", &errors) }
        let topTime = body["time"].flatMap { FakeLibratoRules.time($0, "time", now: now, configuration: configuration, &errors) }
        let topPeriod = body["period"].flatMap { FakeLibratoRules.integer($0, "period", &errors) }
        guard let list = body["measurements"]?.arrayValue, !list.isEmpty else {
            errors.add("measurements", "is required: a non-empty array")
            return .failure(errors)
        }
        if let limit = configuration.maxTaggedMeasurements, list.count > limit {
            errors.add("measurements", "too many measurements in one request: \(list.count) > \(limit) (keep under 1,000)")
        }
        var result: [AcceptedMeasurement] = []
        for (i, v) in list.enumerated() {
            let place = "measurements[\(i)]"
            guard let members = v.objectMembers else {
                errors.add(place, "must be an object")
                continue
            }
            for member in members where !Self.taggedEntry.contains(member.key) {
                errors.add(member.key, member.key == "sum_squares"
                    ? "is not a tagged field: send stddev instead (\(place))" : "is not a known parameter (\(place))")
            }
            var m = AcceptedMeasurement(kind: .tagged, name: "", source: nil, tags: [:], time: topTime ?? Int(now), period: topPeriod)
            name(v["name"], place: place, into: &m, &errors)
            if let t = v["time"], let time = FakeLibratoRules.time(t, "time", now: now, configuration: configuration, &errors) {
                m.time = time
            }
            // Per-measurement tags replace the top-level set completely; they are never merged.
            let own = v["tags"].flatMap { tags($0, place: "\(place).tags", &errors) }
            if let effective = own ?? topTags {
                m.tags = effective
            } else if v["tags"] == nil {
                errors.add("tags", "are required, at the top level or per measurement (\(place))")
            }
            values(v, summaryKeys: ["min", "max", "last", "stddev"], place: place, into: &m, &errors)
            if let s = m.stddev, s < 0 { errors.add("stddev", "must not be negative (\(place))") }
            common(v, into: &m, &errors)
            result.append(m)
        }
        return errors.isEmpty ? .success(result) : .failure(errors)
    }

    private func tags(_ v: JSONValue, place: String, _ errors: inout ParamErrors) -> [String: String]? {
        guard let members = v.objectMembers else {
            errors.add("tags", "must be an object (\(place))")
            return nil
        }
        if members.isEmpty { errors.add("tags", "must contain at least one tag (\(place))") }
        if members.count > configuration.maxTags {
            errors.add("tags", "has \(members.count) tags, more than \(configuration.maxTags) (\(place))")
        }
        var out: [String: String] = [:]
        for member in members {
            if !FakeLibratoRules.isValidTagName(member.key) { errors.add("tags", "name '\(member.key)' is invalid (\(place))") }
            guard let value = member.value.stringValue else {
                errors.add("tags", "value of '\(member.key)' is not a string (\(place))")
                continue
            }
            if !FakeLibratoRules.isValidTagValue(value) { errors.add("tags", "value '\(value)' is invalid (\(place))") }
            out[member.key] = value
        }
        return out
    }

    // MARK: shared

    private func name(_ v: JSONValue?, place: String, into m: inout AcceptedMeasurement, _ errors: inout ParamErrors) {
        guard let v else {
            errors.add("name", "is not present (\(place))")
            return
        }
        guard let n = FakeLibratoRules.string(v, "name", &errors) else { return }
        if FakeLibratoRules.isValidName(n) { m.name = n } else { errors.add("name", "'\(n)' is invalid (\(place))") }
    }

    /// `value`, or `count` + `sum` + the optional summary fields, never both.
    private func values(_ v: JSONValue, summaryKeys: [String], place: String, into m: inout AcceptedMeasurement, _ errors: inout ParamErrors) {
        let hasValue = v["value"] != nil
        let hasCount = v["count"] != nil
        if hasValue, hasCount { errors.add("value", "must not be sent together with count (\(place))") }
        if !hasValue, !hasCount { errors.add("value", "is not present (\(place))") }
        if let x = v["value"] { m.value = FakeLibratoRules.number(x, "value", &errors) }
        if let c = v["count"] {
            if let n = FakeLibratoRules.integer(c, "count", &errors) {
                if n >= 1 { m.count = n } else { errors.add("count", "must be at least 1 (\(place))") }
            }
            if v["sum"] == nil { errors.add("sum", "is required when count is present (\(place))") }
        }
        if let s = v["sum"] { m.sum = FakeLibratoRules.number(s, "sum", &errors) }
        for key in summaryKeys {
            guard let x = v[key] else { continue }
            if !hasCount { errors.add(key, "is only allowed with count (\(place))") }
            let n = FakeLibratoRules.number(x, key, &errors)
            switch key {
            case "min": m.min = n
            case "max": m.max = n
            case "sum_squares": m.sumSquares = n
            case "last": m.last = n
            default: m.stddev = n
            }
        }
        if v["sum"] != nil, !hasCount { errors.add("sum", "is only allowed with count (\(place))") }
    }

    private func common(_ v: JSONValue, into m: inout AcceptedMeasurement, _ errors: inout ParamErrors) {
        if let p = v["period"], let n = FakeLibratoRules.integer(p, "period", &errors) {
            if n > 0 { m.period = n } else { errors.add("period", "must be a positive number of seconds") }
        }
        if let a = v["attributes"] {
            if a.objectMembers == nil { errors.add("attributes", "must be an object") } else { m.attributes = a }
        }
    }
}
