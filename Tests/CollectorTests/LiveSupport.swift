@_spi(Simulation) import Collector
import ContainerMetrics
import DockerEngine
import DockerLibratoTesting
import Logging
import Synchronization
import Testing
import WireFormat

/// The sink tests submit to: keeps every batch, in order.
final class CollectingSink: RecordSink {
    private let batches = Mutex<[Batch]>([])

    func submit(_ batch: Batch) async throws {
        batches.withLock { $0.append(batch) }
    }

    var all: [Batch] { batches.withLock { $0 } }

    func logs(_ id: String) -> [LogBucket] {
        all.flatMap { b in b.logs.filter { b.containers[$0.container].id == id }.map(\.value) }
    }

    func events(_ id: String) -> [LifecycleEvent] {
        all.flatMap { b in b.events.filter { b.containers[$0.container].id == id }.map(\.value) }
    }

    func eventRecords(_ id: String) -> [(ContainerIdentity, LifecycleEvent)] {
        all.flatMap { b in b.events.filter { b.containers[$0.container].id == id }.map { (b.containers[$0.container], $0.value) } }
    }

    func stats(_ id: String) -> [(ContainerIdentity, StatsSample)] {
        all.flatMap { b in b.stats.filter { b.containers[$0.container].id == id }.map { (b.containers[$0.container], $0.value) } }
    }

    func statuses(_ id: String) -> [ContainerStatus] {
        all.flatMap { b in b.statuses.filter { b.containers[$0.container].id == id }.map(\.value) }
    }

    var hostStates: [HostStates] { all.flatMap(\.hostStates) }

    func containerIDs() -> Set<String> {
        Set(all.flatMap { $0.containers.map(\.id) })
    }

    func lines(_ id: String, _ stream: LogBucket.Stream) -> UInt64 {
        logs(id).filter { $0.stream == stream }.reduce(0) { $0 + $1.lines }
    }

    func bytes(_ id: String, _ stream: LogBucket.Stream) -> UInt64 {
        logs(id).filter { $0.stream == stream }.reduce(0) { $0 + $1.bytes }
    }
}

/// A pipeline running in a task. ``start(_:)`` returns once it follows the engine (its first listing is done), so
/// containers a test creates afterwards are followed from their creation. ``stop()`` cancels it and waits until it
/// returned; a test that fails before stopping it still cancels it when the value goes away.
final class RunningPipeline: Sendable {
    let pipeline: CollectorPipeline
    let task: Task<Void, any Error>

    private init(_ pipeline: CollectorPipeline) {
        self.pipeline = pipeline
        task = Task { try await pipeline.run() }
    }

    static func start(_ pipeline: CollectorPipeline) async throws -> RunningPipeline {
        let running = RunningPipeline(pipeline)
        try await Eventually.wait(for: "the pipeline to follow the engine", timeout: .seconds(60)) { pipeline.isFollowing }
        return running
    }

    func stop() async throws {
        task.cancel()
        try await task.value
    }

    deinit {
        task.cancel()
    }
}

enum Live {
    /// A configuration for tests: 1 s stats, short close delay and frame age, only this test's containers.
    static func configuration(
        namePrefix: String,
        stateDirectory: String? = nil,
        endpoint: DockerEndpoint = .unix(path: DockerTestHelper.socketPath)
    )
        -> CollectorConfiguration
    {
        CollectorConfiguration(
            statsInterval: .seconds(1),
            docker: endpoint,
            stateDirectory: stateDirectory,
            statsSource: .auto,
            filters: ContainerFilters(includeNames: ["\(namePrefix)*"]),
            logCloseDelay: .milliseconds(500),
            frameInterval: .milliseconds(200),
            frameMaxBytes: 16 * 1024
        )
    }

    /// `dl-test-<tag>-` with a random tag, so that only this test's containers are followed (other test runs share
    /// the daemon).
    static func uniqueTag(_ base: String) -> String {
        "\(base)\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
    }

    static var logger: Logger {
        var logger = Logger(label: "collector-test")
        logger.logLevel = .info
        return logger
    }

    /// Asserts that no (stream, second) bucket was emitted twice and seconds increase per stream.
    static func expectNoDuplicates(_ buckets: [LogBucket], sourceLocation: SourceLocation = #_sourceLocation) {
        for stream in LogBucket.Stream.allCases {
            let seconds = buckets.filter { $0.stream == stream }.map(\.second)
            #expect(seconds == seconds.sorted(), "\(stream) buckets out of order", sourceLocation: sourceLocation)
            #expect(Set(seconds).count == seconds.count, "\(stream) bucket emitted twice: \(seconds)", sourceLocation: sourceLocation)
        }
        #expect(buckets.allSatisfy { $0.lines > 0 }, "empty bucket", sourceLocation: sourceLocation)
    }
}
