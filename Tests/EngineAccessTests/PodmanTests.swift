import DockerLibratoTesting
import Testing

/// The collector (`docker-librato standalone`, dry-run sink) following Podman through its Docker-compatible API:
/// a rootful Podman 4.3 of the test's own (``PodmanService``: `podman system service` on a socket of its own,
/// cgroupfs manager, k8s-file logs), reached with `DOCKER_HOST=unix://…`. What differs from dockerd and how the
/// collector copes is in docs/ARCHITECTURE.md ("Hosts and engines").
@Suite(.dockerDaemon, .serialized) struct PodmanTests {
    static func environment(_ podman: PodmanService, _ name: String) -> [String: String] {
        ["DOCKER_HOST": "unix://\(podman.socket)", "STATS_INTERVAL": "1", "LIBRATO_PERIOD": "2000", "INCLUDE_NAMES": name]
    }

    /// `STATS_SOURCE=auto` reads Podman's own cgroups (`libpod_parent/libpod-<id>` on this cgroup-v1 machine). A
    /// container that logs as soon as it starts (Podman ends a follow request made before the start at once, and
    /// stamps lines to the whole second: the re-read must not count them twice), restarted, then removed: its
    /// limit, both runs' lines exactly once, and its events — `remove` counted as `destroy`.
    @Test func collectorFollowsPodmanFromTheCgroupFiles() async throws {
        try await PodmanService.with { podman in
            let name = DockerTestHelper.uniqueName("podman")
            try await Role.with("podman", arguments: ["standalone"], environment: Self.environment(podman, name)) { role in
                try await role.waitForLog("following containers")
                #expect(role.log.contains("engine=podman:"), "\(role.log.suffix(2000))")
                #expect(role.log.contains("stats_source=\"cgroup files, cgroup v1 (Podman, cgroupfs driver)"), "\(role.log.suffix(2000))")
                try await podman.podman([
                    "run", "-d", "--network", "none", "--memory", "64m", "--name", name, PodmanService.image, "sh", "-c",
                    "echo one; echo two count#podman.lines=1; echo three >&2; exec sleep 300",
                ])
                try await role.waitForMeasurement("docker.container.memory.limit", container: name)
                #expect(role.values("docker.container.memory.limit", container: name).last == Double(64 << 20))
                try await role.waitForMeasurement("docker.container.pids", container: name)
                try await Eventually.wait(for: "the first run's lines", timeout: .seconds(30), every: .milliseconds(200)) {
                    role.total("docker.container.logs.stdout.lines", container: name) >= 2
                }
                try await podman.podman(["restart", "-t", "0", name])
                try await Eventually.wait(for: "the second run's lines", timeout: .seconds(30), every: .milliseconds(200)) {
                    role.total("docker.container.logs.stdout.lines", container: name) >= 4
                }
                try await podman.podman(["rm", "-f", "-t", "0", name])
                try await role.waitForMeasurement("docker.container.events.destroy", container: name)
                #expect(role.total("docker.container.logs.stdout.lines", container: name) == 4)
                #expect(role.total("docker.container.logs.stderr.lines", container: name) == 2)
                #expect(role.total("podman.lines", container: name) == 2)
                for event in ["create", "restart", "die", "destroy"] {
                    #expect(role.total("docker.container.events.\(event)", container: name) >= 1, "events.\(event)")
                }
                #expect(role.total("docker.container.events.start", container: name) == 2)
                #expect(!role.log.contains("level=error"), "\(role.log.suffix(2000))")
            }
        }
    }

    /// `STATS_SOURCE=api`: Podman's one-shot stats (no `memory.stat`, so memory used includes the page cache).
    @Test func collectorFollowsPodmanFromTheEngineAPI() async throws {
        try await PodmanService.with { podman in
            let name = DockerTestHelper.uniqueName("podman-api")
            var environment = Self.environment(podman, name)
            environment["STATS_SOURCE"] = "api"
            try await Role.with("podman-api", arguments: ["standalone"], environment: environment) { role in
                try await role.waitForLog("following containers")
                #expect(role.log.contains("stats_source=\"Engine API one-shot stats at unix://\(podman.socket)"), "\(role.log.suffix(2000))")
                try await podman.podman(["run", "-d", "--network", "none", "--name", name, PodmanService.image, "sh", "-c", "echo hello; exec sleep 300"])
                try await role.waitForMeasurement("docker.container.memory.used", container: name)
                try await role.waitForMeasurement("docker.container.cpu.percent", container: name)
                try await role.waitForMeasurement("docker.container.logs.stdout.lines", container: name)
                #expect(role.values("docker.container.pids", container: name).last == 1)
                #expect(role.values("docker.container.memory.used", container: name).allSatisfy { $0 > 0 })
                #expect(!role.log.contains("level=error"), "\(role.log.suffix(2000))")
            }
        }
    }
}
