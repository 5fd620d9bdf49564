import DockerLibratoTesting
import NIOCore
import Testing

@testable import DockerEngine

#if canImport(Glibc)
import Glibc
#endif

@Suite struct EndpointTests {
    @Test func defaultsToTheUnixSocket() throws {
        #expect(try DockerEndpoint.fromEnvironment([:]) == .unix(path: "/var/run/docker.sock"))
        #expect(try DockerEndpoint.fromEnvironment(["DOCKER_HOST": ""]) == .unix(path: "/var/run/docker.sock"))
    }

    @Test func unixURL() throws {
        #expect(try DockerEndpoint.fromEnvironment(["DOCKER_HOST": "unix:///run/user/1000/docker.sock"]) == .unix(path: "/run/user/1000/docker.sock"))
    }

    @Test func tcpWithAndWithoutPort() throws {
        #expect(try DockerEndpoint.fromEnvironment(["DOCKER_HOST": "tcp://10.0.0.5:2375"]) == .tcp(host: "10.0.0.5", port: 2375, tls: nil))
        #expect(try DockerEndpoint.fromEnvironment(["DOCKER_HOST": "tcp://docker.example"]) == .tcp(host: "docker.example", port: 2375, tls: nil))
        #expect(try DockerEndpoint.fromEnvironment(["DOCKER_HOST": "tcp://[::1]:2380/"]) == .tcp(host: "::1", port: 2380, tls: nil))
    }

    @Test func tlsVerifyTakesCertificatesFromCertPath() throws {
        let pem = ["ca.pem": "x", "cert.pem": "x", "key.pem": "x"]
        let dir = try FixtureDirectory(
            "certs",
            files: pem.reduce(into: [:]) {
                $0[$1.key] = $1.value
                $0[".docker/" + $1.key] = $1.value
            }
        )
        defer { dir.remove() }
        let endpoint = try DockerEndpoint.fromEnvironment(
            ["DOCKER_HOST": "tcp://h:2376", "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": dir.path + "/"])
        let files = DockerTLSFiles(caPath: dir.path + "/ca.pem", certPath: dir.path + "/cert.pem", keyPath: dir.path + "/key.pem")
        #expect(endpoint == .tcp(host: "h", port: 2376, tls: files))
        // As the CLI: port 2376 by default with TLS, certificates from ~/.docker without DOCKER_CERT_PATH.
        let home = try DockerEndpoint.fromEnvironment(["DOCKER_HOST": "tcp://h", "DOCKER_TLS_VERIFY": "1", "HOME": dir.path])
        let homeFiles = DockerTLSFiles(
            caPath: dir.path + "/.docker/ca.pem",
            certPath: dir.path + "/.docker/cert.pem",
            keyPath: dir.path + "/.docker/key.pem"
        )
        #expect(home == .tcp(host: "h", port: 2376, tls: homeFiles))
    }

    @Test func errorsNameTheVariableAndTheExpectedForm() {
        func error(_ env: [String: String]) -> DockerError? {
            do {
                _ = try DockerEndpoint.fromEnvironment(env)
                return nil
            } catch { return error }
        }
        let ssh = error(["DOCKER_HOST": "ssh://me@host"])
        #expect(ssh?.description.contains("DOCKER_HOST") == true)
        #expect(ssh?.description.contains("tcp://host:port") == true)
        #expect(error(["DOCKER_HOST": "tcp://host:notaport"])?.description.contains("tcp://host:port") == true)
        #expect(error(["DOCKER_HOST": "unix://relative.sock"])?.description.contains("absolute") == true)
        let missing = error(["DOCKER_HOST": "tcp://h:2376", "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": "/nonexistent/certs"])
        #expect(missing?.description.contains("DOCKER_CERT_PATH") == true)
        #expect(missing?.description.contains("ca.pem") == true)
    }

    @Test func versionNegotiation() throws {
        #expect(try DockerAPIVersion.negotiate(daemon: DockerAPIVersion(1, 43)) == DockerAPIVersion(1, 41))
        #expect(try DockerAPIVersion.negotiate(daemon: DockerAPIVersion(1, 30)) == DockerAPIVersion(1, 30))
        #expect(DockerAPIVersion("1.9")! < DockerAPIVersion("1.10")!)
        #expect(throws: DockerError.apiVersionTooOld(daemon: "1.24", minimum: "1.25")) {
            try DockerAPIVersion.negotiate(daemon: DockerAPIVersion(1, 24))
        }
        #expect(DockerAPIVersion("1.x") == nil)
    }

    @Test func errorMessagesTellTheOperatorWhatToDo() {
        let denied = DockerError.permissionDenied(endpoint: "unix:///var/run/docker.sock").description
        // The two fixes: the socket's group, or (SELinux/AppArmor) label=disable / --privileged.
        #expect(denied.contains("usermod -aG") && denied.contains("--group-add"))
        #expect(denied.contains("--privileged") && denied.contains("label=disable"))
        #expect(DockerError.apiVersionTooOld(daemon: "1.24", minimum: "1.25").description.contains("Upgrade"))
        // Each TLS failure says which file under DOCKER_CERT_PATH (or which variable) to fix.
        let files = DockerTLSFiles(caPath: "/certs/ca.pem", certPath: "/certs/cert.pem", keyPath: "/certs/key.pem")
        func reason(_ text: String) -> String { DockerClient.tlsReason(text, host: "h", files: files) }
        #expect(reason("handshakeFailed(CERTIFICATE_VERIFY_FAILED)").contains("DOCKER_CERT_PATH/ca.pem is not the CA"))
        #expect(reason("handshakeFailed(TLSV1_ALERT_CERTIFICATE_REQUIRED)").contains("refused the client certificate"))
        #expect(reason("handshakeFailed(SSLV3_ALERT_BAD_CERTIFICATE)").contains("cert.pem and key.pem"))
        #expect(reason("failedToValidateHostname").contains("does not name h"))
        #expect(reason("handshakeFailed(WRONG_VERSION_NUMBER)").contains("does not speak TLS"))
        #expect(reason("something else").contains("Check DOCKER_CERT_PATH (/certs)"))
        #expect(DockerError.daemonUnreachable(endpoint: "tcp://h:2376", reason: "refused").description.contains("dockerd -H tcp://"))
    }

    @Test func socketPermissionErrorsMapToPermissionDenied() async throws {
        let client = try DockerClient(endpoint: .unix(path: "/var/run/docker.sock"))
        #expect(
            client.mapTransportError(IOError(errnoCode: EACCES, reason: "connect"), path: "/_ping")
                .description.hasPrefix("Permission denied on the Docker socket unix:///var/run/docker.sock (owned by")
        )
        try await client.shutdown()
    }

    @Test func unreachableDaemonNamesTheEndpoint() async throws {
        let client = try DockerClient(endpoint: .unix(path: "/tmp/dl-test-no-such.sock"))
        let error = await #expect(throws: DockerError.self) { try await client.ping() }
        if case .daemonUnreachable(let endpoint, _)? = error {
            #expect(endpoint == "unix:///tmp/dl-test-no-such.sock")
        } else {
            Issue.record("expected daemonUnreachable, got \(String(describing: error))")
        }
        #expect(error?.description.contains("unix:///tmp/dl-test-no-such.sock") == true)
        try await client.shutdown()
    }
}
