import DockerLibratoTesting
import Foundation
import Testing

/// The built binary as an operator meets it: fatal errors exit non-zero with their reason, in the configured log
/// format; bad values name the flag or variable they came from; every option's help names its variable.
@Suite("docker-librato: errors an operator can act on")
struct CLITests {
    static let noKey = ["ALLOW_NO_CLUSTER_KEY": "true"]

    @Test(arguments: ["collector", "standalone"])
    func aCollectorWhoseCgroupsCannotBeReadExitsNonZeroWithTheReason(role: String) async throws {
        let r = try await CLIRun.run(
            [role], environment: Self.noKey.merging(["STATS_SOURCE": "cgroup", "CGROUP_ROOT": "/nonexistent", "HUB_ADDRESS": "tcp://127.0.0.1:9"]) { $1 })
        #expect(r.status == 1)
        #expect(r.stderr.contains("level=critical") && r.stderr.contains("/nonexistent"), "\(r.stderr)")
    }

    @Test(arguments: [
        (["hub"], ["HUB_LISTEN": "nonsense"], "HUB_LISTEN must be tcp://HOST:PORT"),
        (["hub", "--listen", "nonsense"], [:], "--listen must be tcp://HOST:PORT"),
        (["hub"], ["HUB_ACK_LISTEN": "tcp://*:99999"], "HUB_ACK_LISTEN must be"),
        (["hub"], ["HTTP_LISTEN": "nonsense"], "HTTP_LISTEN must be HOST:PORT"),
        (["standalone"], ["HTTP_LISTEN": "nonsense"], "HTTP_LISTEN must be HOST:PORT"),
        (["collector"], ["HUB_ADDRESS": "hub:5555"], "HUB_ADDRESS must be tcp://HOST:PORT"),
        (["collector"], ["INCLUDE_NAMES": "/[/"], "INCLUDE_NAMES: Invalid regular expression"),
        (["collector", "--exclude-labels", "a=/(/"], [:], "--exclude-labels: Invalid regular expression"),
        (["collector", "--collect-logs", "maybe"], [:], #"--collect-logs must be true or false, got \"maybe\""#),
        (["collector"], ["COLLECT_LOGS": "maybe"], #"COLLECT_LOGS must be true or false, got \"maybe\""#),
        (["collector", "--stats-interval", "0"], [:], "--stats-interval must be a number of seconds"),
        (["hub"], ["LIBRATO_METRIC_GROUPS": "cpu,disk"], #"LIBRATO_METRIC_GROUPS must be a comma-separated list of cpu, memory"#),
    ])
    func badValuesNameTheirFlagOrVariable(arguments: [String], environment: [String: String], message: String) async throws {
        let r = try await CLIRun.run(arguments, environment: Self.noKey.merging(environment) { $1 })
        #expect(r.status == 1)
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").filter { $0.contains("level=critical") }.count == 1, "one fatal line")
    }

    @Test func aFatalErrorIsJSONWhenTheLogsAre() async throws {
        let r = try await CLIRun.run(["hub"], environment: Self.noKey.merging(["HUB_LISTEN": "nonsense", "LOG_FORMAT": "json"]) { $1 })
        #expect(r.status == 1)
        let last = try #require(r.stderr.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: String])
        #expect(object["level"] == "critical")
        #expect(object["msg"]?.hasPrefix("HUB_LISTEN must be") == true)
    }

    @Test(arguments: ["hub", "standalone"])
    func aTakenPortFailsTheHubAtStartNamingTheSetting(role: String) async throws {
        let taken = try ServerSocket()
        defer { taken.close() }
        let r = try await CLIRun.run(
            [role],
            environment: Self.noKey.merging([
                "HTTP_LISTEN": "127.0.0.1:\(taken.port)", "HUB_LISTEN": FreePort.tcpAddress(), "HUB_ACK_LISTEN": FreePort.tcpAddress(),
            ]) { $1 })
        #expect(r.status == 1)
        #expect(r.stderr.contains("HTTP_LISTEN 127.0.0.1:\(taken.port): cannot listen"), "\(r.stderr)")
    }

    @Test func keyFilesSayWhatIsWrongWithThemAndWhere() async throws {
        let missing = try await CLIRun.run(["hub"], environment: ["CLUSTER_KEY_FILE": "/nonexistent/cluster.key"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("CLUSTER_KEY_FILE: cannot read /nonexistent/cluster.key: no such file or directory"), "\(missing.stderr)")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).key").path
        try "not a key\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let bad = try await CLIRun.run(["hub"], environment: ["CLUSTER_KEY_FILE": path])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("CLUSTER_KEY_FILE \(path) must hold 64 hex digits, base64 of 32 bytes, or 32 raw bytes"), "\(bad.stderr)")
    }

    @Test(arguments: ["hub", "collector", "standalone", "space", "status", "healthcheck", "validate collector", "validate hub", "validate standalone"])
    func everyOptionInTheHelpIsInTheFlagTableThatErrorsUse(command: String) async throws {
        let r = try await CLIRun.run(command.split(separator: " ").map(String.init) + ["--help"])
        #expect(r.status == 0)
        let table = try String(
            contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources/DockerLibratoCLI/Support/FlagNames.swift").path,
            encoding: .utf8)
        // Option blocks: a line "  --flag <value>  help…" and its continuation lines, up to the next option.
        var blocks: [String] = []
        for line in r.stdout.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  --") || line.hasPrefix("  -h") {
                blocks.append(String(line))
            } else if line.hasPrefix("   "), !blocks.isEmpty {
                blocks[blocks.count - 1] += " " + line.trimmingCharacters(in: .whitespaces)
            } else if !line.hasPrefix("  ") {
                blocks.append("")
            }
        }
        var checked = 0
        for block in blocks {
            guard let flag = block.split(separator: " ").first(where: { $0.hasPrefix("--") }),
                let env = block.range(of: #"\[env: ([A-Z_]+)"#, options: .regularExpression)
            else { continue }
            let variable = block[env].dropFirst("[env: ".count)
            checked += 1
            #expect(table.contains(#""\#(variable)": "\#(flag)""#), "\(command): \(flag) [env: \(variable)] is missing from FlagNames.swift")
        }
        #expect(checked >= 1, "\(r.stdout)")
    }

    /// The README's configuration tables name every variable the code reads: the flag table's, and those read without a
    /// flag of their own.
    @Test func theREADMEListsEveryVariable() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..")
        let table = try String(contentsOf: root.appendingPathComponent("Sources/DockerLibratoCLI/Support/FlagNames.swift"), encoding: .utf8)
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let configuration = readme.components(separatedBy: "## Configuration").dropFirst().first?.components(separatedBy: "\n## ").first ?? ""
        var variables = Set(
            table.matches(of: #/"([A-Z][A-Z0-9_]+)": "--/#).map { String($0.output.1) })
        variables.formUnion(["CLUSTER_KEY", "LIBRATO_TOKEN", "DOCKER_TLS_VERIFY", "DOCKER_TLS", "DOCKER_CERT_PATH", "LOG_LEVEL", "LOG_FORMAT"])
        // And those the image's entrypoint reads.
        let entrypoint = try String(contentsOf: root.appendingPathComponent("deploy/docker-librato-entrypoint"), encoding: .utf8)
        let own = Set(entrypoint.matches(of: #/\$\{([A-Z][A-Z0-9_]+)/#).map { String($0.output.1) })
        #expect(own.isSuperset(of: ["RUN_AS_ROOT", "STATE_SLOTS_DIR", "STATE_SLOTS_MAX"]), "\(own)")
        variables.formUnion(own)
        #expect(variables.count > 40)
        for v in variables.sorted() {
            #expect(configuration.contains("`\(v)`"), "README's configuration does not list \(v)")
        }
    }

    @Test func theMetricGroupsInTheHelpAreTheOnesAccepted() async throws {
        let help = try await CLIRun.run(["hub", "--help"])
        let bad = try await CLIRun.run(["hub"], environment: Self.noKey.merging(["LIBRATO_METRIC_GROUPS": "nonsense"]) { $1 })
        let accepted = bad.stderr.firstMatch(of: #/comma-separated list of ([a-z0-9, ]+?), got/#).map { String($0.output.1) }
        #expect(accepted != nil, "\(bad.stderr)")
        let flattened = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(flattened.contains("comma-separated: \(accepted ?? "?")."), "\(flattened)")
    }
}

/// A listening TCP socket on 127.0.0.1 (to take a port away from the code under test).
final class ServerSocket {
    let fd: Int32
    let port: Int

    init() throws {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, len) } }
        listen(s, 1)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) } }
        fd = s
        port = Int(UInt16(bigEndian: addr.sin_port))
    }

