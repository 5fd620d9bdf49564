public import Librato
import Synchronization

/// A space the fake holds.
public struct FakeSpace: Sendable, Hashable {
    public var id: Int
    public var name: String
    /// Its charts in creation order, each as the API returns it.
    public var charts: [FakeChart]
}

/// A chart the fake holds: the object `GET /v1/spaces/:id/charts/:chart_id` returns.
public struct FakeChart: Sendable, Hashable {
    public var id: Int
    public var json: JSONValue
    public var name: String { json["name"]?.stringValue ?? "" }
    /// The `streams` array.
    public var streams: [JSONValue] { json["streams"]?.arrayValue ?? [] }
}

/// The account's spaces, charts and id counters.
struct FakeSpaces {
    var spaces: [FakeSpace] = []
    var nextSpaceID = 1
    var nextChartID = 1
    var nextStreamID = 1

    func index(of id: Int) -> Int? { spaces.firstIndex { $0.id == id } }

    /// Whether another space already has `name` (compared ignoring case: the strict reading of "unique name").
    func nameTaken(_ name: String, except id: Int? = nil) -> Bool {
        spaces.contains { $0.id != id && $0.name.lowercased() == name.lowercased() }
    }

    mutating func addSpace(name: String) -> Int {
        let id = nextSpaceID
        nextSpaceID += 1
        spaces.append(FakeSpace(id: id, name: name, charts: []))
        return id
    }
}

extension FakeLibrato {
    /// The account's spaces with their charts, in creation order.
    public var spaces: [FakeSpace] { core.state.withLock { $0.spaces.spaces } }

    /// Adds a space directly (as if it existed before the test), bypassing the API; returns its id.
    @discardableResult
    public func addSpace(name: String) -> Int {
        core.state.withLock { $0.spaces.addSpace(name: name) }
    }
}

/// The Spaces and Charts API (docs/librato-spaces.md): `/v1/spaces` (list, create), `/v1/spaces/:id` (retrieve,
/// rename, delete), `/v1/spaces/:id/charts` (list, create), `/v1/spaces/:id/charts/:chart_id` (retrieve, update,
/// delete). Authentication, rate limits and faults are applied before, as for every path.
///
/// Strict readings where the sources are silent or disagree (the client passing the fake is then safe against the
/// real service): space names are unique ignoring case (422 otherwise) and at most 255 characters; the `name`
/// search matches substrings ignoring case; unknown query parameters and body fields are 400; `length` above 100 is
/// 400, not clamped; chart `name` and `streams` are required on create; a stream is either source-based (`metric` +
/// `source`) or tagged (`metric` + `tags`), never both and never mixed within a chart, or `composite` alone; a
/// bignumber chart needs `thresholds`; read-only stream fields (`id`, `type`) are refused. Chart updates answer 200
/// with the chart (the current docs), create answers 201 with `Location` pointing at the *space*, as documented.
extension FakeLibratoCore {
    func routeSpaces(
        _ s: inout State, _ r: FakeRequest, path: String, now: Double, rate: [(String, String)], record: inout RecordedRequest
    ) -> FakeDecision {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst(3).map(String.init)  // after "/v1/spaces"
        let query = FakeQuery(uri: r.uri)
        func body() -> Result<JSONValue, Refusal> { jsonBody(r, rate: rate) }
        func id(_ text: String) -> Int? { text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } ? Int(text) : nil }
        func params(_ e: ParamErrors) -> FakeDecision { respond(400, e.body(requestTime: Int(now)), rate: rate) }
        func written(_ status: Int, _ body: String, extra: [(String, String)] = []) -> FakeDecision {
            record.storedCount = 1
            return respond(status, body, rate: rate + extra)
        }

