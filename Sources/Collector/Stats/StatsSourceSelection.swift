import DockerEngine
import Timekeeping

/// The stats source a collector uses, as `STATS_SOURCE` asks: `cgroup` and `api` as named, `auto` the cgroup files
/// when the engine is local and the hierarchy dockerd uses is visible under `CGROUP_ROOT`, else the Engine API. One
/// function, so that the running collector and `docker-librato validate` choose the same way.
package struct StatsSourceSelection: Sendable {
    /// The source chosen.
    package var source: any StatsSource
    /// With `auto`: why the cgroup files were not usable (or not the engine's: ``StatsSourceError/remoteEngine(endpoint:)``),
    /// so the Engine API was chosen instead.
    package var fallbackReason: StatsSourceError?

    /// Chooses the source for the engine `info` describes.
    /// - Throws: ``StatsSourceError/cgroupRootUnusable(root:reason:)`` when `STATS_SOURCE=cgroup` and `CGROUP_ROOT`
    ///   does not hold the hierarchy dockerd uses.
    package init(_ configuration: CollectorConfiguration, info: SystemInfo, client: DockerClient, wallClock: WallClock) throws(StatsSourceError) {
        func cgroup() throws(StatsSourceError) -> CgroupStatsSource {
            try CgroupStatsSource.detect(info: info, cgroupRoot: configuration.cgroupRoot, procRoot: configuration.procRoot, wallClock: wallClock)
        }
        switch configuration.statsSource {
        case .api:
            source = APIStatsSource(client: client)
        case .cgroup:
            source = try cgroup()
        case .auto:
            if case .tcp = client.endpoint {
                // A remote engine: the cgroup files here are this machine's, not its containers'.
                source = APIStatsSource(client: client)
                fallbackReason = .remoteEngine(endpoint: "\(client.endpoint)")
                return
            }
            do {
                source = try cgroup()
            } catch {
                source = APIStatsSource(client: client)
                fallbackReason = error
            }
        }
    }
}
