@_spi(Simulation) import Collector
import ContainerMetrics
import DockerEngine
import DockerLibratoTesting
import Testing
import WireFormat

@Suite(.dockerDaemon) struct LiveLifecycleTests {
    /// stop, kill, restart, rm -f of followed containers and one that lives < 1 s: the pipeline keeps running and
    /// reports each event with the container's identity; the short-lived container's logs are counted.
    @Test func lifecycleOfFollowedContainers() async throws {
        let tag = Live.uniqueTag("life")
        let sink = CollectingSink()
        let metrics = CollectorMetrics()
        try await DockerTestHelper.withClient { client in
            let pipeline = try await RunningPipeline.start(
                try CollectorPipeline(
                    configuration: Live.configuration(namePrefix: "dl-test-\(tag)-"),
                    client: client,
                    sink: sink,
                    metrics: metrics,
                    logger: Live.logger
                )
            )
            let loop = ["sh", "-c", "trap 'exit 0' TERM; echo up; while true; do sleep 0.1; done"]
            let stopped = try await TestContainer.run(tag, command: loop)
            defer { stopped.remove() }
            let killed = try await TestContainer.run(tag, command: loop)
            defer { killed.remove() }
            let restarted = try await TestContainer.run(tag, command: loop)
            defer { restarted.remove() }
            let removed = try await TestContainer.run(tag, command: loop)
            defer { removed.remove() }
            try await Eventually.wait(for: "the four containers followed (their first line counted)") {
                [stopped, killed, restarted, removed].allSatisfy { sink.lines($0.id, .stdout) == 1 }
            }

            try await DockerTestHelper.docker(["stop", "-t", "10", stopped.id])
            try await DockerTestHelper.docker(["kill", killed.id])
            try await DockerTestHelper.docker(["restart", "-t", "10", restarted.id])
            try await DockerTestHelper.docker(["rm", "-f", removed.id])
            let brief = try await TestContainer.run(tag, command: ["sh", "-c", "echo hello; echo bye >&2; echo again; exit 3"])
            defer { brief.remove() }

            try await Eventually.wait(for: "every event and the short-lived container's lines") {
                sink.events(stopped.id).contains { $0.action == "stop" }
                    && sink.events(killed.id).contains { $0.action == "die" }
                    && sink.events(restarted.id).contains { $0.action == "restart" }
                    && sink.events(removed.id).contains { $0.action == "destroy" }
                    && sink.events(brief.id).contains { $0.action == "die" }
                    && sink.lines(brief.id, .stdout) == 2 && sink.lines(brief.id, .stderr) == 1
                    && sink.lines(restarted.id, .stdout) == 2
            }
            func actions(_ c: TestContainer) -> [String] { sink.events(c.id).map(\.action) }

            let stop = sink.events(stopped.id)
            #expect(stop.first { $0.action == "kill" }?.detail == "15")
            #expect(stop.first { $0.action == "die" }?.exitCode == 0)
            #expect(actions(stopped).suffix(3) == ["kill", "die", "stop"])

            #expect(sink.events(killed.id).first { $0.action == "kill" }?.detail == "9")
            #expect(sink.events(killed.id).first { $0.action == "die" }?.exitCode == 137)

            #expect(actions(restarted).contains("start"))
            #expect(actions(restarted).suffix(2) == ["start", "restart"])
            let identities = sink.eventRecords(restarted.id).map(\.0)
            let runs = Set(identities.map(\.startedAt))
            #expect(runs.filter { $0 > 0 }.count == 2, "a restart changes startedAt: \(runs)")
            #expect(identities.allSatisfy { $0.name == restarted.name && $0.image == DockerTestHelper.image })

            #expect(actions(removed).suffix(3) == ["kill", "die", "destroy"])
            #expect(sink.eventRecords(removed.id).allSatisfy { $0.0.name == removed.name }, "identity of a destroyed container")

            #expect(actions(brief) == ["create", "start", "die"])
            #expect(sink.events(brief.id).last?.exitCode == 3)
            Live.expectNoDuplicates(sink.logs(restarted.id))

            // The pipeline is still running and following.
            let after = try await TestContainer.run(tag, command: ["sh", "-c", "echo still; exit 0"])
            defer { after.remove() }
            try await Eventually.wait(for: "a later container followed too") { sink.lines(after.id, .stdout) == 1 }
            #expect(metrics.get(.events) >= 15)
            try await pipeline.stop()
        }
    }

