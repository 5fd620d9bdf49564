import ContainerMetrics
import DockerLibratoTesting
import Testing

@testable import DockerEngine

/// A remote engine for real: a second dockerd on `tcp://127.0.0.1:<port>` with `--tlsverify` and certificates made
/// for the test (``TestCertificates``), reached through `DOCKER_HOST`, `DOCKER_TLS_VERIFY` and `DOCKER_CERT_PATH`
/// exactly as the docker CLI reads them.
@Suite(.dockerDaemon, .serialized) struct LiveTLSTests {
    /// Runs `body` with a TLS daemon (its tcp port) and the certificates; removes both afterwards.
    static func withTLSDaemon<T>(_ body: (ExtraDockerd, Int, TestCertificates) async throws -> T) async throws -> T {
        let certs = try await TestCertificates.make()
        defer { certs.remove() }
        let port = FreePort.next()
        return try await ExtraDockerd.with(
            liveRestore: false,
            arguments: [
                "--host", "tcp://127.0.0.1:\(port)", "--tlsverify", "--tlscacert", certs.serverCA, "--tlscert", certs.serverCert, "--tlskey", certs.serverKey,
            ]
        ) { daemon in
            try await body(daemon, port, certs)
        }
    }

    static func environment(port: Int, certPath: String, verify: Bool = true) -> [String: String] {
        var env = ["DOCKER_HOST": "tcp://127.0.0.1:\(port)", "DOCKER_CERT_PATH": certPath]
        env[verify ? "DOCKER_TLS_VERIFY" : "DOCKER_TLS"] = "1"
        return env
    }

    static func withClient<T>(_ env: [String: String], _ body: (DockerClient) async throws -> T) async throws -> T {
        try await DockerTestHelper.using(DockerClient(endpoint: try DockerEndpoint.fromEnvironment(env), connectTimeout: .seconds(5)), body)
    }

    /// Everything the collector asks an engine for, over TLS: info, listing, inspect, one-shot stats, logs, events.
    @Test func followsADaemonOverVerifiedTLS() async throws {
        try await Self.withTLSDaemon { daemon, port, certs in
            let name = DockerTestHelper.uniqueName("tls")
            let id = try await daemon.docker(["run", "-d", "--name", name, DockerTestHelper.image, "sh", "-c", "echo hello over tls; exec sleep 300"])
            try await Self.withClient(Self.environment(port: port, certPath: certs.client)) { client in
                #expect(client.endpoint == .tcp(host: "127.0.0.1", port: port, tls: DockerTLSFiles(
                    caPath: certs.client + "/ca.pem", certPath: certs.client + "/cert.pem", keyPath: certs.client + "/key.pem")))
                let info = try await client.info()
                #expect(info.engineID == (try await daemon.docker(["info", "--format", "{{.ID}}"])))
                #expect(try await client.listContainers().contains { $0.id == id && $0.name == name })
                let details = try await client.inspect(id: id)
                #expect(details.state.running && details.name == name)
                let sample = try await client.stats(id: id)
                #expect(sample.memory.map { $0.usage > 0 } == true)
                #expect(sample.pids == 1)
                let lines = try await collect(try await client.logs(id: id, tty: false), what: "logs over TLS") { !$0.isEmpty }
                #expect(lines.first.map { String(decoding: $0.message, as: UTF8.self) } == "hello over tls\n")

                let events = try await client.events()
                try await daemon.docker(["restart", "-t", "0", name])
                let seen = try await collect(events, what: "restart events over TLS") { $0.contains { $0.id == id && $0.action == "start" } }
                #expect(seen.filter { $0.id == id }.map(\.action).contains("die"))
            }
        }
    }

    /// Each way of getting the certificates wrong fails with an error that says which file under DOCKER_CERT_PATH
    /// (or which variable) to fix; none hangs.
    @Test func certificateMistakesNameTheVariableToFix() async throws {
        try await Self.withTLSDaemon { _, port, certs in
            func failure(_ env: [String: String]) async -> DockerError? {
                do {
                    try await Self.withClient(env) { client in _ = try await client.info() }
                    return nil
                } catch let error as DockerError {
                    return error
                } catch {
                    Issue.record("unexpected error \(error)")
                    return nil
                }
            }
            // The daemon's certificate is not signed by DOCKER_CERT_PATH/ca.pem.
            let wrongCA = try #require(await failure(Self.environment(port: port, certPath: certs.wrongCA)))
            print("TLS errors: wrong CA: \(wrongCA)")
            guard case .tlsFailed = wrongCA else { Issue.record("wrong CA: \(wrongCA)"); return }
            #expect(wrongCA.description.contains("DOCKER_CERT_PATH"), "\(wrongCA)")
            #expect(wrongCA.description.contains("ca.pem is not the CA that signed the daemon's certificate"), "\(wrongCA)")

            // DOCKER_TLS_VERIFY without a client certificate: refused before connecting, as the docker CLI does.
            let missing = try #require(await failure(Self.environment(port: port, certPath: certs.caOnly)))
            #expect(missing.description.contains("DOCKER_CERT_PATH"), "\(missing)")
            #expect(missing.description.contains("cert.pem"), "\(missing)")

            // TLS without verification (DOCKER_TLS) and no client certificate: the daemon (--tlsverify) refuses.
            let noClientCert = try #require(await failure(Self.environment(port: port, certPath: certs.caOnly, verify: false)))
            print("TLS errors: no client certificate: \(noClientCert)")
            guard case .tlsFailed = noClientCert else { Issue.record("no client certificate: \(noClientCert)"); return }
            #expect(noClientCert.description.contains("the daemon refused the client certificate"), "\(noClientCert)")
            #expect(noClientCert.description.contains("DOCKER_CERT_PATH"), "\(noClientCert)")

            // A client certificate from another CA: the daemon refuses it too.
            let foreign = try #require(await failure(Self.environment(port: port, certPath: certs.foreignClient)))
            print("TLS errors: foreign client certificate: \(foreign)")
            #expect(foreign.description.contains("the daemon refused the client certificate"), "\(foreign)")

            // Plain HTTP to the TLS port: the fix is DOCKER_TLS_VERIFY.
            let plain = try #require(await failure(["DOCKER_HOST": "tcp://127.0.0.1:\(port)"]))
            print("TLS errors: plain HTTP: \(plain)")
            print("TLS errors: missing client certificate: \(missing)")
            #expect(plain.description.contains("DOCKER_TLS_VERIFY"), "\(plain)")
        }
    }
}
