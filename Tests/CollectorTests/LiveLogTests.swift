@_spi(Simulation) import Collector
import ContainerMetrics
import DockerEngine
import DockerLibratoTesting
import Testing
import WireFormat

@Suite(.dockerDaemon) struct LiveLogTests {
    /// N lines, mixed stdout/stderr, three of them longer than 16 KiB, with l2met tokens: exact lines and bytes per
    /// stream, tokens with units.
    @Test func exactCountsPerStream() async throws {
        let tag = Live.uniqueTag("logs")
        let sink = CollectingSink()
        try await DockerTestHelper.withClient { client in
            let pipeline = try await RunningPipeline.start(
                try CollectorPipeline(
                    configuration: Live.configuration(namePrefix: "dl-test-\(tag)-"),
                    client: client,
                    sink: sink,
                    metrics: CollectorMetrics(),
                    logger: Live.logger
                )
            )
            let n = 60
            let script = """
                i=1; while [ $i -le \(n) ]; do echo "out $i measure#db.latency=12ms count#jobs=1 sample#queue=3"; echo "err $i" >&2; \
                if [ $((i % 20)) -eq 0 ]; then head -c 40000 /dev/zero | tr '\\0' a; echo; fi; i=$((i+1)); sleep 0.01; done
                """
            let container = try await TestContainer.run(tag, command: ["sh", "-c", script])
            defer { container.remove() }
            let expectedOut = UInt64(n + 3)
            let expectedErr = UInt64(n)
            let outBytes = UInt64(
                (1...n).map { "out \($0) measure#db.latency=12ms count#jobs=1 sample#queue=3\n".utf8.count }.reduce(0, +) + 3 * 40_001
            )
            let errBytes = UInt64((1...n).map { "err \($0)\n".utf8.count }.reduce(0, +))
            try await container.waitForExit()
            try await Eventually.wait(for: "all lines counted") {
                sink.lines(container.id, .stdout) >= expectedOut && sink.lines(container.id, .stderr) >= expectedErr
            }
            try await pipeline.stop()
            #expect(sink.lines(container.id, .stdout) == expectedOut)
            #expect(sink.lines(container.id, .stderr) == expectedErr)
            #expect(sink.bytes(container.id, .stdout) == outBytes)
            #expect(sink.bytes(container.id, .stderr) == errBytes)
            let buckets = sink.logs(container.id)
            Live.expectNoDuplicates(buckets)

            var latency = L2metAggregate(
                kind: .measure,
                name: "db.latency",
                unit: "ms",
                count: 0,
                sum: 0,
                min: .infinity,
                max: -.infinity,
                sumSquares: 0,
                last: 0
            )
            var jobs = 0.0
            for bucket in buckets {
                for m in bucket.measurements where m.name == "db.latency" { latency.merge(m) }
                jobs += bucket.measurements.filter { $0.name == "jobs" && $0.kind == .count }.reduce(0) { $0 + $1.sum }
                if let queue = bucket.measurements.first(where: { $0.name == "queue" }) {
                    #expect(queue.kind == .sample && queue.last == 3 && queue.unit == "")
                }
            }
            #expect(latency.count == UInt64(n))
            #expect(latency.sum == Double(12 * n))
            #expect(latency.min == 12 && latency.max == 12)
            #expect(jobs == Double(n))
        }
    }

    /// A TTY container: one raw stream (stdout), `\r\n` endings counted as delivered, a 16 KiB-split line once.
    @Test func ttyContainer() async throws {
        let tag = Live.uniqueTag("tty")
        let sink = CollectingSink()
        try await DockerTestHelper.withClient { client in
            let pipeline = try await RunningPipeline.start(
                try CollectorPipeline(
                    configuration: Live.configuration(namePrefix: "dl-test-\(tag)-"),
                    client: client,
                    sink: sink,
                    metrics: CollectorMetrics(),
                    logger: Live.logger
                )
            )
            let n = 25
            let container = try await TestContainer.run(
                tag,
                options: ["-t"],
                command: [
                    "sh", "-c",
                    "i=1; while [ $i -le \(n) ]; do echo tty $i; echo e $i >&2; i=$((i+1)); done; head -c 40000 /dev/zero | tr '\\0' b; echo",
                ]
            )
            defer { container.remove() }
            try await container.waitForExit()
            let expectedLines = UInt64(2 * n + 1)
            var expectedBytes: UInt64 = 40_002
            for i in 1...n {
                let out: String = "tty \(i)\r\n"
                let err: String = "e \(i)\r\n"
                expectedBytes += UInt64(out.utf8.count + err.utf8.count)
            }
            try await Eventually.wait(for: "all TTY lines counted") { sink.lines(container.id, .stdout) >= expectedLines }
            try await pipeline.stop()
            #expect(sink.lines(container.id, .stdout) == expectedLines)
            #expect(sink.bytes(container.id, .stdout) == expectedBytes)
            #expect(sink.lines(container.id, .stderr) == 0)
            Live.expectNoDuplicates(sink.logs(container.id))
        }
    }