    /// Only containers that pass the filters are followed; allow-listed labels become the identity's labels.
    @Test func filtersAndLabelTags() async throws {
        let tag = Live.uniqueTag("filter")
        let sink = CollectingSink()
        try await DockerTestHelper.withClient { client in
            var configuration = Live.configuration(namePrefix: "dl-test-\(tag)-")
            configuration.filters.includeLabels = ["dl.metrics", "dl.tier=web*"]
            configuration.filters.excludeLabels = ["dl.metrics=off"]
            configuration.labelTags = ["dl.tier", "com.docker.compose.service"]
            let existing = try await TestContainer.run(
                tag,
                options: ["--label", "dl.tier=web-front", "--label", "dl.secret=x", "--label", "com.docker.compose.service=front"],
                command: ["sh", "-c", "echo before; sleep 300"]
            )
            defer { existing.remove() }
            try await Eventually.wait(for: "the first line written") { try await DockerTestHelper.docker(["logs", existing.id]) == "before" }
            let pipeline = try await RunningPipeline.start(
                try CollectorPipeline(configuration: configuration, client: client, sink: sink, metrics: CollectorMetrics(), logger: Live.logger)
            )
            let included = try await TestContainer.run(tag, options: ["--label", "dl.metrics=on"], command: ["sh", "-c", "echo in; exit 0"])
            defer { included.remove() }
            let optedOut = try await TestContainer.run(tag, options: ["--label", "dl.metrics=off"], command: ["sh", "-c", "echo out; exit 0"])
            defer { optedOut.remove() }
            let unlabelled = try await TestContainer.run(tag, command: ["sh", "-c", "echo none; exit 0"])
            defer { unlabelled.remove() }
            let otherTier = try await TestContainer.run(tag, options: ["--label", "dl.tier=db"], command: ["sh", "-c", "echo db; exit 0"])
            defer { otherTier.remove() }
            let own = try await TestContainer.run(tag, options: ["--label", "dl.metrics=on"], command: ["sh", "-c", "echo me; exit 0"])
            defer { own.remove() }
            _ = own

            try await Eventually.wait(for: "the included container's line and a stats sample of the running one") {
                sink.lines(included.id, .stdout) == 1 && !sink.stats(existing.id).isEmpty
            }
            // Wait until the later containers have all exited and been seen by the events stream.
            for c in [optedOut, unlabelled, otherTier] { try await c.waitForExit() }
            try await Eventually.wait(for: "the included container's die event") { sink.events(included.id).contains { $0.action == "die" } }
            try await pipeline.stop()

            let seen = sink.containerIDs()
            #expect(seen.contains(existing.id))
            #expect(seen.contains(included.id))
            #expect(!seen.contains(optedOut.id))
            #expect(!seen.contains(unlabelled.id))
            #expect(!seen.contains(otherTier.id))
            let identity = try #require(sink.stats(existing.id).first?.0)
            #expect(identity.labels == ["dl.tier": "web-front", "com.docker.compose.service": "front"], "only allow-listed labels")
            #expect(identity.service == "front")
            #expect(identity.startedAt > 0)
            // Running before the pipeline started, without a checkpoint: its logs are read from the pipeline's start.
            #expect(sink.lines(existing.id, .stdout) == 0)
        }
    }

    /// The collector's own container is never followed.
    @Test func ownContainerIsExcluded() async throws {
        let tag = Live.uniqueTag("own")
        let sink = CollectingSink()
        try await DockerTestHelper.withClient { client in
            let me = try await TestContainer.create(tag, command: ["sh", "-c", "echo me; exit 0"])
            defer { me.remove() }
            let pipeline = try await RunningPipeline.start(
                try CollectorPipeline(
                    configuration: Live.configuration(namePrefix: "dl-test-\(tag)-"),
                    client: client,
                    sink: sink,
                    metrics: CollectorMetrics(),
                    logger: Live.logger,
                    ownContainer: OwnContainer(id: me.id)
                )
            )
            try await DockerTestHelper.docker(["start", me.id])
            let other = try await TestContainer.run(tag, command: ["sh", "-c", "echo other; exit 0"])
            defer { other.remove() }
            try await me.waitForExit()
            try await Eventually.wait(for: "the other container's line") { sink.lines(other.id, .stdout) == 1 }
            try await pipeline.stop()
            #expect(!sink.containerIDs().contains(me.id))
        }
    }
}

@Suite(.dockerDaemon) struct LiveStatsTests {
    /// Samples at the interval for running containers, from the source `auto` chose; none for stopped ones.
    @Test(arguments: [StatsSourceChoice.auto, .api])
    func statsAtTheInterval(source: StatsSourceChoice) async throws {
        let tag = Live.uniqueTag("stats")
        let sink = CollectingSink()
        let metrics = CollectorMetrics()
        try await DockerTestHelper.withClient { client in
            var configuration = Live.configuration(namePrefix: "dl-test-\(tag)-")
            configuration.statsSource = source
            // Stopped before the collector starts: a container that exits while followed is rightly sampled while it
            // runs (on a loaded machine `sh -c 'exit 0'` can outlive a round), so only this one must have no samples.
            let done = try await TestContainer.run(tag, command: ["sh", "-c", "exit 0"])
            defer { done.remove() }
            try await done.waitForExit()
            let pipeline = try await RunningPipeline.start(
                try CollectorPipeline(configuration: configuration, client: client, sink: sink, metrics: metrics, logger: Live.logger)
            )
            let busy = try await TestContainer.run(tag, command: ["sh", "-c", "while true; do :; done"])
            defer { busy.remove() }
            // The start sample (the run's zero counters: busy started after the collector), then three samples.
            try await Eventually.wait(for: "three samples") { sink.stats(busy.id).count >= 4 }
            try await pipeline.stop()

            var samples = sink.stats(busy.id).map(\.1)
            let start = samples.removeFirst()
            #expect(start.time == samples[0].time - 1 && start.cpu == nil && start.memory == nil)
            #expect(start.blockIO.map { $0.writeBytes == 0 && $0.readBytes == 0 } ?? true)
            let times = samples.map(\.time)
            #expect(times == times.sorted())
            // One sample per round: rounds start at whole seconds (1 s interval) and never overlap.
            #expect(zip(times.dropFirst(), times).allSatisfy { $0 > $1 }, "sample times \(times)")
            #expect(samples.allSatisfy { $0.cpu != nil && $0.memory != nil })
            let interval = StatsInterval.between(samples[samples.count - 2], samples[samples.count - 1])
            #expect((interval.cpuPercent ?? 0) > 0)
            #expect(sink.stats(done.id).isEmpty)
            #expect(metrics.get(.samplesProduced) >= 3)
        }
    }
}
