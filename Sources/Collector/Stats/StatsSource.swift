import ContainerMetrics
import DockerEngine

/// Where a container's stats come from: the Engine API, or the cgroup files directly. Both produce the same raw
/// ``StatsSample`` (cumulative counters and gauges), so either can continue the other's series.
package protocol StatsSource: Sendable, CustomStringConvertible {
    /// One reading of the container's counters.
    /// - Throws: ``StatsSourceError/containerGone(id:)`` when the container stopped or was removed; other
    ///   ``StatsSourceError``s or ``DockerError``s when the source itself is failing.
    func sample(_ container: StatsTarget) async throws -> StatsSample
}

/// The container a stats source reads: its id and what is needed to find its network namespace.
package struct StatsTarget: Sendable, Hashable {
    /// The full container id.
    package var id: String
    /// The container's main process on the host (`State.Pid`); 0 when unknown.
    package var pid: Int32
    /// `HostConfig.NetworkMode`: `host` means the container has no network namespace of its own.
    package var networkMode: String

    package init(id: String, pid: Int32 = 0, networkMode: String = "default") {
        self.id = id
        self.pid = pid
        self.networkMode = networkMode
    }

    /// The target for an inspected container.
    package init(_ details: ContainerDetails) {
        self.init(id: details.id, pid: details.state.pid, networkMode: details.networkMode)
    }
}

/// Why a stats source could not produce a sample, worded for the operator.
package enum StatsSourceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The container stopped or was removed: stop sampling it.
    case containerGone(id: String)
    /// None of the cgroup directories where Docker puts a container exists.
    case cgroupNotFound(id: String, tried: [String])
    /// The cgroup root does not look like what `/info` says the host runs.
    case cgroupRootUnusable(root: String, reason: String)
    /// A file exists but cannot be read.
    case unreadable(path: String, reason: String)
    /// A file does not have the format the kernel documents.
    case malformed(path: String, detail: String)
    /// The engine is reached over tcp: its containers' cgroup files are on its own host, not under this CGROUP_ROOT.
    case remoteEngine(endpoint: String)

    package var description: String {
        switch self {
        case .containerGone(let id):
            "Container \(id) is gone (stopped or removed)."
        case .cgroupNotFound(let id, let tried):
            "No cgroup found for container \(id) (tried \(tried.joined(separator: ", "))). If it is running, the "
                + "collector does not see the host's cgroup tree: mount it read-only (-v /sys/fs/cgroup:/host/sys/fs/cgroup:ro) "
                + "and point --cgroup-root at it, or use the Engine API stats source."
        case .cgroupRootUnusable(let root, let reason):
            "Cannot read container cgroups under \(root): \(reason). Mount the host's /sys/fs/cgroup there read-only, "
                + "or use the Engine API stats source."
        case .unreadable(let path, let reason):
            "Cannot read \(path): \(reason). Run the collector as root (or with read access to /sys/fs/cgroup and /proc)."
        case .malformed(let path, let detail):
            "Unexpected content in \(path): \(detail)."
        case .remoteEngine(let endpoint):
            "The engine is reached over \(endpoint): its containers' cgroup files are on its own host."
        }
    }
}