    func close() { Glibc.close(fd) }
}

@Suite("docker-librato version, status and the hub's pages in a dry run")
struct StatusCommandTests {
    @Test func versionNamesTheReleaseAndTheFrameFormat() async throws {
        let r = try await CLIRun.run(["version"])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("docker-librato 0.") && r.stdout.contains("(frame format 3)"), "\(r.stdout)")
    }

    @Test func statusFailsInWordsOnStderrWhenNoHubAnswersAndTakesHostPort() async throws {
        let port = FreePort.next()
        let r = try await CLIRun.run(["status", "--hub-http", "127.0.0.1:\(port)"])
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("no hub answers at http://127.0.0.1:\(port): connection refused"), "\(r.stderr)")
        let h = try await CLIRun.run(["healthcheck", "--url", "127.0.0.1:\(port)"])
        #expect(h.status == 1 && h.stderr.contains("nothing answers at http://127.0.0.1:\(port)/healthz"), "\(h.stderr)")
    }

    @Test func aDryRunSaysSoOnEveryPageAndStatusPrintsTablesOrJSON() async throws {
        let http = FreePort.next()
        let hub = try TestProcess(
            try ProductBinary.path(), ["hub"],
            environment: [
                "ALLOW_NO_CLUSTER_KEY": "true", "HTTP_LISTEN": "127.0.0.1:\(http)", "HUB_LISTEN": FreePort.tcpAddress(),
                "HUB_ACK_LISTEN": FreePort.tcpAddress(), "PATH": "/usr/bin:/bin", "DRY_RUN_OUTPUT": "/dev/null",
            ])
        defer { hub.signal(SIGKILL) }
        // 90 s: on a loaded CI machine (the suite's QEMU guest beside it) 30 s were once not enough for the first answer.
        try await Eventually.wait(for: "the hub's /healthz", timeout: .seconds(90)) {
            try #require(hub.isRunning, "the hub exited: \(hub.stderr.suffix(2000))")
            return (try? await CLIRun.run(["healthcheck", "--url", "127.0.0.1:\(http)"]).status) == 0
        }
        let table = try await CLIRun.run(["status", "--hub-http", "127.0.0.1:\(http)"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("librato: dry-run"), "\(table.stdout)")
        #expect(table.stdout.contains("collectors: none has sent a frame yet"))
        let json = try await CLIRun.run(["status", "--json", "--hub-http", "http://127.0.0.1:\(http)/"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["librato"] as? String == "dry-run")
        #expect(object["status"] as? String == "ok")
        #expect((object["version"] as? String)?.hasPrefix("0.") == true)
        let metrics = try await HTTPFetch.get("http://127.0.0.1:\(http)/metrics")
        #expect(metrics.contains("docker_librato_hub_dry_run 1"))
        #expect(metrics.contains("docker_librato_build_info{role=\"hub\",version=\""))
        #expect(metrics.contains("process_resident_memory_bytes ") && metrics.contains("process_start_time_seconds "))
        let page = try await HTTPFetch.get("http://127.0.0.1:\(http)/")
        #expect(page.contains("DRY RUN"))
        hub.signal(SIGTERM)
        let status = try await hub.waitForExit(timeout: .seconds(30))
        #expect(status == 0, "exit \(status): \(hub.stderr.suffix(2000))")
        let first = try #require(hub.stderr.split(separator: "\n").first)
        #expect(first.contains("msg=\"docker-librato 0.") && first.contains(" version=0.") && first.contains(" role=hub"), "the release is the first thing logged: \(first)")
    }

    /// The collector's own endpoint: `/metrics` with its self-metrics, `process_*` and build info, beside `/healthz`.
    /// Needs the test dockerd (the collector waits for its engine before it starts).
    @Test func theCollectorServesPrometheusMetricsAndLogsItsReleaseFirst() async throws {
        let http = FreePort.next()
        let collector = try TestProcess(
            try ProductBinary.path(), ["collector"],
            environment: [
                "ALLOW_NO_CLUSTER_KEY": "true", "HTTP_LISTEN": "127.0.0.1:\(http)", "HUB_ADDRESS": FreePort.tcpAddress(),
                "HUB_ACK_ADDRESS": FreePort.tcpAddress(), "PATH": "/usr/bin:/bin", "COLLECT_LOGS": "false",
            ])
        defer { collector.signal(SIGKILL) }
        var metrics = ""
        try await Eventually.wait(for: "the collector's /metrics", timeout: .seconds(90)) {
            try #require(collector.isRunning, "the collector exited: \(collector.stderr.suffix(2000))")
            metrics = (try? await HTTPFetch.get("http://127.0.0.1:\(http)/metrics")) ?? ""
            return !metrics.isEmpty
        }
        #expect(metrics.contains("docker_librato_build_info{role=\"collector\",version=\"0."), "\(metrics)")
        #expect(metrics.contains("process_resident_memory_bytes ") && metrics.contains("process_cpu_seconds_total ") && metrics.contains("process_start_time_seconds "))
        #expect(metrics.contains("docker_librato_collector_"), "its own counters")
        collector.signal(SIGTERM)
        _ = try await collector.waitForExit(timeout: .seconds(30))
        let first = try #require(collector.stderr.split(separator: "\n").first)
        #expect(first.contains(" version=0.") && first.contains(" role=collector"), "\(first)")
    }
}

/// A GET through curl (the tests' HTTP client of choice for processes they did not start in-process).
enum HTTPFetch {
    static func get(_ url: String) async throws -> String {
        let p = try TestProcess("/usr/bin/curl", ["-sS", "-f", url])
        _ = try await p.waitForExit(timeout: .seconds(10))
        return p.stdout
    }
}
