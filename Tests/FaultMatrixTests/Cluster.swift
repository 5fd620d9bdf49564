import DockerLibratoTesting
import Foundation
import Librato
import WireFormat

/// A whole docker-librato deployment on this machine for fault tests: the strict fake Librato, a hub process,
/// collector processes, and the Docker engines they follow — all real, all killable.
final class TestCluster: @unchecked Sendable {
    let fake: FakeLibrato
    let dir: String
    let binary: String
    let key = ClusterKey.generateText()
    let cluster = "fm"
    let runID = String(UInt32.random(in: 0...UInt32.max), radix: 36)
    let hubPort = FreePort.next()
    let ackPort = FreePort.next()
    let httpPort = FreePort.next()
    let periodMs = 2_000
    private(set) var hub: RoleProcess!
    private(set) var collectors: [RoleProcess] = []
    private(set) var events: [(name: String, at: Date)] = []

    init(hubEnvironment: [String: String] = [:]) async throws {
        binary = try ProductBinary.path()
        dir = "/tmp/dlfm-\(runID)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        fake = try await FakeLibrato.start()
        var env = [
            "HUB_LISTEN": "tcp://127.0.0.1:\(hubPort)", "HUB_ACK_LISTEN": "tcp://127.0.0.1:\(ackPort)", "HTTP_LISTEN": "127.0.0.1:\(httpPort)",
            "STATE_DIR": "\(dir)/hub", "LIBRATO_PERIOD": "\(periodMs)", "HUB_GRACE": "0.5", "HUB_STARTUP_GRACE": "3", "HUB_TAKEOVER_AFTER": "4",
            "LIBRATO_API_URL": fake.baseURL, "LIBRATO_EMAIL": fake.configuration.email, "LIBRATO_TOKEN": fake.configuration.token,
            "LIBRATO_TIMEOUT": "3", "CLUSTER_KEY": key, "CLUSTER_NAME": cluster, "HUB_SHUTDOWN_TIMEOUT": "10",
        ]
        env.merge(hubEnvironment) { _, new in new }
        hub = RoleProcess(name: "hub", binary: binary, arguments: ["hub"], environment: env, logPath: "\(dir)/hub.log")
        try hub.start()
    }

    /// A collector following `docker` (a unix socket path), labelled containers of this run only.
    @discardableResult
    func addCollector(docker socket: String, host: String, stateDir: Bool = true, extra: [String: String] = [:]) throws -> RoleProcess {
        let n = collectors.count
        var env = [
            "DOCKER_HOST": "unix://\(socket)", "HUB_ADDRESS": "tcp://127.0.0.1:\(hubPort)", "HUB_ACK_ADDRESS": "tcp://127.0.0.1:\(ackPort)",
            "STATS_INTERVAL": "1", "CLUSTER_NAME": cluster, "HOST_NAME": host, "CLUSTER_KEY": key, "INCLUDE_LABELS": "dl-fm=\(runID)",
            "FRAME_INTERVAL": "0.5", "HEARTBEAT_INTERVAL": "2",
        ]
        if stateDir { env["STATE_DIR"] = "\(dir)/collector-\(n)" }
        env.merge(extra) { _, new in new }
        let c = RoleProcess(name: "collector-\(n)", binary: binary, arguments: ["collector"], environment: env, logPath: "\(dir)/collector-\(n).log")
        try c.start()
        collectors.append(c)
        return c
    }

    /// Notes a fault with its wall time (duplicates and gaps are allowed only near faults).
    func note(_ name: String) {
        events.append((name, Date()))
        print("fault-matrix: \(name) at \(Date().timeIntervalSince1970)")
    }

    func killHub() async throws {
        note("hub kill -9")
        try await hub.kill9()
        try await Task.sleep(for: .milliseconds(500))
        try hub.start()
    }

    /// The hub's /status.json, parsed with the project's JSON reader.
    func hubStatus() async -> JSONValue? {
        guard let r = try? await TestProcess.run("/usr/bin/curl", ["-sS", "-f", "http://127.0.0.1:\(httpPort)/status.json"]), r.status == 0
        else { return nil }
        return try? JSONValue.parse(r.stdout)
    }

    /// Starts a container on `docker` that prints `stdout` lines (each with `count#jobs=1`) and, every third one, a
    /// stderr line, one line per `intervalMs`.
    func startWriter(on docker: (([String]) async throws -> String), name: String, lines: Int, intervalMs: Int) async throws {
        let script =
            "i=0; while [ $i -lt \(lines) ]; do echo \"out $i count#jobs=1\"; if [ $((i % 3)) -eq 0 ]; then echo \"err $i\" >&2; fi; i=$((i+1)); usleep \(intervalMs * 1000); done"
        _ = try await docker(["run", "-d", "--name", name, "--network", "none", "--label", "dl-fm=\(runID)", DockerTestHelper.image, "sh", "-c", script])
    }

    static func expectedStderr(_ lines: Int) -> Int { (lines + 2) / 3 }

    /// Totals per (metric, source) over the latest value of each point: what Librato holds if a re-posted point
    /// overwrites the earlier one (the documented window re-posts whole periods with their original timestamps).
    func totals(_ name: String) -> [String: Double] {
        var latest: [PointKey: Double] = [:]
        for m in fake.snapshot.accepted where m.name == name { latest[m.pointKey] = m.value ?? m.sum ?? 0 }
        var out: [String: Double] = [:]
        for (k, v) in latest { out[k.source ?? "", default: 0] += v }
        return out
    }

    /// Points posted more than once, by metric.
    func duplicates() -> [PointKey: Int] { fake.snapshot.duplicates }

    func shutdown() async {
        for c in collectors { await c.terminate() }
        await hub.terminate()
        try? await fake.shutdown()
    }

    /// Logs of every role, for failure messages.
    var logs: String {
        ([hub] + collectors).map { "---- \($0.name)\n" + String($0.log.suffix(4000)) }.joined(separator: "\n")
    }
}
