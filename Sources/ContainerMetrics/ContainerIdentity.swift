/// Who a sample belongs to: a container as the Docker engine names it, plus the labels an operator allowed as tags.
///
/// Identity travels with the samples (the wire format puts it once per frame) so that every frame can be decoded
/// on its own, whatever was lost before it.
public struct ContainerIdentity: Hashable, Sendable {
    /// The full 64-hex container id.
    public var id: String
    /// The container name without Docker's leading `/`.
    public var name: String
    /// The image reference the container was created from (`Config.Image`), e.g. `octoblu/meshblu:v2`.
    public var image: String
    /// Allow-listed labels only (see the collector's `--label-tags`); never the full label set.
    public var labels: [String: String]
    /// Start time of the container's current run, in Unix nanoseconds (0 when unknown). A change means the
    /// container restarted and its cumulative counters began again from zero.
    public var startedAt: Int64

    public init(id: String, name: String, image: String, labels: [String: String] = [:], startedAt: Int64 = 0) {
        self.id = id
        self.name = name
        self.image = image
        self.labels = labels
        self.startedAt = startedAt
    }

    /// The first 12 characters of the id, as `docker ps` shows it.
    public var shortID: String { String(id.prefix(12)) }

    /// The compose service, swarm service or, failing both, the container name: what operators call "the service".
    public var service: String? {
        labels["com.docker.compose.service"] ?? labels["com.docker.swarm.service.name"]
    }
}
