import DockerLibratoTesting
import Foundation
import Testing
import WireFormat

/// `docker-librato validate` as an operator runs it on a new host: the built binary, configured by variables, against
/// the real dockerd, a real hub process and the strict fake Librato. Each failure class has its exit status.
@Suite("docker-librato validate: the configuration and what it reaches, without starting the role")
struct ValidateCommandTests {
    static func validate(_ arguments: [String], _ environment: [String: String]) async throws -> CLIRun.Result {
        try await CLIRun.run(["validate"] + arguments, environment: environment.merging(["LOG_FORMAT": "logfmt"]) { $1 })
    }

    /// The report's line for `check` (`ok    hub   …`), or "" when there is none.
    static func line(_ check: String, in output: String) -> String {
        output.split(separator: "\n").first { $0.dropFirst(6).hasPrefix(check + " ") }.map(String.init) ?? ""
    }

    @Test(
        "a value that does not parse is a configuration failure (exit 2) naming its variable or flag; nothing else is tried",
        arguments: [
            (["collector"], ["STATS_INTERVAL": "soon"], #"STATS_INTERVAL must be a number of seconds of at least 0.1, got "soon""#),
            (["hub", "--listen", "nonsense"], [:], "--listen must be tcp://HOST:PORT"),
            ([], ["LIBRATO_PERIOD": "5"], "LIBRATO_PERIOD must be a whole number of milliseconds"),
            (["collector"], ["CLUSTER_KEY_FILE": "/nonexistent/cluster.key"], "CLUSTER_KEY_FILE: cannot read /nonexistent/cluster.key"),
        ])
    func configurationFailure(arguments: [String], environment: [String: String], message: String) async throws {
        let r = try await Self.validate(arguments, ["ALLOW_NO_CLUSTER_KEY": "true"].merging(environment) { $1 })
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(Self.line("config", in: r.stdout).hasPrefix("FAIL  config"), "\(r.stdout)")
        #expect(r.stdout.contains(message), "\(r.stdout)")
        #expect(Self.line("docker", in: r.stdout).hasPrefix("skip") || arguments.first == "hub", "\(r.stdout)")
        #expect(r.stdout.contains("FAIL: configuration (exit status 2)"))
        let role = arguments.first ?? "standalone"
        #expect(r.stdout.hasPrefix("docker-librato validate \(role)\n"), "\(r.stdout)")
    }

    @Test("DOCKER_HOST naming a socket nothing serves is a Docker failure (exit 3) that names DOCKER_HOST")
    func noDocker() async throws {
        let path = "/tmp/dl-validate-\(UInt32.random(in: 0...UInt32.max)).sock"
        try Self.staleSocket(at: path)
        defer { unlink(path) }
        let r = try await Self.validate(
            ["standalone", "--timeout", "2"], ["DOCKER_HOST": "unix://\(path)", "HTTP_LISTEN": "127.0.0.1:\(FreePort.next())"])
        #expect(r.status == 3, "\(r.stdout)\(r.stderr)")
        #expect(Self.line("docker", in: r.stdout).hasPrefix("FAIL  docker"), "\(r.stdout)")
        #expect(r.stdout.contains("check DOCKER_HOST (now unix://\(path))"), "\(r.stdout)")
        #expect(Self.line("sample", in: r.stdout).hasPrefix("skip"), "\(r.stdout)")
        #expect(Self.line("librato", in: r.stdout).contains("dry run (no LIBRATO_TOKEN): nothing will be posted"), "\(r.stdout)")
        #expect(r.stdout.contains("FAIL: docker (exit status 3)"))
    }

    /// A unix socket file that nothing listens on (what a stopped dockerd leaves behind).
    static func staleSocket(at path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        close(fd)
        #expect(bound == 0 && FileManager.default.fileExists(atPath: path))
    }
}

/// `validate collector` against the real dockerd and a real hub process.
@Suite("docker-librato validate collector: Docker, a sample, and the hub's key on the control path", .serialized, .dockerDaemon)
struct ValidateCollectorTests {
    let runID = String(UInt32.random(in: 0...UInt32.max), radix: 36)

