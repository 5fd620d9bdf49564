import ContainerMetrics
import DockerLibratoTesting
import Testing

@testable import DockerEngine

/// Against the real dockerd on /var/run/docker.sock. These fail (never skip) when it is not running.
@Suite(.dockerDaemon) struct LiveDaemonTests {
    @Test func pingNegotiatesTheAPIVersion() async throws {
        try await withDockerClient { client in
            #expect(client.apiVersion == nil)
            let daemon = try #require(DockerAPIVersion(try await DockerTestHelper.docker(["version", "--format", "{{.Server.APIVersion}}"])))
            let version = try await client.ping()
            #expect(version == min(daemon, DockerAPIVersion.clientMaximum))
            #expect(client.apiVersion == version)
        }
    }

    @Test func info() async throws {
        try await withDockerClient { client in
            let info = try await client.info()
            let cli = try await DockerTestHelper.docker([
                "info", "--format", "{{.ID}}|{{.NCPU}}|{{.MemTotal}}|{{.CgroupDriver}}|{{.CgroupVersion}}|{{.ServerVersion}}|{{.DockerRootDir}}",
            ])
            #expect(
                cli
                    == "\(info.engineID)|\(info.ncpu)|\(info.memTotal)|\(info.cgroupDriver)|\(info.cgroupVersion)|\(info.serverVersion)|\(info.dockerRootDir)"
            )
            #expect(!info.engineID.isEmpty)
            #expect(!info.name.isEmpty)
        }
    }

    @Test func listAndInspect() async throws {
        let running = try await TestContainer.run("list", options: ["--label", "com.example.team=metrics"], command: ["sleep", "300"])
        defer { running.remove() }
        let created = try await TestContainer.create("list-created", command: ["true"])
        defer { created.remove() }
        try await withDockerClient { client in
            let list = try await client.listContainers()
            let row = try #require(list.first { $0.id == running.id })
            #expect(row.name == running.name)
            #expect(row.image == DockerTestHelper.image)
            #expect(row.labels["com.example.team"] == "metrics")
            #expect(row.state == "running")
            #expect(!list.contains { $0.id == created.id })
            #expect(try await client.listContainers(all: true).contains { $0.id == created.id && $0.state == "created" })

            let details = try await client.inspect(id: running.name)
            #expect(details.id == running.id)
            #expect(details.name == running.name)
            #expect(details.image == DockerTestHelper.image)
            #expect(details.labels["com.example.team"] == "metrics")
            #expect(details.tty == false)
            #expect(details.networkMode == "none")
            #expect(details.state.running)
            #expect(details.state.status == "running")
            #expect(details.state.pid == (try await running.pid()))
            #expect(details.state.startedAt == RFC3339.nanoseconds(try await running.inspect("{{.State.StartedAt}}")))
            #expect(details.state.startedAt > 0)

            let notStarted = try await client.inspect(id: created.id)
            #expect(!notStarted.state.running)
            #expect(notStarted.state.pid == 0)
            #expect(notStarted.state.startedAt == 0)
        }
    }

    @Test func missingContainerIsNoSuchContainer() async throws {
        try await withDockerClient { client in
            await #expect(throws: DockerError.noSuchContainer(id: "dl-test-absent")) { try await client.inspect(id: "dl-test-absent") }
            await #expect(throws: DockerError.noSuchContainer(id: "dl-test-absent")) { try await client.stats(id: "dl-test-absent") }
            await #expect(throws: DockerError.noSuchContainer(id: "dl-test-absent")) {
                try await client.logs(id: "dl-test-absent", tty: false)
            }
        }
    }

    @Test func otherHTTPErrorsCarryTheDaemonMessage() async throws {
        try await withDockerClient { client in
            let error = await #expect(throws: DockerError.self) {
                try await client.getData("/containers/json", query: [("filters", "{not json")])
            }
            guard case .http(let status, let path, let message)? = error else {
                Issue.record("expected an HTTP error, got \(String(describing: error))")
                return
            }
            #expect(status == 400 || status == 500)
            #expect(path == "/containers/json")
            #expect(!message.isEmpty)
        }
    }

    @Test func statsOfARunningContainer() async throws {
        let container = try await TestContainer.run("stats", command: ["sleep", "300"])
        defer { container.remove() }
        try await withDockerClient { client in
            let info = try await client.info()
            let sample = try await client.stats(id: container.id)
            let now = DockerTestHelper.wallClockMilliseconds()
            #expect(abs(sample.time - now) < 60_000)
            let cpu = try #require(sample.cpu)
            #expect(cpu.onlineCPUs == UInt32(info.ncpu))
            #expect(cpu.systemNs > 0)
            let memory = try #require(sample.memory)
            #expect(memory.usage > 0)
            #expect(memory.limit == info.memTotal)  // unlimited: the host's RAM, as the API reports it
            #expect(sample.pids == 1)
            #expect(sample.blockIO != nil)
            // --network none: no sandbox interfaces for the API to report.
            #expect(sample.networks.isEmpty)

            try await DockerTestHelper.docker(["stop", "-t", "0", container.id])
            await #expect(throws: DockerError.containerNotRunning(id: container.id)) { try await client.stats(id: container.id) }
        }
    }
}
