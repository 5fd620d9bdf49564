import Librato
import WireFormat

/// The human status page and its JSON twin. No secrets are ever part of a ``HubStatus``.
enum StatusPage {
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    static func ago(_ ms: Int64) -> String {
        let s = ms / 1000
        if s < 120 { return "\(s) s ago" }
        if s < 7200 { return "\(s / 60) min ago" }
        return "\(s / 3600) h ago"
    }

    static func html(_ s: HubStatus) -> String {
        var rows = ""
        for c in s.collectors {
            let spool = Int(c.heartbeat["spool_frames"] ?? 0)
            let containers = Int(c.heartbeat["containers"] ?? 0)
            rows += "<tr><td>\(escape(c.cluster))</td><td>\(escape(c.host))</td><td><code>\(c.id)</code></td><td>\(c.epoch)</td>"
            rows += "<td>\(ago(s.nowMs - c.lastSeenMs))</td><td>\(String(format1: c.frameRate))</td><td>\(containers)</td>"
            rows += "<td>\(spool)</td><td>\(c.ackedThrough)</td><td>\(c.lostFrames)</td></tr>\n"
        }
        let k = s.counters
        let submit = s.lastSubmit.map {
            "period \($0.periodStart / 1000): \($0.accepted)/\($0.measurements) accepted, \($0.invalid) invalid, \($0.tooOld) too old, "
                + "\($0.requests) requests in \($0.durationMs) ms, \(ago(s.nowMs - $0.atMs))"
        } ?? "none yet"
        let rejects = RejectReason.allCases.map { "\($0.rawValue) \(s.rejects[$0] ?? 0)" }.joined(separator: ", ")
        let counterRows = HubCounter.allCases.map { "<tr><td>\($0.definition.json)</td><td>\(k[$0])</td></tr>" }.joined()
        let statuses = k.librato.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        return """
            <!doctype html><html><head><meta charset="utf-8"><title>docker-librato hub</title>
            <meta http-equiv="refresh" content="10">
            <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style>
            </head><body><h1>docker-librato hub \(escape(LibratoClient.version))</h1>
            \(s.dryRun ? "<p style=\"background:#ffd;padding:6px\"><b>DRY RUN</b>: no Librato credential; requests are printed, nothing is sent.</p>" : "")
            <p>Health: <b>\(s.health.healthy ? "ok" : "UNHEALTHY")</b> — \(escape(s.health.reason)).</p>
            <p>Up \(ago(s.nowMs - s.startedAtMs).replacingAgo()), period \(s.periodMs / 1000) s, \(s.liveContainers) containers,
            \(s.pendingPeriods) periods waiting for Librato\(s.backpressure ? " — <b>back-pressure: new frames refused</b>" : "").</p>
            <h2>Collectors</h2>
            <table><tr><th>cluster</th><th>host</th><th>collector</th><th>epoch</th><th>last seen</th><th>frames/s</th><th>containers</th><th>spool</th><th>acked</th><th>lost</th></tr>
            \(rows)</table>
            <h2>Librato</h2><p>Last submission: \(submit)</p>
            <p>Rate limit: \(s.rateBudget.map { "\($0.remaining) of \($0.limit) measurements left, window resets in \(max(0, Int64($0.resetAt * 1000) - s.nowMs) / 1000) s" } ?? "no rate-limit headers seen yet").
            Deferred to the next window: \(k[.measurementsDeferred]); dropped over budget: \(k[.measurementsRateLimited]).</p>
            <p>Measurements: \(k[.measurementsAccepted]) accepted, \(k[.measurementsInvalid]) invalid, \(k[.measurementsTooOld]) too old.
            Responses: \(statuses.isEmpty ? "none" : statuses). Annotations: \(k[.annotationsSent]).</p>
            <h2>Counters</h2><p>Rejected frames: \(rejects).</p>
            <table>\(counterRows)</table>
            <p><a href="/metrics">/metrics</a> · <a href="/status.json">/status.json</a> · <a href="/healthz">/healthz</a></p>
            </body></html>
            """
    }

    static func json(_ s: HubStatus) -> String {
        let q = JSONWriter.quoted
        let collectors = s.collectors.map { c in
            "{\"id\":\(q(c.id.description)),\"epoch\":\(c.epoch),\"cluster\":\(q(c.cluster)),\"host\":\(q(c.host)),\"engine\":\(q(c.engineID)),"
                + "\"last_seen_ms\":\(c.lastSeenMs),\"frames\":\(c.frames),\"acked_through\":\(c.ackedThrough),\"next_expected\":\(c.nextExpected),"
                + "\"lost_frames\":\(c.lostFrames),\"lost_log_lines\":\(c.lostLogLines),\"spool_frames\":\(Int(c.heartbeat["spool_frames"] ?? 0)),"
                + "\"frame_rate\":\(String(format1: c.frameRate)),\"containers\":\(Int(c.heartbeat["containers"] ?? 0))}"
        }.joined(separator: ",")
        let k = s.counters
        let counters = HubCounter.allCases.map { "\(q($0.definition.json)):\(k[$0])" }.joined(separator: ",")
        let budget = s.rateBudget.map { "{\"limit\":\($0.limit),\"remaining\":\($0.remaining),\"reset\":\(Int($0.resetAt))}" } ?? "null"
        let (healthy, reason) = s.health
        return "{\"version\":\(q(LibratoClient.version)),\"status\":\(q(healthy ? "ok" : "unhealthy")),\"reason\":\(q(reason)),"
            + "\"librato\":\(q(s.dryRun ? "dry-run" : "live")),\"period_ms\":\(s.periodMs),\"started_at_ms\":\(s.startedAtMs),"
            + "\"last_submit\":\(s.lastSubmit.map { "{\"period\":\($0.periodStart / 1000),\"at_ms\":\($0.atMs),\"measurements\":\($0.measurements),\"accepted\":\($0.accepted),\"invalid\":\($0.invalid),\"too_old\":\($0.tooOld),\"requests\":\($0.requests),\"duration_ms\":\($0.durationMs)}" } ?? "null"),"
            + "\"librato_requests\":{\(k.librato.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ","))},"
            + "\"now_ms\":\(s.nowMs),\"containers\":\(s.liveContainers),\"pending_periods\":\(s.pendingPeriods),\"backpressure\":\(s.backpressure),"
            + "\"delivered_through\":\(s.deliveredThrough.map(String.init) ?? "null"),\(counters),\"librato_rate_limit\":\(budget),"
            + "\"collectors\":[\(collectors)]}\n"
    }
}

extension String {
    init(format1 value: Double) {
        let scaled = (value * 10).rounded() / 10
        self = "\(scaled)"
    }

    func replacingAgo() -> String { hasSuffix(" ago") ? String(dropLast(4)) : self }
}
