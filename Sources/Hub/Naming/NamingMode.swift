/// `LIBRATO_NAMING`: how periods become Librato metric names and sources/tags.
public enum NamingMode: String, Sendable, CaseIterable {
    /// `docker.container.cpu.percent`-style names, source `CLUSTER:HOST:CONTAINER` or tags cluster/host/container/
    /// image/service, plus per-cluster and per-host roll-ups (docs/metrics.md).
    case standard = "default"
    /// The original octoblu/docker-librato's five gauges and exactly its `CLUSTER:image:name` sources, so that
    /// existing dashboards keep working; only a source Librato would reject is replaced by the nearest valid one.
    case seed
}
