/// What sanitising changed in a measurement that is still worth sending.
public struct SanitiseNotes: Sendable, Hashable {
    /// The name, source or a tag was rewritten.
    public var renamed = false
    /// Optional numeric fields (min, max, sum of squares, last, period, display bounds) left out because they were
    /// not finite or out of range.
    public var droppedFields = 0
    /// Tags dropped (empty after cleaning, colliding after lower-casing, or beyond the 50-tag limit).
    public var droppedTags = 0

    /// No change at all.
    public var isClean: Bool { !renamed && droppedFields == 0 && droppedTags == 0 }
}

/// The result of sanitising one measurement for one API.
public enum SanitiseResult: Sendable, Hashable {
    /// Send this (cleaned) measurement.
    case valid(Measurement, SanitiseNotes)
    /// Cannot be sent at all; `reason` says why.
    case rejected(reason: String)
}

extension Sanitiser {
    /// Cleans a whole measurement for `api`: name, source, tags, and numbers. A measurement whose main value
    /// (`value`, or `count`/`sum`) is unusable is rejected; unusable optional fields are dropped and counted.
    /// For the tagged API a measurement without tags gets `source=<source>` as its tag set, and is rejected when it
    /// has neither.
    public static func measurement(_ input: Measurement, for api: LibratoAPI) -> SanitiseResult {
        var m = input
        var notes = SanitiseNotes()
        m.name = metricName(input.name)
        m.source = source(input.source)
        notes.renamed = m.name != input.name || m.source != input.source

        if api == .tagged, isClean(tags: input.tags) {
            if input.tags.isEmpty, let source = m.source { m.tags = ["source": source] }
            if m.tags.isEmpty {
                return .rejected(reason: "the tagged API needs at least one tag per measurement: give `\(m.name)` tags or a source")
            }
        } else if api == .tagged {
            let (tags, dropped) = tags(input.tags)
            notes.droppedTags = dropped
            notes.renamed = notes.renamed || tags.count + dropped != input.tags.count || tags != input.tags
            m.tags = tags
            if m.tags.isEmpty, let source = m.source { m.tags = ["source": source] }
            if m.tags.isEmpty {
                return .rejected(reason: "the tagged API needs at least one tag per measurement: give `\(m.name)` tags or a source")
            }
        }
        guard input.time > 0 else {
            return .rejected(reason: "time \(input.time) is not a positive number of epoch seconds")
        }
        switch input.value {
        case .single(let v):
            guard let clean = number(v) else { return .rejected(reason: "value \(v) is not finite or exceeds 1e126") }
            m.value = .single(clean)
        case .summary(let s):
            guard s.count >= 1 else { return .rejected(reason: "summary count \(s.count) is not at least 1") }
            guard let sum = number(s.sum) else { return .rejected(reason: "summary sum \(s.sum) is not finite or exceeds 1e126") }
            var clean = Summary(count: s.count, sum: sum)
            clean.min = optional(s.min, &notes)
            clean.max = optional(s.max, &notes)
            clean.sumSquares = optional(s.sumSquares, &notes)
            clean.last = optional(s.last, &notes)
            m.value = .summary(clean)
        }
        if let period = input.period, period <= 0 {
            m.period = nil
            notes.droppedFields += 1
        }
        if var a = input.attributes {
            a.displayMax = optional(a.displayMax, &notes)
            a.displayMin = optional(a.displayMin, &notes)
            m.attributes = a.isEmpty ? nil : a
        }
        return .valid(m, notes)
    }

    private static func optional(_ x: Double?, _ notes: inout SanitiseNotes) -> Double? {
        guard let x else { return nil }
        guard let clean = number(x) else {
            notes.droppedFields += 1
            return nil
        }
        return clean
    }
}
