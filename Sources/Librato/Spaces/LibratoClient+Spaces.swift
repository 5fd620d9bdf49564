import Logging
import NIOHTTP1
import Timekeeping

/// What ``LibratoClient/syncSpace(_:maxAttempts:)`` did.
public struct SpaceSyncReport: Sendable, Hashable {
    public var spaceID: Int
    /// The space did not exist and was created.
    public var spaceCreated = false
    public var chartsCreated: [String] = []
    public var chartsUpdated: [String] = []
    /// Charts that were already as defined (of the last attempt).
    public var chartsUnchanged: [String] = []
    /// Requests sent: reads (GET) and writes (POST, PUT), over all attempts.
    public var reads = 0
    public var writes = 0
    /// Attempts made (a transient failure starts over from reading the space).
    public var attempts = 0

    public init(spaceID: Int) { self.spaceID = spaceID }
}

/// Why a space could not be brought into shape.
public struct SpaceSyncError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The request that failed, as `METHOD /path`.
    public var request: String
    /// The HTTP status, nil when there was no answer.
    public var status: Int?
    /// What Librato said (error body messages), or what went wrong.
    public var messages: [String]

    public var description: String {
        "\(request) " + (status.map { "answered \($0)" } ?? "failed") + ": " + messages.joined(separator: "; ")
    }
}

extension LibratoClient {
    /// Creates or updates the space named `space.name` so that it holds `space.charts`, idempotently: it reads the
    /// space and its charts, then sends only the writes ``SpacePlanner/plan(_:current:)`` asks for. A second run
    /// sends no write. A transient failure (5xx, 429 or a rate-limit 403, timeout, lost connection) starts over from
    /// reading, after a backoff, up to `maxAttempts` times — a POST whose answer was lost is then found by name
    /// instead of being sent twice. Any other error (400, 401, 403, 404, 422, …) ends it with the parsed error body.
    public func syncSpace(_ space: SpaceDefinition, maxAttempts: Int = 5) async throws(SpaceSyncError) -> SpaceSyncReport {
        let problems = SpacePlanner.problems(space)
        guard problems.isEmpty else { throw SpaceSyncError(request: "space definition", status: nil, messages: problems) }
        var report = SpaceSyncReport(spaceID: 0)
        var rng = SplitMix64(seed: configuration.retry.jitterSeed ?? UInt64.random(in: .min ... .max))
        var failures = 0
        while true {
            report.attempts += 1
            do throws(Failure) {
                try await syncOnce(space, into: &report)
                logger.info(
                    "Librato space is up to date",
                    metadata: [
                        "librato.space": "\(space.name)", "librato.space_id": "\(report.spaceID)", "librato.space_created": "\(report.spaceCreated)",
                        "librato.charts_created": "\(report.chartsCreated.count)", "librato.charts_updated": "\(report.chartsUpdated.count)",
                        "librato.charts_unchanged": "\(report.chartsUnchanged.count)",
                    ])
                return report
            } catch {
                let failure: SpaceSyncError
                let resumeAt: Double?
                switch error {
                case .final(let e): throw e
                case .transient(let e, let r): (failure, resumeAt) = (e, r)
                }
                failures += 1
                guard failures < maxAttempts else { throw failure }
                let now = clockNow()
                var delay = configuration.retry.backoff(failures: failures)
                delay = delay / 2 + Double.random(in: 0...1, using: &rng) * delay / 2
                if let resumeAt { delay = max(delay, min(resumeAt - now, configuration.retry.maxRateLimitWait.seconds)) }
                logger.warning(
                    "Librato space request failed; reading the space again and retrying",
                    metadata: ["librato.error": "\(failure)", "librato.retry_in_s": "\(delay)"])
                do {
                    try await sleep(until: now + delay)
                } catch {
                    throw SpaceSyncError(request: "waiting to retry", status: nil, messages: ["cancelled"])
                }
            }
        }
    }

    private enum Failure: Error {
        case transient(SpaceSyncError, resumeAt: Double?)
        case final(SpaceSyncError)
    }

    /// Reads the space and its charts, plans, and sends the writes.
    private func syncOnce(_ space: SpaceDefinition, into report: inout SpaceSyncReport) async throws(Failure) {
        var listed: [SpaceSummary] = []
        var offset: Int? = 0
        while let o = offset {
            let request = SpaceRequest.listSpaces(name: space.name, offset: o)
            let json = try await send(request, report: &report)
            guard let page = SpacePlanner.spacesPage(json, offset: o) else { throw .final(unexpected(request, json)) }
            listed += page.spaces
            offset = page.next
        }
        var current: CurrentSpace?
        if let found = SpacePlanner.match(space.name, in: listed) {
            let request = SpaceRequest.listCharts(space: found.id)
            let json = try await send(request, report: &report)
            guard let charts = SpacePlanner.charts(json) else { throw .final(unexpected(request, json)) }
            current = CurrentSpace(id: found.id, charts: charts)
            report.spaceID = found.id
        }
        let plan = SpacePlanner.plan(space, current: current)
        report.chartsUnchanged = plan.unchanged
        var created: Int?
        for request in plan.requests {
            let json = try await send(request, createdSpace: created, report: &report)
            switch request {
            case .createSpace:
                guard let id = json["id"]?.intValue else { throw .final(unexpected(request, json)) }
                created = id
                report.spaceID = id
                report.spaceCreated = true
            case .createChart(_, let c): report.chartsCreated.append(c.name)
            case .updateChart(_, _, let c): report.chartsUpdated.append(c.name)
            case .listSpaces, .listCharts: break
            }
        }
    }

    /// Sends one request and returns its JSON body (`.null` for an empty one), or the failure it is.
    private func send(_ request: SpaceRequest, createdSpace: Int? = nil, report: inout SpaceSyncReport) async throws(Failure) -> JSONValue {
        let path = request.path(createdSpace: createdSpace)
        let name = "\(request.method) \(path)"
        if request.isWrite { report.writes += 1 } else { report.reads += 1 }
        guard let outcome = await perform(method: HTTPMethod(rawValue: request.method), body: request.body, url: configuration.baseURL + path) else {
            throw .final(SpaceSyncError(request: name, status: nil, messages: ["cancelled"]))
        }
        switch outcome {
        case .transportFailure(let failure):
            throw .transient(SpaceSyncError(request: name, status: nil, messages: [failure == .timeout ? "timeout" : "\(failure)"]), resumeAt: nil)
        case .response(let status, let headers, let body):
            switch ResponseClass(status: status, headers: headers, body: body, now: clockNow()) {
            case .accepted:
                if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return .null }
                do {
                    return try JSONValue.parse(body)
                } catch {
                    throw .final(SpaceSyncError(request: name, status: status, messages: ["the answer is not JSON: \(error)"]))
                }
            case .rateLimited(let resumeAt, let messages):
                throw .transient(SpaceSyncError(request: name, status: status, messages: messages), resumeAt: resumeAt)
            case .transient(let retryAt, let messages):
                throw .transient(SpaceSyncError(request: name, status: status, messages: messages), resumeAt: retryAt)
            case .invalid(let messages), .unauthorized(let messages), .tagsNotEnabled(let messages), .forbidden(let messages),
                .misconfigured(let messages):
                throw .final(SpaceSyncError(request: name, status: status, messages: messages))
            }
        }
    }

    private func unexpected(_ request: SpaceRequest, _ json: JSONValue) -> SpaceSyncError {
        SpaceSyncError(
            request: "\(request.method) \(request.path())", status: nil,
            messages: ["unexpected answer: " + String(json.jsonText.prefix(300))])
    }
}
