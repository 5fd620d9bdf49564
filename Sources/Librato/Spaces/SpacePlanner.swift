/// A space as the API lists it.
public struct SpaceSummary: Sendable, Hashable {
    public var id: Int
    public var name: String

    public init(id: Int, name: String) {
        self.id = id
        self.name = name
    }
}

/// A chart as the API returns it: its id, its name, and what it draws (nil when it holds something a
/// ``ChartDefinition`` cannot describe, such as a composite stream).
public struct CurrentChart: Sendable, Hashable {
    public var id: Int
    public var name: String
    public var definition: ChartDefinition?

    public init(id: Int, name: String, definition: ChartDefinition?) {
        self.id = id
        self.name = name
        self.definition = definition
    }
}

/// The space found by name, with its charts.
public struct CurrentSpace: Sendable, Hashable {
    public var id: Int
    public var charts: [CurrentChart]

    public init(id: Int, charts: [CurrentChart]) {
        self.id = id
        self.charts = charts
    }
}

/// One request of the Spaces API (docs/librato-spaces.md), with its method, path and JSON body.
public enum SpaceRequest: Sendable, Hashable {
    /// The space a chart request is for.
    public enum Space: Sendable, Hashable {
        case id(Int)
        /// The one this plan's ``createSpace(name:)`` creates (its id is known once that request is answered).
        case created
    }

    /// `GET /v1/spaces?name=…&offset=…&length=100`: one page of the spaces whose names contain `name`.
    case listSpaces(name: String, offset: Int)
    /// `GET /v1/spaces/:id/charts`: every chart of a space (not paginated).
    case listCharts(space: Int)
    /// `POST /v1/spaces {"name"}`.
    case createSpace(name: String)
    /// `POST /v1/spaces/:id/charts`.
    case createChart(space: Space, ChartDefinition)
    /// `PUT /v1/spaces/:id/charts/:chart_id` with the whole chart (its `streams` replace the old ones).
    case updateChart(space: Int, chart: Int, ChartDefinition)

    /// The page size asked for: the documented maximum.
    public static let pageLength = 100

    public var method: String {
        switch self {
        case .listSpaces, .listCharts: "GET"
        case .createSpace, .createChart: "POST"
        case .updateChart: "PUT"
        }
    }

    /// Whether the request changes anything.
    public var isWrite: Bool { method != "GET" }

    /// The path and query; a chart of the space this plan creates is shown as `/v1/spaces/:id/…` until its id is
    /// known (`createdSpace`).
    public func path(createdSpace: Int? = nil) -> String {
        func space(_ s: Space) -> String {
            switch s {
            case .id(let id): String(id)
            case .created: createdSpace.map(String.init) ?? ":id"
            }
        }
        switch self {
        case .listSpaces(let name, let offset):
            return "/v1/spaces?name=\(PercentEncoding.queryValue(name))&offset=\(offset)&length=\(Self.pageLength)"
        case .listCharts(let id): return "/v1/spaces/\(id)/charts"
        case .createSpace: return "/v1/spaces"
        case .createChart(let s, _): return "/v1/spaces/\(space(s))/charts"
        case .updateChart(let s, let chart, _): return "/v1/spaces/\(s)/charts/\(chart)"
        }
    }

    /// The JSON body; nil for reads.
    public var body: [UInt8]? {
        switch self {
        case .listSpaces, .listCharts: return nil
        case .createSpace(let name):
            var w = JSONWriter()
            w.object { w in w.key("name"); w.string(name) }
            return w.bytes
        case .createChart(_, let chart), .updateChart(_, _, let chart): return chart.jsonBody
        }
    }
}

/// What has to change for a space to be as defined: the writes, in order, and the charts left as they are.
public struct SpacePlan: Sendable, Hashable {
    /// The space the charts go to.
    public var space: SpaceRequest.Space
    /// `createSpace` (when there is none), then `createChart` / `updateChart` in the definition's chart order.
    public var requests: [SpaceRequest]
    /// Charts already as defined.
    public var unchanged: [String]
}

