import DockerLibratoTesting
import Foundation
import Testing

/// The README's first command, `scripts/setup.sh`, decides whether a Docker engine is there by a socket that answers
/// or a `dockerd` to start — never by the `docker` client alone, which people install for remote use. Run in plan-only
/// mode with a PATH that holds only what each case needs (a fake client, no dockerd), so it changes nothing here.
@Suite("scripts/setup.sh: a Docker client alone is not an engine")
struct SetupScriptTests {
    /// Runs setup.sh with SETUP_PLAN_ONLY=1, a socket path that nothing serves and a PATH of the basic tools plus `extra`
    /// (name → shell script body); `sbin` goes in a directory off PATH that setup.sh searches for dockerd (as
    /// /usr/sbin is for a user who is not root on Debian).
    func plan(extra: [String: String], sbin: [String: String] = [:]) async throws -> (status: Int32, output: String) {
        let bin = FileManager.default.temporaryDirectory.appendingPathComponent("setup-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: bin) }
        for tool in ["bash", "sh", "id", "dirname", "cat"] {
            let real = ["/usr/bin/\(tool)", "/bin/\(tool)"].first { FileManager.default.isExecutableFile(atPath: $0) }!
            try FileManager.default.createSymbolicLink(atPath: "\(bin)/\(tool)", withDestinationPath: real)
        }
        let sbinDir = bin + "/sbin"
        try FileManager.default.createDirectory(atPath: sbinDir, withIntermediateDirectories: true)
        for (dir, tools) in [(bin, extra), (sbinDir, sbin)] {
            for (name, body) in tools {
                try "#!/bin/sh\n\(body)\n".write(toFile: "\(dir)/\(name)", atomically: true, encoding: .utf8)
                try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: "\(dir)/\(name)")
            }
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../scripts/setup.sh").standardized.path
        let p = try TestProcess(
            "\(bin)/bash", [script],
            environment: [
                "PATH": bin, "SETUP_PLAN_ONLY": "1", "DOCKER_LIBRATO_SOCK": "\(bin)/no-engine.sock",
                "DOCKER_LIBRATO_DOCKERD_DIRS": sbinDir, "HOME": "/root",
            ])
        let status = try await p.waitForExit(timeout: .seconds(30))
        return (status, p.stdout + p.stderr)
    }

    @Test func onlyTheDockerClientMeansTheEngineIsInstalled() async throws {
        // The client is there, nothing answers (it exits 1 as `docker version` does without a daemon), no dockerd.
        let r = try await plan(extra: ["docker": "exit 1"])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.contains("found the docker client"), "\(r.output)")
        #expect(r.output.contains("no dockerd"), "\(r.output)")
        #expect(r.output.range(of: #"installing [^\n]*docker\.io"#, options: .regularExpression) != nil, "\(r.output)")
    }

    /// Docker's own client (docker-ce-cli) conflicts with docker.io: its engine is docker-ce, from the same repository.
    @Test func dockersOwnClientGetsDockersOwnEngine() async throws {
        let dpkg = #"[ "$3" = docker-ce-cli ] && printf 'install ok installed' || exit 1"#
        let r = try await plan(extra: ["docker": "exit 1", "dpkg-query": dpkg, "apt-cache": #"[ "$2" = docker-ce ]"#])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.contains("installing docker-ce"), "\(r.output)")
        #expect(!r.output.contains("docker.io\n") && !r.output.contains("installing docker.io"), "\(r.output)")
        // Without Docker's repository in the apt sources: stop, and say what to do.
        let none = try await plan(extra: ["docker": "exit 1", "dpkg-query": dpkg, "apt-cache": "exit 100"])
        #expect(none.status == 1, "\(none.output)")
        #expect(none.output.contains("no docker-ce package in the apt sources: add Docker's apt repository"), "\(none.output)")
    }

    @Test func noDockerAtAllMeansTheEngineIsInstalled() async throws {
        let r = try await plan(extra: [:])
        #expect(r.output.range(of: #"installing [^\n]*docker\.io"#, options: .regularExpression) != nil, "\(r.output)")
    }

    @Test func anInstalledButStoppedDockerdIsStartedNotReinstalled() async throws {
        let r = try await plan(extra: ["docker": "exit 1", "dockerd": "exit 0"])
        #expect(r.output.contains("dockerd is installed (") && r.output.contains("but nothing answers"), "\(r.output)")
        #expect(!r.output.contains("docker.io"), "\(r.output)")
    }

    @Test func aDockerdOffThePathIsFoundNotReinstalled() async throws {
        // docker.io installed, setup.sh run by a user whose PATH lacks /usr/sbin (Debian's default for non-root).
        let r = try await plan(extra: ["docker": "exit 1"], sbin: ["dockerd": "exit 0"])
        #expect(r.output.contains("dockerd is installed (") && r.output.contains("/sbin/dockerd)"), "\(r.output)")
        #expect(!r.output.contains("docker.io"), "\(r.output)")
    }

    @Test func anEngineThatAnswersIsUsedAsItIs() async throws {
        // A client whose `version` succeeds: an engine answers on the socket (local or forwarded).
        let r = try await plan(extra: ["docker": "exit 0"])
        #expect(r.output.contains("using the Docker engine that answers"), "\(r.output)")
        #expect(!r.output.contains("docker.io"), "\(r.output)")
    }
}
