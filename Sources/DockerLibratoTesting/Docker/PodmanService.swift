// Test-only code: Foundation for files and processes.
import Foundation

/// A rootful Podman of the test's own: `podman system service` on a unix socket under a temporary directory, with its
/// own storage (vfs), run and temporary directories, so that nothing of a Podman the machine may have is touched.
/// Configured for machines without systemd (cgroupfs manager, events in a file, k8s-file logs) and for hard
/// RLIMIT_NOFILE/NPROC below Podman's defaults (this CI VM's hard limit is 20000; Podman asks for 1048576).
/// `local/busybox:latest` is copied in from the test dockerd (`docker save`, `podman load`).
public final class PodmanService: @unchecked Sendable {
    public let root: String
    public private(set) var process: TestProcess?

    public var socket: String { root + "/podman.sock" }
    /// Where Podman lists the image (it qualifies the name: `localhost/local/busybox:latest`).
    public static let image = "local/busybox:latest"

    static var podman: String {
        ["/usr/bin/podman", "/usr/local/bin/podman"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "podman"
    }

    /// Runs `body` with a started service holding the test image; always stops it and removes its directory.
    public static func with<T>(_ body: (PodmanService) async throws -> T) async throws -> T {
        guard FileManager.default.isExecutableFile(atPath: podman) else {
            throw CommandFailed(command: ["podman"], status: -1, stderr: "podman is not installed: run scripts/test-env.sh (apt-get install podman)")
        }
        let service = PodmanService()
        do {
            try await service.start()
            let result = try await body(service)
            await service.shutdown()
            return result
        } catch {
            await service.shutdown()
            throw error
        }
    }

    init() {
        // Short: conmon's attach socket lives under the run directory and unix socket paths are limited to 107 bytes.
        root = "/tmp/dlpod-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
    }

    var globalFlags: [String] {
        ["--root", root + "/storage", "--runroot", root + "/run", "--tmpdir", root + "/tmp", "--storage-driver", "vfs"]
    }

    var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["CONTAINERS_CONF"] = root + "/containers.conf"
        return env
    }

    func start() async throws {
        for dir in ["", "/storage", "/run", "/tmp"] {
            try FileManager.default.createDirectory(atPath: root + dir, withIntermediateDirectories: true)
        }
        try """
        [engine]
        cgroup_manager = "cgroupfs"
        events_logger = "file"
        runtime = "runc"
        [containers]
        default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
        log_driver = "k8s-file"

        """.write(toFile: root + "/containers.conf", atomically: true, encoding: .utf8)
        try await shell("\(DockerTestHelper.dockerCLI) save -o \(root)/image.tar \(DockerTestHelper.image)")
        try await podman(["load", "-q", "-i", root + "/image.tar"])
        // Output to a file, not to a pipe of this process: conmon inherits it and outlives the reader. Not through
        // closeInherited: Foundation would then wait for the service's exit on the thread that sees every child exit.
        let command = ([Self.podman] + globalFlags + ["system", "service", "--time", "0", "unix://\(socket)"]).joined(separator: " ")
        process = try TestProcess("/bin/sh", ["-c", "exec \(command) </dev/null >>\(root)/service.log 2>&1"], environment: environment)
        let started = process!
        try await Eventually.wait(for: "podman system service to listen on \(socket)", timeout: .seconds(60), every: .milliseconds(100)) {
            if !started.isRunning { throw CommandFailed(command: ["podman system service"], status: -1, stderr: self.logTail) }
            let (status, _, _) = try await TestProcess.run("/usr/bin/curl", ["-sf", "-m", "2", "--unix-socket", socket, "http://d/_ping"], timeout: .seconds(10))
            return status == 0
        }
    }

    public var logTail: String {
        String(((try? String(contentsOfFile: root + "/service.log", encoding: .utf8)) ?? "").suffix(3000))
    }

    /// A bash script that closes every descriptor above stderr, then runs its arguments (`"$0" "$@"`). Foundation's
    /// `Process` learns that a child exited when every copy of a socket the child inherits is closed; the conmon that
    /// `podman run` leaves behind would inherit it, and the call would seem to run for as long as the container does.
    /// Closed early, Foundation waits for the exit (`waitpid`) instead: fine for a command that takes a second.
    static let closeInherited = #"for fd in /proc/$$/fd/*; do n=${fd##*/}; if [ "$n" -gt 2 ]; then eval "exec $n>&-"; fi; done; exec "$0" "$@""#

    /// `podman <global flags> …`; throws on a non-zero exit.
    @discardableResult
    public func podman(_ arguments: [String]) async throws -> String {
        let p = try TestProcess("/bin/bash", ["-c", Self.closeInherited, Self.podman] + globalFlags + arguments, environment: environment)
        let status = try await p.waitForExit(timeout: .seconds(120))
        guard status == 0 else { throw CommandFailed(command: ["podman"] + arguments, status: status, stderr: p.stderr) }
        return p.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func shell(_ command: String) async throws {
        let (status, _, err) = try await TestProcess.run("/bin/sh", ["-c", command], timeout: .seconds(120))
        guard status == 0 else { throw CommandFailed(command: ["sh", "-c", command], status: status, stderr: err) }
    }

    /// Removes every container (their conmon processes with them), stops the service, deletes the directory.
    public func shutdown() async {
        _ = try? await podman(["rm", "-f", "-a", "-t", "0"])
        if let process, process.isRunning {
            process.signal(SIGKILL)  // SIGTERM may be blocked for children of the test runner
            _ = try? await process.waitForExit(timeout: .seconds(10))
        }
        // Anything of this instance still running (a conmon whose container could not be removed).
        let leftovers = ExtraDockerd.processes(mentioning: root)
        for pid in ExtraDockerd.descendants(of: leftovers) { kill(pid, SIGKILL) }
        for pid in leftovers { kill(pid, SIGKILL) }
        for mountPoint in ExtraDockerd.mountPoints(under: root).reversed() { umount2(mountPoint, Int32(MNT_DETACH)) }
        try? FileManager.default.removeItem(atPath: root)
    }
}
