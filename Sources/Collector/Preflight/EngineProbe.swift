import ContainerMetrics
import DockerEngine
import Timekeeping

/// The local Docker engine as a collector would use it, read once for `docker-librato validate`: the same client
/// calls, the same stats source choice (``StatsSourceSelection``) and the same filters (``ContainerMatcher``, the
/// collector's own container left out). Only reads; nothing is started, written or followed.
package struct EngineProbe: Sendable {
    /// The collector's configuration (`DOCKER_HOST`, `STATS_SOURCE`, `CGROUP_ROOT`, `PROC_ROOT`, the filters).
    package let configuration: CollectorConfiguration
    /// The engine's client; the probe does not shut it down.
    package let client: DockerClient
    let own: OwnContainer
    let wallClock: WallClock

    package init(configuration: CollectorConfiguration, client: DockerClient, wallClock: WallClock = .system) {
        self.configuration = configuration
        self.client = client
        self.own = OwnContainer.detect(procRoots: ["/proc", configuration.procRoot])
        self.wallClock = wallClock
    }

    /// The engine: the API version negotiated with `/_ping` and `/info`.
    package func engine() async throws(DockerError) -> (api: DockerAPIVersion, info: SystemInfo) {
        let api = try await client.ping()
        return (api, try await client.info())
    }

    /// The stats source the collector would read (see ``StatsSourceSelection``).
    package func statsSource(info: SystemInfo) throws(StatsSourceError) -> StatsSourceSelection {
        try StatsSourceSelection(configuration, info: info, client: client, wallClock: wallClock)
    }

    /// Every container of the engine, and which running ones the filters admit.
    package func census() async throws(DockerError) -> ContainerCensus {
        let all = try await client.listContainers(all: true)
        let matcher = try? ContainerMatcher(configuration.filters)
        let running = all.filter { $0.state == "running" && !own.matches($0.id) }
        let admitted = running.filter { matcher?.matches(name: $0.name, image: $0.image, labels: $0.labels) ?? false }
        return ContainerCensus(total: all.count, running: running, admitted: admitted)
    }

    /// Reads the first of `candidates` that is still running twice, `interval` apart, with `selection`'s source:
    /// CPU % over the interval and memory as the collector computes them (``StatsInterval``). Containers that stop
    /// meanwhile are passed over; nil when none is left.
    /// - Throws: the source's error when it cannot read a running container (``StatsSourceError``, ``DockerError``).
    package func sample(_ selection: StatsSourceSelection, candidates: [ContainerSummary], interval: Duration) async throws -> StatsReading? {
        for container in candidates.prefix(5) {
            do {
                let target: StatsTarget
                do {
                    target = StatsTarget(try await client.inspect(id: container.id))
                } catch .noSuchContainer {
                    continue
                }
                guard target.pid != 0 else { continue }
                let first = try await selection.source.sample(target)
                try await Task.sleep(for: interval)
                let second = try await selection.source.sample(target)
                let stats = StatsInterval.between(first, second)
                return StatsReading(
                    container: container, cpuPercent: stats.cpuPercent, memoryUsed: stats.memoryUsed, memoryLimit: stats.memoryLimit,
                    pids: stats.pids)
            } catch StatsSourceError.containerGone {
                continue
            }
        }
        return nil
    }
}

/// The engine's containers as `validate` counts them.
package struct ContainerCensus: Sendable {
    /// Every container, whatever its state.
    package var total: Int
    /// Running containers (not the collector's own).
    package var running: [ContainerSummary]
    /// The running containers the filters admit: those the collector follows.
    package var admitted: [ContainerSummary]
}

/// One container's stats over a short interval, as a collector would report them.
package struct StatsReading: Sendable {
    package var container: ContainerSummary
    /// CPU % over the interval (100 = one core); nil when the source gave no CPU counters.
    package var cpuPercent: Double?
    /// Memory used (usage without inactive file cache, as `docker stats`), bytes.
    package var memoryUsed: Double?
    /// The memory limit (the host's RAM when unlimited), bytes.
    package var memoryLimit: Double?
    package var pids: Double?
}