    /// Stop the pipeline while a container keeps writing, start another on the same state directory: still exactly
    /// N lines, no bucket twice.
    @Test func exactAcrossAPipelineRestart() async throws {
        let tag = Live.uniqueTag("restart")
        let state = try FixtureDirectory("collector-state", files: [:])
        defer { state.remove() }
        let first = CollectingSink()
        let second = CollectingSink()
        try await DockerTestHelper.withClient { client in
            let configuration = Live.configuration(namePrefix: "dl-test-\(tag)-", stateDirectory: state.path + "/state")
            let pipeline1 = try await RunningPipeline.start(
                try CollectorPipeline(configuration: configuration, client: client, sink: first, metrics: CollectorMetrics(), logger: Live.logger)
            )
            let n = 300
            // ~0.02 s per iteration: a few seconds of output on both streams, with a long line now and then.
            let container = try await TestContainer.run(
                tag,
                command: [
                    "sh", "-c",
                    "i=1; while [ $i -le \(n) ]; do echo \"o $i count#n=1\"; echo \"e $i\" >&2; if [ $((i % 100)) -eq 0 ]; then head -c 20000 /dev/zero | tr '\\0' c; echo; fi; i=$((i+1)); sleep 0.02; done",
                ]
            )
            defer { container.remove() }
            // And one that writes 10 lines, waits to be told, writes 10 more and exits: it stops while no pipeline runs.
            let stopper = try await TestContainer.run(
                tag,
                command: [
                    "sh", "-c",
                    "for i in 1 2 3 4 5 6 7 8 9 10; do echo a $i; done; while [ ! -e /tmp/go ]; do sleep 0.05; done; for i in 1 2 3 4 5 6 7 8 9 10; do echo b $i; done",
                ]
            )
            defer { stopper.remove() }
            // Stop once buckets of both streams have been handed over (so that checkpoints exist), while it writes.
            try await Eventually.wait(for: "first buckets of both streams") {
                first.lines(container.id, .stdout) > 20 && first.lines(container.id, .stderr) > 20 && first.lines(stopper.id, .stdout) == 10
            }
            try await pipeline1.stop()
            #expect(try await !container.hasExited(), "the container must still be writing when the first pipeline stops")
            try await DockerTestHelper.docker(["exec", stopper.id, "touch", "/tmp/go"])
            try await stopper.waitForExit()

            let pipeline2 = try await RunningPipeline.start(
                try CollectorPipeline(configuration: configuration, client: client, sink: second, metrics: CollectorMetrics(), logger: Live.logger)
            )
            try await container.waitForExit()
            let total = { (stream: LogBucket.Stream) in first.lines(container.id, stream) + second.lines(container.id, stream) }
            try await Eventually.wait(for: "all lines counted across both pipelines") {
                total(.stdout) >= UInt64(n + 3) && total(.stderr) >= UInt64(n) && second.lines(stopper.id, .stdout) >= 10
            }
            try await pipeline2.stop()
            #expect(total(.stdout) == UInt64(n + 3))
            #expect(total(.stderr) == UInt64(n))
            #expect(second.lines(container.id, .stdout) > 0, "the second pipeline must have counted the rest")
            let outBytes = UInt64((1...n).map { "o \($0) count#n=1\n".utf8.count }.reduce(0, +) + 3 * 20_001)
            #expect(first.bytes(container.id, .stdout) + second.bytes(container.id, .stdout) == outBytes)
            Live.expectNoDuplicates(first.logs(container.id) + second.logs(container.id))
            // The container that stopped in between: the rest of its lines read by the second pipeline, exactly.
            #expect(first.lines(stopper.id, .stdout) == 10)
            #expect(second.lines(stopper.id, .stdout) == 10)
            Live.expectNoDuplicates(first.logs(stopper.id) + second.logs(stopper.id))
            let counted = (first.logs(container.id) + second.logs(container.id)).flatMap(\.measurements).filter { $0.name == "n" }.reduce(0) {
                $0 + $1.sum
            }
            #expect(counted == Double(n))
        }
    }
}