    func collectorEnvironment(hubPort: Int, ackPort: Int, key: String) -> [String: String] {
        [
            "HUB_ADDRESS": "tcp://127.0.0.1:\(hubPort)", "HUB_ACK_ADDRESS": "tcp://127.0.0.1:\(ackPort)", "CLUSTER_KEY": key,
            "INCLUDE_LABELS": "dl-validate=\(runID)", "LOG_FORMAT": "logfmt",
        ]
    }

    @Test("with the hub's key: every check ok (exit 0), a container sampled, and the hub got no frame; another key: exit 4, key does not match")
    func hubAndKey() async throws {
        let key = ClusterKey.generateText()
        let (hubPort, ackPort, http) = (FreePort.next(), FreePort.next(), FreePort.next())
        let hub = try TestProcess(
            try ProductBinary.path(), ["hub"],
            environment: [
                "CLUSTER_KEY": key, "HUB_LISTEN": "tcp://127.0.0.1:\(hubPort)", "HUB_ACK_LISTEN": "tcp://127.0.0.1:\(ackPort)",
                "HTTP_LISTEN": "127.0.0.1:\(http)", "PATH": "/usr/bin:/bin", "DRY_RUN_OUTPUT": "/dev/null",
            ])
        defer { hub.signal(SIGKILL) }
        let container = try await TestContainer.run("validate", options: ["--label", "dl-validate=\(runID)"], command: ["sleep", "300"])
        defer { container.remove() }
        try await Eventually.wait(for: "the hub's /healthz") { (try? await CLIRun.run(["healthcheck", "--url", "127.0.0.1:\(http)"]).status) == 0 }

        let good = try await CLIRun.run(["validate", "collector"], environment: collectorEnvironment(hubPort: hubPort, ackPort: ackPort, key: key))
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)\n---- hub\n\(hub.stderr)")
        #expect(ValidateCommandTests.line("hub", in: good.stdout).contains("answered a sealed control request: the cluster key matches"), "\(good.stdout)")
        #expect(ValidateCommandTests.line("hub data", in: good.stdout).hasPrefix("ok"), "\(good.stdout)")
        #expect(ValidateCommandTests.line("docker", in: good.stdout).contains("API 1."), "\(good.stdout)")
        #expect(ValidateCommandTests.line("containers", in: good.stdout).contains("1 followed"), "\(good.stdout)")
        let sample = ValidateCommandTests.line("sample", in: good.stdout)
        #expect(sample.hasPrefix("ok") && sample.contains(container.name) && sample.contains("CPU ") && sample.contains("memory "), "\(good.stdout)")

        let wrong = try await CLIRun.run(
            ["validate", "collector"], environment: collectorEnvironment(hubPort: hubPort, ackPort: ackPort, key: ClusterKey.generateText()))
        #expect(wrong.status == 4, "\(wrong.stdout)\(wrong.stderr)")
        #expect(ValidateCommandTests.line("hub", in: wrong.stdout).contains("key does not match"), "\(wrong.stdout)")
        #expect(wrong.stdout.contains("CLUSTER_KEY_FILE (or CLUSTER_KEY)"), "\(wrong.stdout)")
        #expect(!wrong.stdout.contains(key))

        // Nothing reached the hub's data path: it has seen no collector.
        let status = try await CLIRun.run(["status", "--hub-http", "127.0.0.1:\(http)"])
        #expect(status.stdout.contains("collectors: none has sent a frame yet"), "\(status.stdout)")
    }

