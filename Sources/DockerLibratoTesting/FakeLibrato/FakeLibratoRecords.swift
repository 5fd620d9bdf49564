public import Librato

/// One request as the fake received it, and what it answered.
public struct RecordedRequest: Sendable {
    /// `POST`, `GET`, …
    public var method: String
    /// The request target, e.g. `/v1/metrics`.
    public var uri: String
    /// Header fields in arrival order.
    public var headers: [(name: String, value: String)]
    /// The raw body (cut at the body limit + 1 byte).
    public var body: [UInt8]
    /// The status answered; nil when the connection was dropped or stalled without an answer.
    public var status: Int?
    /// The injected fault, if any.
    public var fault: FakeLibratoFault?
    /// Measurements (or annotations) this request stored.
    public var storedCount: Int
    /// Arrival time, epoch seconds (the fake's clock).
    public var receivedAt: Double

    /// The first header field named `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The body as UTF-8 text.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// A measurement the fake accepted, exactly as posted (time defaulted to arrival when absent). Each accepted
/// measurement is stored as a new data point, as docs/librato-api.md §2 says ("each measurement creates a new data
/// point"): a period posted twice shows up twice, so tests can detect replays with ``FakeLibratoSnapshot/points(name:source:time:)``.
public struct AcceptedMeasurement: Sendable, Hashable {
    /// Legacy gauges/counters or tagged measurements.
    public enum Kind: String, Sendable, Hashable {
        case gauge, counter, tagged
    }

    public var kind: Kind
    public var name: String
    /// Legacy source (entry or request default); nil when none.
    public var source: String?
    /// Tagged tags (entry or request level); empty for legacy.
    public var tags: [String: String]
    /// `measure_time`/`time`, or the arrival second when absent.
    public var time: Int
    public var value: Double?
    public var count: Int?
    public var sum: Double?
    public var min: Double?
    public var max: Double?
    public var sumSquares: Double?
    public var last: Double?
    public var stddev: Double?
    public var period: Int?
    /// The `attributes` object as posted.
    public var attributes: JSONValue?

    /// Creates a record (the fake fills these; tests build expected values with it).
    public init(
        kind: Kind, name: String, source: String? = nil, tags: [String: String] = [:], time: Int, value: Double? = nil,
        count: Int? = nil, sum: Double? = nil, min: Double? = nil, max: Double? = nil, sumSquares: Double? = nil,
        last: Double? = nil, stddev: Double? = nil, period: Int? = nil, attributes: JSONValue? = nil
    ) {
        self.kind = kind
        self.name = name
        self.source = source
        self.tags = tags
        self.time = time
        self.value = value
        self.count = count
        self.sum = sum
        self.min = min
        self.max = max
        self.sumSquares = sumSquares
        self.last = last
        self.stddev = stddev
        self.period = period
        self.attributes = attributes
    }

    /// Identity of the data point: lower-cased name and source/tags (Librato treats them case-insensitively),
    /// and time.
    public var pointKey: PointKey {
        PointKey(
            name: name.lowercased(), source: source?.lowercased(),
            tags: Dictionary(uniqueKeysWithValues: tags.map { ($0.key.lowercased(), $0.value.lowercased()) }), time: time)
    }
}

/// Identifies one data point: (name, source or tags, time), case-insensitively.
public struct PointKey: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var source: String?
    public var tags: [String: String]
    public var time: Int

    public var description: String {
        let series = source ?? tags.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        return "\(name){\(series)}@\(time)"
    }
}

/// An annotation the fake created.
public struct AcceptedAnnotation: Sendable, Hashable {
    public var id: Int
    public var stream: String
    public var title: String
    public var description: String?
    public var source: String?
    public var startTime: Int?
    public var endTime: Int?
    public var links: [Annotation.Link]
}

/// Everything the fake has recorded so far.
public struct FakeLibratoSnapshot: Sendable {
    /// Every request, in arrival order.
    public var requests: [RecordedRequest] = []
    /// Every accepted measurement, in arrival order (duplicates included).
    public var accepted: [AcceptedMeasurement] = []
    /// Every created annotation.
    public var annotations: [AcceptedAnnotation] = []

    /// Accepted legacy points for (name, source, time), case-insensitively; more than one means a duplicate.
    public func points(name: String, source: String?, time: Int) -> [AcceptedMeasurement] {
        let key = PointKey(name: name.lowercased(), source: source?.lowercased(), tags: [:], time: time)
        return accepted.filter { $0.pointKey == key }
    }

    /// Accepted tagged points for (name, tags, time), case-insensitively.
    public func points(name: String, tags: [String: String], time: Int) -> [AcceptedMeasurement] {
        let key = PointKey(
            name: name.lowercased(), source: nil,
            tags: Dictionary(uniqueKeysWithValues: tags.map { ($0.key.lowercased(), $0.value.lowercased()) }), time: time)
        return accepted.filter { $0.pointKey == key }
    }

    /// Points posted more than once, with how often.
    public var duplicates: [PointKey: Int] {
        var counts: [PointKey: Int] = [:]
        for m in accepted { counts[m.pointKey, default: 0] += 1 }
        return counts.filter { $0.value > 1 }
    }

    /// Requests answered with `status`.
    public func requests(withStatus status: Int) -> [RecordedRequest] { requests.filter { $0.status == status } }

    /// Number of requests by answered status (`nil` = dropped or stalled).
    public var statusCounts: [Int?: Int] {
        var counts: [Int?: Int] = [:]
        for r in requests { counts[r.status, default: 0] += 1 }
        return counts
    }
}
