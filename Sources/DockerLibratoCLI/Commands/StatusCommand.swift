import ArgumentParser
import Glibc
import Librato
import NIOCore
import NIOHTTP1

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a running hub's status: health, Librato outcomes and rate limit, pending periods, and every collector.",
        discussion: """
            Reads the hub's /status.json and prints it as tables (collectors: cluster, host, engine, last seen, frames/s, \
            containers, spool, acknowledged-through, lost frames); --json prints the document as it is. Exit status 1 \
            when the hub does not answer or says it is unhealthy.
            """
    )

    @Option(name: .customLong("hub-http"), help: "The hub's HTTP address, http://HOST:PORT or HOST:PORT. [env: HUB_HTTP] (default: http://127.0.0.1:8080)")
    var hubHTTP: String?

    @Flag(name: .customLong("json"), help: "Print the raw /status.json document.")
    var json = false

    func run() async throws {
        let url = HTTPTarget.url(Settings().string(hubHTTP, "HUB_HTTP", default: "http://127.0.0.1:8080"))
        switch await HTTPGet.fetch(url + "/status.json", timeout: .seconds(10)) {
        case .success(let (status, body)):
            guard status == .ok else {
                FileOutput.stderr("docker-librato status: the hub at \(url) answered \(status.code) \(status.reasonPhrase)\n")
                throw ExitCode.failure
            }
            if json {
                print(body, terminator: "")
            } else {
                guard let document = try? JSONValue.parse(body) else {
                    FileOutput.stderr("docker-librato status: \(url)/status.json is not JSON; is it a docker-librato hub?\n")
                    throw ExitCode.failure
                }
                print(StatusTable.render(document), terminator: "")
            }
            if (try? JSONValue.parse(body))?["status"]?.stringValue == "unhealthy" { throw ExitCode.failure }
        case .failure(let error):
            FileOutput.stderr("docker-librato status: no hub answers at \(url): \(HTTPTarget.describe(error))\n")
            throw ExitCode.failure
        }
    }
}

enum FileOutput {
    static func stderr(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}

/// `/status.json` as an operator reads it.
enum StatusTable {
    static func render(_ s: JSONValue) -> String {
        let now = s["now_ms"]?.intValue ?? 0
        func int(_ v: JSONValue?) -> Int { v?.intValue ?? Int(v?.doubleValue ?? 0) }
        func ago(_ ms: Int) -> String {
            let sec = max(0, (now - ms) / 1000)
            return sec < 120 ? "\(sec) s ago" : sec < 7200 ? "\(sec / 60) min ago" : "\(sec / 3600) h ago"
        }
        var out = "hub \(s["version"]?.stringValue ?? "?"): \(s["status"]?.stringValue ?? "?") — \(s["reason"]?.stringValue ?? "")\n"
        out += "librato: \(s["librato"]?.stringValue ?? "?"), period \(int(s["period_ms"]) / 1000) s, pending periods \(int(s["pending_periods"]))"
        out += s["backpressure"] == .bool(true) ? " (BACK-PRESSURE)" : ""
        out += ", containers \(int(s["containers"]))\n"
        if let last = s["last_submit"], last != .null {
            out += "last submission: period \(int(last["period"])): \(int(last["accepted"]))/\(int(last["measurements"])) accepted, "
            out += "\(int(last["invalid"])) invalid, \(int(last["too_old"])) too old, \(int(last["requests"])) requests, \(ago(int(last["at_ms"])))\n"
        } else {
            out += "last submission: none yet\n"
        }
        if let members = s["librato_requests"]?.objectMembers, !members.isEmpty {
            out += "librato responses: " + members.map { "\($0.key): \(int($0.value))" }.joined(separator: ", ") + "\n"
        }
        if let r = s["librato_rate_limit"], r != .null {
            out += "rate limit: \(int(r["remaining"])) of \(int(r["limit"])) measurements left, window resets in \(max(0, int(r["reset"]) - now / 1000)) s"
            out += "; deferred \(int(s["measurements_deferred"])), dropped over budget \(int(s["measurements_rate_limited"]))\n"
        }
        out += "lost (collector spools full): \(int(s["frames_lost"])) frames, \(int(s["log_lines_lost"])) log lines\n\n"
        let header = ["CLUSTER", "HOST", "ENGINE", "LAST SEEN", "FRAMES/S", "CONTAINERS", "SPOOL", "ACKED", "LOST"]
        var rows: [[String]] = []
        for c in s["collectors"]?.arrayValue ?? [] {
            let engine = c["engine"]?.stringValue ?? ""
            rows.append([
                c["cluster"]?.stringValue ?? "", c["host"]?.stringValue ?? "", String(engine.prefix(14)), ago(int(c["last_seen_ms"])),
                "\(c["frame_rate"]?.doubleValue ?? 0)", "\(int(c["containers"]))", "\(int(c["spool_frames"]))", "\(int(c["acked_through"]))",
                "\(int(c["lost_frames"]))",
            ])
        }
        if rows.isEmpty { return out + "collectors: none has sent a frame yet\n" }
        let widths = header.indices.map { i in max(header[i].count, rows.map { $0[i].count }.max() ?? 0) }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in c + String(repeating: " ", count: widths[i] - c.count) }.joined(separator: "  ").trimmingSpaces + "\n"
        }
        return out + line(header) + rows.map(line).joined()
    }
}