    @Test("no hub at HUB_ADDRESS: exit 4 within the timeout, saying where it looked and what to check; --json says the same")
    func noHub() async throws {
        let port = FreePort.next()
        let started = ContinuousClock.now
        let r = try await CLIRun.run(
            ["validate", "collector", "--timeout", "1", "--json"],
            environment: ["HUB_ADDRESS": "tcp://127.0.0.1:\(port)", "CLUSTER_KEY": ClusterKey.generateText(), "INCLUDE_LABELS": "dl-validate=\(runID)"])
        #expect(r.status == 4, "\(r.stdout)\(r.stderr)")
        #expect(ContinuousClock.now - started < .seconds(20))
        let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout)")
        #expect(report["role"] as? String == "collector")
        #expect(report["ok"] as? Bool == false)
        #expect(report["exit_status"] as? Int == 4)
        #expect(report["failed"] as? String == "hub")
        let checks = try #require(report["checks"] as? [[String: String]])
        let hub = try #require(checks.first { $0["name"] == "hub" })
        #expect(hub["status"] == "fail" && hub["area"] == "hub")
        #expect(hub["summary"]?.hasPrefix("no hub answers at tcp://127.0.0.1:\(port + 1) within 1 s") == true, "\(hub)")
        #expect(hub["hint"]?.contains("HUB_ADDRESS / HUB_ACK_ADDRESS") == true && hub["hint"]?.contains("firewall") == true)
        #expect(checks.first { $0["name"] == "docker" }?["status"] == "ok", "\(checks)")
        // Sampling depends on what else runs on this engine; it must not fail either way.
        #expect(checks.first { $0["name"] == "sample" }?["status"] != "fail", "\(checks)")
    }
}

/// `validate hub` against the strict fake Librato.
@Suite("docker-librato validate hub: listen ports and the Librato credential, read-only")
struct ValidateHubTests {
    static func environment(_ fake: FakeLibrato, token: String) -> [String: String] {
        [
            "LIBRATO_API_URL": fake.baseURL, "LIBRATO_EMAIL": fake.configuration.email, "LIBRATO_TOKEN": token,
            "CLUSTER_KEY": ClusterKey.generateText(), "HUB_LISTEN": FreePort.tcpAddress(), "HUB_ACK_LISTEN": FreePort.tcpAddress(),
        ]
    }

    @Test("good credentials: ok (exit 0) with one GET and no measurement posted; a taken HTTP port is a warning that a hub may be running")
    func goodCredentials() async throws {
        try await SpaceCommandTests.withFake { fake in
            let taken = try ServerSocket()
            defer { taken.close() }
            let env = Self.environment(fake, token: fake.configuration.token).merging(["HTTP_LISTEN": "127.0.0.1:\(taken.port)"]) { $1 }
            let r = try await ValidateCommandTests.validate(["hub"], env)
            #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
            #expect(ValidateCommandTests.line("librato", in: r.stdout).contains("Librato accepts the credential of \(fake.configuration.email)"), "\(r.stdout)")
            #expect(ValidateCommandTests.line("hub listen", in: r.stdout).hasPrefix("ok"), "\(r.stdout)")
            let http = ValidateCommandTests.line("http listen", in: r.stdout)
            #expect(http.hasPrefix("WARN") && http.contains("a hub may already be running here"), "\(r.stdout)")
            let requests = fake.snapshot.requests
            #expect(requests.map(\.method) == ["GET"] && requests.first?.uri.hasPrefix("/v1/spaces?name=docker-librato") == true, "\(requests.map(\.uri))")
            #expect(fake.snapshot.accepted.isEmpty && fake.spaces.isEmpty)
            #expect(!(r.stdout + r.stderr).contains(fake.configuration.token))
        }
    }

    @Test("bad credentials: exit 5, naming LIBRATO_EMAIL/LIBRATO_TOKEN, without the token; nothing posted")
    func badCredentials() async throws {
        try await SpaceCommandTests.withFake { fake in
            let token = "wrong-SECRET-\(UInt32.random(in: 0...UInt32.max))"
            let r = try await ValidateCommandTests.validate(["hub", "--http-listen", "off"], Self.environment(fake, token: token))
            #expect(r.status == 5, "\(r.stdout)\(r.stderr)")
            let line = ValidateCommandTests.line("librato", in: r.stdout)
            #expect(line.hasPrefix("FAIL") && line.contains("Librato refused the credential (401)"), "\(r.stdout)")
            #expect(r.stdout.contains("check LIBRATO_EMAIL/LIBRATO_TOKEN"))
            #expect(!(r.stdout + r.stderr).contains(token))
            #expect(fake.snapshot.requests.allSatisfy { $0.method == "GET" } && fake.snapshot.accepted.isEmpty)
            #expect(r.stdout.contains("FAIL: librato (exit status 5)"))
        }
    }
}