        switch (r.method, parts.count) {
        case ("GET", 0):
            switch SpacesValidator.listQuery(query) {
            case .failure(let e): return params(e)
            case .success(let q): return respond(200, SpacesValidator.listBody(s.spaces.spaces, q), rate: rate)
            }
        case ("POST", 0):
            guard query.items.isEmpty else { return params(SpacesValidator.noQuery(query)) }
            switch body().flatMap({ SpacesValidator.spaceBody($0).mapError { Refusal(decision: params($0)) } }) {
            case .failure(let refusal): return refusal.decision
            case .success(let name):
                guard !s.spaces.nameTaken(name) else { return respond(422, SpacesValidator.taken, rate: rate) }
                let id = s.spaces.addSpace(name: name)
                return written(201, SpacesValidator.spaceSummary(id: id, name: name), extra: [("Location", "/v1/spaces/\(id)")])
            }
        case (_, 0):
            return methodNotAllowed(r.method, rate: rate)
        default:
            break
        }
        guard let spaceID = id(parts[0]), let si = s.spaces.index(of: spaceID) else { return notFound(path, rate: rate) }
        guard query.items.isEmpty else { return params(SpacesValidator.noQuery(query)) }
        switch (r.method, Array(parts.dropFirst())) {
        case ("GET", []):
            return respond(200, SpacesValidator.spaceDetail(s.spaces.spaces[si]), rate: rate)
        case ("PUT", []):
            switch body().flatMap({ SpacesValidator.spaceBody($0).mapError { Refusal(decision: params($0)) } }) {
            case .failure(let refusal): return refusal.decision
            case .success(let name):
                guard !s.spaces.nameTaken(name, except: spaceID) else { return respond(422, SpacesValidator.taken, rate: rate) }
                s.spaces.spaces[si].name = name
                return written(204, "")
            }
        case ("DELETE", []):
            s.spaces.spaces.remove(at: si)
            return written(204, "")
        case ("GET", ["charts"]):
            return respond(200, JSONValue.array(s.spaces.spaces[si].charts.map(\.json)).jsonText, rate: rate)
        case ("POST", ["charts"]):
            switch body() {
            case .failure(let refusal): return refusal.decision
            case .success(let json):
                switch ChartValidator.validate(json, existing: nil) {
                case .failure(let e): return params(e)
                case .success(let fields):
                    let chart = ChartValidator.stored(fields, id: s.spaces.nextChartID, streamIDs: &s.spaces.nextStreamID)
                    s.spaces.nextChartID += 1
                    s.spaces.spaces[si].charts.append(chart)
                    return written(201, chart.json.jsonText, extra: [("Location", "/v1/spaces/\(spaceID)")])
                }
            }
        case (let method, let rest) where rest.count == 2 && rest[0] == "charts":
            guard let chartID = id(rest[1]), let ci = s.spaces.spaces[si].charts.firstIndex(where: { $0.id == chartID }) else {
                return notFound(path, rate: rate)
            }
            switch method {
            case "GET":
                return respond(200, s.spaces.spaces[si].charts[ci].json.jsonText, rate: rate)
            case "PUT":
                switch body() {
                case .failure(let refusal): return refusal.decision
                case .success(let json):
                    let old = s.spaces.spaces[si].charts[ci]
                    switch ChartValidator.validate(json, existing: old.json) {
                    case .failure(let e): return params(e)
                    case .success(let fields):
                        let chart = ChartValidator.stored(fields, id: old.id, streamIDs: &s.spaces.nextStreamID)
                        s.spaces.spaces[si].charts[ci] = chart
                        return written(200, chart.json.jsonText)
                    }
                }
            case "DELETE":
                s.spaces.spaces[si].charts.remove(at: ci)
                return written(204, "")
            default:
                return methodNotAllowed(method, rate: rate)
            }
        case (let method, let rest) where rest.isEmpty || rest == ["charts"]:
            return methodNotAllowed(method, rate: rate)
        default:
            return notFound(path, rate: rate)
        }
    }
}

/// A request's query: `name=value` pairs, percent-decoded (`+` as a space).
struct FakeQuery {
    var items: [(name: String, value: String)] = []

