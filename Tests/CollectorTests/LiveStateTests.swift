@_spi(Simulation) import Collector
import ContainerMetrics
import DockerEngine
import DockerLibratoTesting
import Testing
import WireFormat

/// Container states as the collector reports them, checked against `docker inspect` on real containers: a
/// HEALTHCHECK that turns unhealthy, a restart policy that restarts, a container that exits with a code, one the
/// OOM killer ends, and the engine's containers counted by state.
@Suite(.dockerDaemon) struct LiveStateTests {
    /// `docker inspect`'s view, in the collector's terms.
    struct Inspected: Equatable {
        var state: String
        var health: String
        var restarts: UInt64
        var exitCode: Int32
        var oomKilled: Bool
        var startedAtSeconds: Int64

        static func of(_ c: TestContainer) async throws -> Inspected {
            let f = try await c.inspect(
                "{{.State.Status}}|{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}|{{.RestartCount}}|{{.State.ExitCode}}|{{.State.OOMKilled}}|{{.State.StartedAt}}"
            ).split(separator: "|").map(String.init)
            return Inspected(
                state: f[0], health: f[1], restarts: UInt64(f[2]) ?? .max, exitCode: Int32(f[3]) ?? .min, oomKilled: f[4] == "true",
                startedAtSeconds: (RFC3339.nanoseconds(f[5]) ?? .min) / 1_000_000_000)
        }

        init(state: String, health: String, restarts: UInt64, exitCode: Int32, oomKilled: Bool, startedAtSeconds: Int64) {
            self.state = state
            self.health = health
            self.restarts = restarts
            self.exitCode = exitCode
            self.oomKilled = oomKilled
            self.startedAtSeconds = startedAtSeconds
        }

        init(_ s: ContainerStatus) {
            state = s.state.name
            health = s.health.name
            restarts = s.restartCount
            exitCode = s.exitCode
            oomKilled = s.oomKilled
            startedAtSeconds = s.startedAt / 1000 // both truncated to the second
        }
    }

    @Test func statesMatchDockerInspect() async throws {
        let tag = Live.uniqueTag("state")
        let sink = CollectingSink()
        try await DockerTestHelper.withClient { client in
            let pipeline = try await RunningPipeline.start(
                try CollectorPipeline(
                    configuration: Live.configuration(namePrefix: "dl-test-\(tag)-"), client: client, sink: sink, metrics: CollectorMetrics(),
                    logger: Live.logger))
            // Healthy while /tmp/bad is missing; it appears after 3 s.
            let unhealthy = try await TestContainer.run(
                tag, options: ["--health-cmd", "test ! -f /tmp/bad", "--health-interval", "1s", "--health-retries", "1", "--health-timeout", "1s"],
                command: ["sh", "-c", "sleep 3; touch /tmp/bad; while true; do sleep 0.1; done"])
            defer { unhealthy.remove() }
            let restarting = try await TestContainer.run(tag, options: ["--restart", "on-failure:2"], command: ["sh", "-c", "sleep 0.3; exit 3"])
            defer { restarting.remove() }
            let exiting = try await TestContainer.run(tag, command: ["sh", "-c", "sleep 0.3; exit 7"])
            defer { exiting.remove() }
            // The shell itself grows past the limit: the OOM killer ends the container's main process.
            let oomOptions = ["--memory", "16m", "--memory-swap", "16m"]
            let oomCommand = ["sh", "-c", "sleep 0.3; x=aaaaaaaa; while true; do x=$x$x; done"]
            let oom = try await TestContainer.run(tag, options: oomOptions, command: oomCommand)
            defer { oom.remove() }
            let running = try await TestContainer.run(tag, command: ["sh", "-c", "while true; do sleep 0.1; done"])
            defer { running.remove() }

            // Docker's final states first, then the collector's report of each.
            try await Eventually.wait(for: "docker to reach the final states", timeout: .seconds(60), every: .milliseconds(200)) {
                let (u, r, e, o) = (try await Inspected.of(unhealthy), try await Inspected.of(restarting), try await Inspected.of(exiting), try await Inspected.of(oom))
                return u.health == "unhealthy" && r.state == "exited" && r.restarts == 2 && e.state == "exited" && o.state == "exited"
            }
            let containers = [unhealthy, restarting, exiting, oom, running]
            try await Eventually.wait(for: "the collector to report what docker inspect says", timeout: .seconds(30), every: .milliseconds(200)) {
                for c in containers where sink.statuses(c.id).last.map(Inspected.init) != (try await Inspected.of(c)) { return false }
                return true
            }
            let (restarted, exited) = (try await Inspected.of(restarting), try await Inspected.of(exiting))
            #expect(restarted.exitCode == 3 && exited.exitCode == 7)
            // Docker itself sometimes misses the OOM event when it handles the container's exit first (moby/moby#18510;
            // seen here once, with the machine loaded): then the fixture did not exercise the flag. It runs again, at most
            // twice, each time checked against the collector's report, before the flag is required.
            var killed = try await Inspected.of(oom)
            for _ in 0..<2 where !killed.oomKilled {
                let again = try await TestContainer.run(tag, options: oomOptions, command: oomCommand)
                defer { again.remove() }
                try await Eventually.wait(for: "docker to end the OOM container again", timeout: .seconds(60), every: .milliseconds(200)) {
                    try await Inspected.of(again).state == "exited"
                }
                try await Eventually.wait(for: "the collector to report it as docker inspect does", timeout: .seconds(30), every: .milliseconds(200)) {
                    sink.statuses(again.id).last.map(Inspected.init) == (try await Inspected.of(again))
                }
                killed = try await Inspected.of(again)
            }
            #expect(killed.oomKilled && killed.exitCode == 137)
            #expect(sink.statuses(unhealthy.id).contains { $0.health == .healthy }, "healthy before it turned unhealthy")
            #expect(sink.statuses(running.id).last?.uptimeSeconds.map { $0 >= 0 } == true)

            // Counted by state: the latest listing holds exactly this test's containers (the filter admits no other).
            try await Eventually.wait(for: "the counts to show three exited and two running", timeout: .seconds(30), every: .milliseconds(200)) {
                guard let last = sink.hostStates.last else { return false }
                return last[.exited] == 3 && last[.running] == 2 && last.counts.reduce(0, +) == 5
            }
            // A stopped container's state is sent once after it stopped, not every interval.
            let sent = sink.statuses(exiting.id).count
            try await Eventually.wait(for: "two more rounds", timeout: .seconds(30), every: .milliseconds(200)) {
                sink.statuses(running.id).count >= 3 && sink.hostStates.count >= 3
            }
            let before = sink.statuses(running.id).count
            try await Eventually.wait(for: "two more rounds of the running container", timeout: .seconds(30), every: .milliseconds(200)) {
                sink.statuses(running.id).count >= before + 2
            }
            #expect(sink.statuses(exiting.id).count == sent)
            try await pipeline.stop()
        }
    }
}