/// The pure part of "create or update a space by name": which listed space is ours, and which writes make it as
/// defined. No I/O; ``LibratoClient/syncSpace(_:maxAttempts:)`` performs what it plans.
///
/// Rules: the space is found by name (an exact match first, else one equal ignoring case, as Librato's search
/// ignores case; with several, the lowest id); created when missing. Each chart is found by its name within the
/// space (the lowest id when a name is there twice): created when missing, replaced with PUT only when it differs
/// (``ChartDefinition/isSatisfied(by:)``). Charts the definition does not name are left alone, and nothing is ever
/// deleted — so running it again changes nothing.
public enum SpacePlanner {
    /// Ours among `spaces` (a listing filtered by name, so it may hold longer names that contain it).
    public static func match(_ name: String, in spaces: [SpaceSummary]) -> SpaceSummary? {
        let byID = spaces.sorted { $0.id < $1.id }
        return byID.first { $0.name == name } ?? byID.first { $0.name.lowercased() == name.lowercased() }
    }

    /// The writes that make `current` (nil: no such space yet) into `desired`.
    public static func plan(_ desired: SpaceDefinition, current: CurrentSpace?) -> SpacePlan {
        guard let current else {
            return SpacePlan(
                space: .created, requests: [.createSpace(name: desired.name)] + desired.charts.map { .createChart(space: .created, $0) },
                unchanged: [])
        }
        var requests: [SpaceRequest] = []
        var unchanged: [String] = []
        let existing = current.charts.sorted { $0.id < $1.id }
        for chart in desired.charts {
            guard let found = existing.first(where: { $0.name == chart.name }) else {
                requests.append(.createChart(space: .id(current.id), chart))
                continue
            }
            if let now = found.definition, chart.isSatisfied(by: now) {
                unchanged.append(chart.name)
            } else {
                requests.append(.updateChart(space: current.id, chart: found.id, chart))
            }
        }
        return SpacePlan(space: .id(current.id), requests: requests, unchanged: unchanged)
    }

    /// Problems that make a definition unusable (an empty space or chart name, a chart name used twice, a chart
    /// without streams); empty when it is fine.
    public static func problems(_ space: SpaceDefinition) -> [String] {
        var out: [String] = []
        if space.name.isEmpty { out.append("the space has no name") }
        var seen = Set<String>()
        for c in space.charts {
            if c.name.isEmpty { out.append("a chart has no name") }
            if !seen.insert(c.name).inserted { out.append("the chart name '\(c.name)' is used twice") }
            if c.streams.isEmpty { out.append("the chart '\(c.name)' has no streams") }
        }
        return out
    }

    // MARK: responses

    /// One page of `GET /v1/spaces`: its spaces and where the next page starts (nil: this was the last). The
    /// listing ends when a page is empty or `offset + returned` reaches `query.found` (`total` when `found` is
    /// absent), whichever comes first.
    public static func spacesPage(_ json: JSONValue, offset: Int) -> (spaces: [SpaceSummary], next: Int?)? {
        guard let list = json["spaces"]?.arrayValue else { return nil }
        var spaces: [SpaceSummary] = []
        for s in list {
            guard let id = s["id"]?.intValue, let name = s["name"]?.stringValue else { return nil }
            spaces.append(SpaceSummary(id: id, name: name))
        }
        let query = json["query"]
        let found = query?["found"]?.intValue ?? query?["total"]?.intValue ?? 0
        let next = offset + spaces.count
        return (spaces, spaces.isEmpty || next >= found ? nil : next)
    }

    /// `GET /v1/spaces/:id/charts`: a bare array of chart objects.
    public static func charts(_ json: JSONValue) -> [CurrentChart]? {
        guard let list = json.arrayValue else { return nil }
        var out: [CurrentChart] = []
        for c in list {
            guard let id = c["id"]?.intValue, let name = c["name"]?.stringValue else { return nil }
            out.append(CurrentChart(id: id, name: name, definition: ChartDefinition(json: c)))
        }
        return out
    }
}

/// Percent-encoding of a query value (RFC 3986: everything but `A-Za-z0-9-._~` as `%XX` of its UTF-8 bytes).
enum PercentEncoding {
    static func queryValue(_ s: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(b)
            default:
                out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 0xF)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension DryRunSink {
    /// Prints the requests that would make `space` on an account that does not have it yet — the search for it,
    /// `POST /v1/spaces`, then one `POST /v1/spaces/:id/charts` per chart — and returns that plan. Without a
    /// credential nothing can be read, so this is what a first run sends.
    @discardableResult
    public func emitSpacePlan(_ space: SpaceDefinition) -> SpacePlan {
        let plan = SpacePlanner.plan(space, current: nil)
        for r in [SpaceRequest.listSpaces(name: space.name, offset: 0)] + plan.requests {
            emit(method: r.method, url: configuration.baseURL + r.path(), body: r.body)
        }
        return plan
    }
}