    init(uri: String) {
        guard let q = uri.firstIndex(of: "?") else { return }
        for pair in uri[uri.index(after: q)...].split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            items.append((Self.decode(kv[0]), kv.count > 1 ? Self.decode(kv[1]) : ""))
        }
    }

    subscript(name: String) -> String? { items.first { $0.name == name }?.value }

    static func decode(_ s: Substring) -> String {
        var out: [UInt8] = []
        var bytes = Array(s.utf8)[...]
        while let b = bytes.popFirst() {
            if b == UInt8(ascii: "+") {
                out.append(0x20)
            } else if b == UInt8(ascii: "%"), bytes.count >= 2, let v = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) {
                out.append(v)
                bytes = bytes.dropFirst(2)
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The space rules: list parameters, the create/rename body, and the documented response shapes.
enum SpacesValidator {
    struct ListQuery {
        var name: String?
        var offset = 0
        var length = 100
        var descending = false
    }

    static let taken = #"{"errors":{"params":{"name":["has already been taken"]}}}"#

    /// `name`, `offset` (≥ 0), `length` (1–100), `orderby` (only `name`), `sort` (`asc`/`desc`); nothing else.
    static func listQuery(_ q: FakeQuery) -> Result<ListQuery, ParamErrors> {
        var errors = ParamErrors()
        var out = ListQuery()
        for (name, value) in q.items {
            switch name {
            case "name": out.name = value
            case "offset":
                if let n = Int(value), n >= 0 { out.offset = n } else { errors.add("offset", "must be a non-negative integer") }
            case "length":
                if let n = Int(value), (1...100).contains(n) { out.length = n } else { errors.add("length", "must be an integer from 1 to 100") }
            case "orderby":
                if value != "name" { errors.add("orderby", "must be name") }
            case "sort":
                if value == "desc" { out.descending = true } else if value != "asc" { errors.add("sort", "must be asc or desc") }
            default: errors.add(name, "is not a known parameter")
            }
        }
        return errors.isEmpty ? .success(out) : .failure(errors)
    }

    static func noQuery(_ q: FakeQuery) -> ParamErrors {
        var errors = ParamErrors()
        for item in q.items { errors.add(item.name, "is not a known parameter") }
        return errors
    }

    /// `{"query":{"found","length","offset","total"},"spaces":[{"id","name"}]}`, ordered by name; `length` is the
    /// number returned.
    static func listBody(_ all: [FakeSpace], _ q: ListQuery) -> String {
        var matching = all.filter { s in q.name.map { s.name.lowercased().contains($0.lowercased()) } ?? true }
        matching.sort { ($0.name.lowercased(), $0.id) < ($1.name.lowercased(), $1.id) }
        if q.descending { matching.reverse() }
        let page = matching.dropFirst(q.offset).prefix(q.length)
        var w = JSONWriter()
        w.object { w in
            w.key("query")
            w.object { w in
                w.key("found"); w.int(matching.count)
                w.key("length"); w.int(page.count)
                w.key("offset"); w.int(q.offset)
                w.key("total"); w.int(all.count)
            }
            w.key("spaces")
            w.array { w in for s in page { w.raw(Array(spaceSummary(id: s.id, name: s.name).utf8)) } }
        }
        return w.text
    }

    static func spaceSummary(id: Int, name: String) -> String {
        var w = JSONWriter()
        w.object { w in
            w.key("id"); w.int(id)
            w.key("name"); w.string(name)
        }
        return w.text
    }

    /// `{"name","id","charts":[{"id"}]}`: chart ids only.
    static func spaceDetail(_ s: FakeSpace) -> String {
        var w = JSONWriter()
        w.object { w in
            w.key("name"); w.string(s.name)
            w.key("id"); w.int(s.id)
            w.key("charts"); w.array { w in for c in s.charts { w.object { w in w.key("id"); w.int(c.id) } } }
        }
        return w.text
    }

    /// `{"name": …}` (and the tolerated boolean `tags` that python-librato sends): a name of 1–255 characters.
    static func spaceBody(_ json: JSONValue) -> Result<String, ParamErrors> {
        var errors = ParamErrors()
        guard let members = json.objectMembers else {
            errors.add("request", "the body must be a JSON object")
            return .failure(errors)
        }
        for m in members where m.key != "name" && m.key != "tags" { errors.add(m.key, "is not a known parameter") }
        if let t = json["tags"], case .bool = t {} else if json["tags"] != nil { errors.add("tags", "must be true or false") }
        var name = ""
        switch json["name"] {
        case nil: errors.add("name", "is not present")
        case .string(let n)?:
            if n.allSatisfy({ $0 == " " }) { errors.add("name", "is not present") } else if n.count > 255 {
                errors.add("name", "is longer than 255 characters")
            }
            name = n
        default: errors.add("name", "is not a string")
        }
        return errors.isEmpty ? .success(name) : .failure(errors)
    }
}
