import DockerLibratoTesting
import Testing

/// The collector (`docker-librato standalone`, dry-run sink) following a remote engine over verified TLS: a second
/// dockerd on tcp://127.0.0.1:<port> with --tlsverify, reached through DOCKER_HOST, DOCKER_TLS_VERIFY and
/// DOCKER_CERT_PATH. Its stats come from the Engine API (`auto` never reads this machine's cgroup files for a tcp
/// engine), its logs and events over the same connection.
@Suite(.dockerDaemon, .serialized) struct TLSCollectorTests {
    @Test func collectorFollowsARemoteEngineOverTLS() async throws {
        let certs = try await TestCertificates.make()
        defer { certs.remove() }
        let port = FreePort.next()
        try await ExtraDockerd.with(
            liveRestore: false,
            arguments: ["--host", "tcp://127.0.0.1:\(port)", "--tlsverify", "--tlscacert", certs.serverCA, "--tlscert", certs.serverCert, "--tlskey", certs.serverKey]
        ) { daemon in
            let name = DockerTestHelper.uniqueName("tls-collector")
            try await Role.with(
                "tls", arguments: ["standalone"],
                environment: [
                    "DOCKER_HOST": "tcp://127.0.0.1:\(port)", "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": certs.client,
                    "STATS_INTERVAL": "1", "LIBRATO_PERIOD": "2000", "INCLUDE_NAMES": name,
                ]
            ) { role in
                try await role.waitForLog("following containers")
                #expect(role.log.contains("reached over tcp://127.0.0.1:\(port) (TLS)"), "\(role.log.suffix(2000))")
                // Started after the collector follows the engine: its lines, its stats and its start event.
                try await daemon.docker(["run", "-d", "--name", name, DockerTestHelper.image, "sh", "-c", "echo one; echo two; exec sleep 300"])
                try await role.waitForMeasurement("docker.container.memory.used", container: name)
                try await role.waitForMeasurement("docker.container.logs.stdout.lines", container: name)
                try await role.waitForMeasurement("docker.container.events.start", container: name)
                #expect(!role.log.contains("level=error"), "\(role.log.suffix(2000))")
            }
        }
    }
}
