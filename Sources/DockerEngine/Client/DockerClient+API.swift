import AsyncHTTPClient
public import ContainerMetrics
import FoundationEssentials
import NIOHTTP1

extension DockerClient {
    /// `/info`: engine identity, cgroup version and driver, host CPUs and memory.
    public func info() async throws(DockerError) -> SystemInfo {
        try await getJSON(SystemInfo.self, "/info")
    }

    /// `/containers/json`: running containers, or all of them with `all`.
    public func listContainers(all: Bool = false) async throws(DockerError) -> [ContainerSummary] {
        try await getJSON([ContainerSummary].self, "/containers/json", query: all ? [("all", "1")] : [])
    }

    /// `/containers/{id}/json`.
    /// - Throws: ``DockerError/noSuchContainer(id:)`` when it does not exist.
    public func inspect(id: String) async throws(DockerError) -> ContainerDetails {
        try await getJSON(ContainerDetails.self, "/containers/\(DockerClient.percentEncode(id))/json", containerID: id)
    }

    /// One stats reading (`stream=false&one-shot=true`: returns at once, without `precpu_stats`; derive rates
    /// from two samples with ``StatsInterval/between(_:_:restarted:)``).
    /// - Throws: ``DockerError/noSuchContainer(id:)``, ``DockerError/containerNotRunning(id:)``.
    public func stats(id: String) async throws(DockerError) -> StatsSample {
        let path = "/containers/\(DockerClient.percentEncode(id))/stats"
        let data = try await getData(path, query: [("stream", "false"), ("one-shot", "true")], containerID: id, maxBytes: 16 << 20)
        return try StatsDocument.sample(from: data, id: id)
    }

    /// Container events from `/events?filters={"type":["container"]}`, as they happen.
    ///
    /// - Parameter since: Unix nanoseconds; events at or after it are replayed first (pass the last `timeNano`
    ///   seen to resume after a reconnect; the daemon keeps a bounded backlog). Sent as seconds with fraction.
    /// - Returns: a stream that ends when the daemon closes the connection.
    public func events(since: Int64? = nil) async throws(DockerError) -> ContainerEventStream {
        var query = [("filters", #"{"type":["container"]}"#)]
        if let since { query.append(("since", RFC3339.unixSecondsString(nanoseconds: since))) }
        let response = try await send(.GET, "/events", query: query)
        return DockerStream(body: response.body, decoder: JSONLinesDecoder(), endpoint: endpoint.description)
    }

    /// A container's stdout and stderr from `/containers/{id}/logs`.
    ///
    /// - Parameters:
    ///   - since: Unix nanoseconds; only lines stamped at or after it (Docker compares at its timestamp precision).
    ///   - follow: keep the stream open for new lines until the container stops.
    ///   - timestamps: prefix lines with Docker's timestamps (filled into ``LogEntry/timestampNs``).
    ///   - tty: the container's `Config.Tty` — its logs are then a raw stream, not multiplexed frames.
    /// - Throws: ``DockerError/noSuchContainer(id:)``.
    public func logs(
        id: String,
        since: Int64? = nil,
        follow: Bool = false,
        timestamps: Bool = true,
        tty: Bool
    ) async throws(DockerError) -> LogEntryStream {
        var query = [("stdout", "1"), ("stderr", "1"), ("follow", follow ? "1" : "0"), ("timestamps", timestamps ? "1" : "0")]
        if let since { query.append(("since", RFC3339.unixSecondsString(nanoseconds: since))) }
        let response = try await send(.GET, "/containers/\(DockerClient.percentEncode(id))/logs", query: query, containerID: id)
        return DockerStream(body: response.body, decoder: LogStreamDecoder(tty: tty, timestamps: timestamps), endpoint: endpoint.description)
    }
}
