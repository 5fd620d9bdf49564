import ContainerMetrics
import DockerEngine

/// Stats from the Engine API: one `stream=false&one-shot=true` request per sample.
///
/// Always available, but every request costs dockerd CPU (it reads the cgroups for us and serialises JSON), so
/// ``CgroupStatsSource`` is preferred where `/sys/fs/cgroup` is visible. Network counters come from dockerd's view
/// of the container's sandbox (none for `--network none` or `host`).
package struct APIStatsSource: StatsSource {
    package let client: DockerClient

    package init(client: DockerClient) {
        self.client = client
    }

    package var description: String { "Engine API one-shot stats at \(client.endpoint) (network counters from the API)" }

    package func sample(_ container: StatsTarget) async throws -> StatsSample {
        do {
            return try await client.stats(id: container.id)
        } catch .noSuchContainer, .containerNotRunning {
            throw StatsSourceError.containerGone(id: container.id)
        }
    }
}
