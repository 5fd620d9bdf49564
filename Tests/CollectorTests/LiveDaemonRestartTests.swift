@_spi(Simulation) import Collector
import ContainerMetrics
import DockerEngine
import DockerLibratoTesting
import Testing
import WireFormat

@Suite(.dockerDaemon) struct LiveDaemonRestartTests {
    /// dockerd killed with SIGKILL and started again while the pipeline runs: the pipeline reconnects with backoff,
    /// finds its containers again and goes on; lines written after the restart are counted, exactly once.
    /// Runs against a second dockerd of its own, so the shared one (and other tests' containers) are never affected.
    @Test func survivesADaemonKilledAndRestartedWithLiveRestore() async throws {
        let tag = Live.uniqueTag("dkill")
        // A container on the shared daemon: it must be untouched by all this.
        let bystander = try await TestContainer.run(tag, command: ["sleep", "300"])
        defer { bystander.remove() }
        let sink = CollectingSink()
        let metrics = CollectorMetrics()
        try await ExtraDockerd.with(liveRestore: true) { daemon in
            let client = try DockerClient(endpoint: .unix(path: daemon.socket))
            var running: RunningPipeline?
            do {
                let configuration = Live.configuration(namePrefix: "dl-test-\(tag)-", endpoint: .unix(path: daemon.socket))
                let pipeline = try await RunningPipeline.start(
                    try CollectorPipeline(
                        configuration: configuration,
                        client: client,
                        sink: sink,
                        metrics: metrics,
                        logger: Live.logger,
                        reconnectBackoff: Backoff(initial: .milliseconds(500), maximum: .seconds(4))
                    )
                )
                running = pipeline
                // Writes one line now and a burst of 40 when told, so that the lines after the restart are known. The
                // trigger is a file made with docker exec: a shell `trap` on SIGUSR1 never fired in a container of a
                // daemon started from this test process (it does from a shell), so no signals.
                let name = "dl-test-\(tag)-writer"
                let writer = try await daemon.docker([
                    "run", "-d", "--network", "none", "--name", name, DockerTestHelper.image, "sh", "-c",
                    "echo before; while [ ! -e /tmp/go ]; do sleep 0.1; done; i=0; while [ $i -lt 40 ]; do echo after $i; echo err $i >&2; i=$((i+1)); done; sleep 300",
                ])
                try await Eventually.wait(for: "the first line counted") { sink.lines(writer, .stdout) == 1 }

                try await daemon.kill9()
                try await Eventually.wait(for: "the pipeline to notice") { metrics.get(.dockerErrors) > 0 }
                try await daemon.start()
                try await Eventually.wait(for: "the pipeline to reconnect", timeout: .seconds(60)) { metrics.get(.dockerReconnects) >= 1 }

                try await daemon.docker(["exec", writer, "touch", "/tmp/go"])
                let later = try await daemon.docker([
                    "run", "-d", "--network", "none", "--name", "dl-test-\(tag)-later", DockerTestHelper.image, "sh", "-c", "echo new; exit 4",
                ])
                let state = {
                    "writer \(sink.lines(writer, .stdout))/\(sink.lines(writer, .stderr)) lines, later \(sink.lines(later, .stdout)) lines, events \(sink.events(later).map(\.action))"
                }
                do {
                    try await Eventually.wait(for: "the burst after the restart, and the new container's line and exit") {
                        sink.lines(writer, .stdout) >= 41 && sink.lines(writer, .stderr) >= 40 && sink.lines(later, .stdout) == 1
                            && sink.events(later).contains { $0.action == "die" }
                    }
                } catch {
                    let logs = (try? await daemon.docker(["logs", writer])) ?? "?"
                    Issue.record("\(error): \(state()); docker logs of the writer: \(logs.split(separator: "\n").count) lines")
                    throw error
                }
                try await daemon.docker(["rm", "-f", writer])
                try await Eventually.wait(for: "the writer's destroy event") { sink.events(writer).contains { $0.action == "destroy" } }
                try await pipeline.stop()

                #expect(sink.lines(writer, .stdout) == 41)
                #expect(sink.lines(writer, .stderr) == 40)
                Live.expectNoDuplicates(sink.logs(writer))
                #expect(sink.events(later).map(\.action) == ["create", "start", "die"])
                #expect(sink.events(later).last?.exitCode == 4)
                #expect(metrics.get(.dockerReconnects) >= 1)
                try await client.shutdown()
            } catch {
                try? await running?.stop()
                try? await client.shutdown()
                throw error
            }
        }
        #expect(try await bystander.inspect("{{.State.Running}}") == "true", "the shared dockerd's containers are unaffected")
    }

