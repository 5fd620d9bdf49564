import DockerLibratoTesting
import Testing

/// The collector as a real unprivileged user (`dl-test-nonroot`, made by scripts/test-env.sh), run through setpriv.
@Suite(.dockerDaemon, .serialized) struct NonRootTests {
    /// Without access to the Docker socket: it says so, names the socket's owner and group and who it runs as,
    /// and the two fixes (the socket's group; label=disable or --privileged where SELinux/AppArmor deny it).
    @Test func noSocketAccessNamesTheTwoFixes() async throws {
        let user = NonRootUser.name
        _ = try await NonRootUser.uid()
        let gid = try NonRootUser.socketGroup()
        try await Role.with(
            "nonroot-socket", prefix: ["/usr/bin/setpriv", "--reuid", user, "--regid", user, "--init-groups", "--"],
            arguments: ["collector", "--no-cluster-key"],
            environment: ["HUB_ADDRESS": "tcp://127.0.0.1:\(FreePort.next())", "STATS_INTERVAL": "1"]
        ) { role in
            try await role.waitForLog("Permission denied on the Docker socket unix:///var/run/docker.sock")
            let line = try #require(role.log.split(separator: "\n").first { $0.contains("Permission denied on the Docker socket") })
            #expect(line.contains("level=warning"), "\(line)")
            #expect(line.contains("(gid \(gid)), mode 0660; this process runs as uid \(try await NonRootUser.uid())"), "\(line)")
            #expect(line.contains("usermod -aG <group> <user>") && line.contains("--group-add <gid>"), "\(line)")
            #expect(line.contains("--security-opt label=disable") && line.contains("--privileged"), "\(line)")
            // It keeps trying (the group may be fixed without a restart) rather than exiting.
            #expect(role.process.isRunning)
        }
    }

    /// With the socket's group but an unreadable /sys/fs/cgroup (an empty 0700 tmpfs over it, in a mount namespace
    /// of the test's own): `STATS_SOURCE=auto` falls back to the Engine API, logs why, and the stats arrive.
    @Test func unreadableCgroupsFallBackToTheEngineAPI() async throws {
        let user = NonRootUser.name
        _ = try await NonRootUser.uid()
        let gid = try NonRootUser.socketGroup()
        let container = try await TestContainer.run("nonroot", command: ["sh", "-c", "echo started; exec sleep 300"])
        defer { container.remove() }
        let script = "mount -t tmpfs -o mode=0700 tmpfs /sys/fs/cgroup && exec setpriv --reuid \(user) --regid \(user) --groups \(gid) -- \"$@\""
        try await Role.with(
            "nonroot-cgroup", prefix: ["/usr/bin/unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, "sh"],
            arguments: ["standalone"],
            environment: ["STATS_SOURCE": "auto", "STATS_INTERVAL": "1", "LIBRATO_PERIOD": "2000", "INCLUDE_NAMES": container.name]
        ) { role in
            try await role.waitForLog("cgroup files not usable, using the Engine API for stats")
            let line = try #require(role.log.split(separator: "\n").first { $0.contains("cgroup files not usable") })
            #expect(line.contains("Cannot read /sys/fs/cgroup: Permission denied"), "\(line)")
            try await role.waitForLog("stats_source=\"Engine API one-shot stats")
            try await role.waitForMeasurement("docker.container.memory.used", container: container.name)
            #expect(!role.log.contains("Permission denied on the Docker socket"))
        }
    }
}
