@_spi(Simulation) import Collector
import ContainerMetrics
import DockerEngine
import DockerLibratoTesting
import Testing
import WireFormat

@Suite(.dockerDaemon) struct LiveDeliveryIntegrationTests {
    /// The data side feeding the real delivery side (no hub: frames stay in the spool), both on one state
    /// directory: frames are built, and the log checkpoints land beside the delivery state.
    @Test func pipelineIntoFrameDeliverer() async throws {
        let tag = Live.uniqueTag("deliver")
        let state = try FixtureDirectory("collector-deliver", files: [:])
        defer { state.remove() }
        let metrics = CollectorMetrics()
        try await DockerTestHelper.withClient { client in
            let configuration = Live.configuration(namePrefix: "dl-test-\(tag)-", stateDirectory: state.path + "/state")
            let info = try await client.info()
            let deliverer = try FrameDeliverer(configuration: configuration, engineID: info.engineID, host: info.name, metrics: metrics)
            let pipeline = try await RunningPipeline.start(
                try CollectorPipeline(configuration: configuration, client: client, sink: deliverer, metrics: metrics, logger: Live.logger)
            )
            let container = try await TestContainer.run(tag, command: ["sh", "-c", "echo one; echo two >&2; exit 0"])
            defer { container.remove() }
            try await container.waitForExit()
            let checkpoints = { try CheckpointStore(stateDirectory: configuration.stateDirectory).checkpoint(for: container.id) }
            try await Eventually.wait(for: "frames built and both streams checkpointed") {
                let streams = try checkpoints()?.seconds.count ?? 0
                return metrics.get(.framesBuilt) + metrics.get(.spoolFrames) > 0 && streams == 2
            }
            try await pipeline.stop()
            #expect(metrics.get(.logLines) == 2)
            #expect(metrics.get(.events) >= 3)
        }
    }
}