    /// The same without `--live-restore` (Docker's default): the restarted daemon kills the running containers and
    /// restarts those with a restart policy. The pipeline reports their kill/die (replayed with `since` after the
    /// reconnect), counts the rest of their logs once, and follows the restarted container's new run.
    @Test func survivesADaemonKilledAndRestartedWithoutLiveRestore() async throws {
        let tag = Live.uniqueTag("dkill2")
        let sink = CollectingSink()
        let metrics = CollectorMetrics()
        try await ExtraDockerd.with(liveRestore: false) { daemon in
            let client = try DockerClient(endpoint: .unix(path: daemon.socket))
            var running: RunningPipeline?
            do {
                let configuration = Live.configuration(namePrefix: "dl-test-\(tag)-", endpoint: .unix(path: daemon.socket))
                let pipeline = try await RunningPipeline.start(
                    try CollectorPipeline(
                        configuration: configuration,
                        client: client,
                        sink: sink,
                        metrics: metrics,
                        logger: Live.logger,
                        reconnectBackoff: Backoff(initial: .milliseconds(500), maximum: .seconds(4))
                    )
                )
                running = pipeline
                let loop = "while true; do sleep 0.1; done"
                let plain = try await daemon.docker([
                    "run", "-d", "--network", "none", "--name", "dl-test-\(tag)-plain", DockerTestHelper.image, "sh", "-c", "echo plain; \(loop)",
                ])
                let always = try await daemon.docker([
                    "run", "-d", "--restart", "always", "--network", "none", "--name", "dl-test-\(tag)-always", DockerTestHelper.image, "sh", "-c",
                    "echo run; echo run err >&2; \(loop)",
                ])
                try await Eventually.wait(for: "the first lines counted") {
                    sink.lines(plain, .stdout) == 1 && sink.lines(always, .stdout) == 1 && sink.lines(always, .stderr) == 1
                }

                try await daemon.kill9()
                try await Eventually.wait(for: "the pipeline to notice") { metrics.get(.dockerErrors) > 0 }
                try await daemon.start()
                try await Eventually.wait(for: "the pipeline to reconnect", timeout: .seconds(60)) { metrics.get(.dockerReconnects) >= 1 }
                let later = try await daemon.docker([
                    "run", "-d", "--network", "none", "--name", "dl-test-\(tag)-later", DockerTestHelper.image, "sh", "-c", "echo new",
                ])
                try await Eventually.wait(for: "the plain container's death, the restarted one's second run and the new container") {
                    sink.events(plain).contains { $0.action == "die" } && sink.lines(always, .stdout) >= 2 && sink.lines(always, .stderr) >= 2
                        && sink.lines(later, .stdout) == 1
                }
                try await daemon.docker(["rm", "-f", plain, always, later])
                try await Eventually.wait(for: "the destroy events", timeout: .seconds(90)) {
                    [plain, always, later].allSatisfy { id in sink.events(id).contains { $0.action == "destroy" } }
                }
                try await pipeline.stop()

                #expect(sink.events(plain).first { $0.action == "die" }?.exitCode == 137)
                #expect(sink.lines(plain, .stdout) == 1)
                #expect(sink.lines(always, .stdout) == 2)
                #expect(sink.lines(always, .stderr) == 2)
                let alwaysActions = sink.events(always).map(\.action)
                #expect(alwaysActions.filter { $0 == "start" }.count >= 2, "\(alwaysActions)")
                Live.expectNoDuplicates(sink.logs(always))
                #expect(sink.events(later).map(\.action) == ["create", "start", "die", "destroy"])
                try await client.shutdown()
            } catch {
                try? await running?.stop()
                try? await client.shutdown()
                throw error
            }
        }
    }
}
