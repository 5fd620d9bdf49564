// Test-only code: Foundation's Process is the simplest way to drive the docker CLI.
import Foundation

/// Drives the real dockerd through the docker CLI for tests: creates uniquely named containers from the local
/// test image and removes them again. Tests that use it need a running dockerd and FAIL (never skip) without one.
public enum DockerTestHelper {
    /// The Debian docker client, matching the daemon's API version.
    public static let dockerCLI = "/usr/bin/docker"
    /// The image every test container runs (busybox-static, imported locally; nothing is pulled).
    public static let image = "local/busybox:latest"
    /// The socket the tests talk to.
    public static let socketPath = "/var/run/docker.sock"

    /// A failed docker CLI command, with everything needed to see why.
    public struct CommandError: Error, CustomStringConvertible {
        public var arguments: [String]
        public var status: Int32
        public var stderr: String
        public var description: String {
            "docker \(arguments.joined(separator: " ")) exited \(status): \(stderr)"
        }
    }

    /// Runs `docker <arguments>` and returns its trimmed stdout.
    ///
    /// Async so that no Swift concurrency thread waits for the CLI: the pool has one thread per core (two here), and
    /// tests blocked in `docker run` on both once starved every other test until its deadlines passed.
    @discardableResult
    public static func docker(_ arguments: [String], timeout: Duration = .seconds(120)) async throws -> String {
        let (status, stdout, stderr) = try await TestProcess.run(dockerCLI, ["-H", "unix://\(socketPath)"] + arguments, timeout: timeout)
        guard status == 0 else {
            throw CommandError(arguments: arguments, status: status, stderr: stderr.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Starts `docker <arguments>` and returns without waiting for it, for clean-up where nothing can be awaited
    /// (a `defer`). The command runs to its end even when the test process exits first.
    public static func dockerInBackground(_ arguments: [String]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: dockerCLI)
        process.arguments = ["-H", "unix://\(socketPath)"] + arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try? process.run()
    }

    /// Throws a loud error when dockerd does not answer, naming the fix.
    public static func requireDaemon() async throws {
        do {
            try await docker(["version", "--format", "{{.Server.Version}}"])
        } catch {
            throw CommandError(
                arguments: ["version"],
                status: -1,
                stderr: "dockerd is not reachable on \(socketPath) (\(error)). These tests need it: run scripts/test-env.sh"
            )
        }
    }

    /// `dl-test-<tag>-<random>`: unique per run, recognisable for cleanup.
    public static func uniqueName(_ tag: String) -> String {
        "dl-test-\(tag)-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    }

    /// Polls `condition` until it holds or `timeout` passes; returns whether it held.
    public static func waitUntil(
        timeout: Duration = .seconds(20),
        every interval: Duration = .milliseconds(50),
        _ condition: () async throws -> Bool
    ) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: interval)
        }
        return try await condition()
    }
}

/// A container made for one test. Remove it with ``remove()`` (e.g. in a `defer`).
public struct TestContainer: Sendable {
    public let name: String
    public let id: String

    /// `docker run -d --network none --name dl-test-<tag>-… [options] local/busybox:latest <command>`.
    public static func run(_ tag: String, options: [String] = [], command: [String]) async throws -> TestContainer {
        try await DockerTestHelper.requireDaemon()
        let name = DockerTestHelper.uniqueName(tag)
        let id = try await DockerTestHelper.docker(
            ["run", "-d", "--network", "none", "--name", name] + options + [DockerTestHelper.image] + command
        )
        return TestContainer(name: name, id: id)
    }

    /// `docker create` (not started), for tests that watch the lifecycle from the beginning.
    public static func create(_ tag: String, options: [String] = [], command: [String]) async throws -> TestContainer {
        try await DockerTestHelper.requireDaemon()
        let name = DockerTestHelper.uniqueName(tag)
        let id = try await DockerTestHelper.docker(
            ["create", "--network", "none", "--name", name] + options + [DockerTestHelper.image] + command
        )
        return TestContainer(name: name, id: id)
    }

    /// `docker inspect -f <format>`.
    public func inspect(_ format: String) async throws -> String {
        try await DockerTestHelper.docker(["inspect", "-f", format, id])
    }

    /// The main process's host PID (0 when not running).
    public func pid() async throws -> Int32 {
        Int32(try await inspect("{{.State.Pid}}")) ?? 0
    }

    /// Whether the container has exited (or never ran).
    public func hasExited() async throws -> Bool {
        try await inspect("{{.State.Status}}") == "exited"
    }

    /// Waits until the container has exited.
    public func waitForExit(timeout: Duration = .seconds(30)) async throws {
        let exited = try await DockerTestHelper.waitUntil(timeout: timeout) { try await hasExited() }
        if !exited { throw DockerTestHelper.CommandError(arguments: ["wait", name], status: -1, stderr: "did not exit within \(timeout)") }
    }

    /// `docker rm -f`, ignoring errors (it may be gone already), started without waiting for it (see
    /// ``DockerTestHelper/dockerInBackground(_:)``): for a `defer`. Use ``removeNow()`` where the test needs it gone.
    public func remove() {
        DockerTestHelper.dockerInBackground(["rm", "-f", id])
    }

    /// `docker rm -f`, waiting until it is done; errors ignored (it may be gone already).
    public func removeNow() async {
        _ = try? await DockerTestHelper.docker(["rm", "-f", id])
    }
}
