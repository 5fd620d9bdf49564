/// Who a sample belongs to: a container as the Docker engine names it, plus the labels an operator allowed as tags.
///
/// Identity travels with the samples (the wire format puts it once per frame) so that every frame can be decoded
/// on its own, whatever was lost before it.
public struct ContainerIdentity: Hashable, Sendable {
    /// The full 64-hex container id.
    public var id: String {
        get { storage.fields.id }
        set { fields.id = newValue }
    }
    /// The container name without Docker's leading `/`.
    public var name: String {
        get { storage.fields.name }
        set { fields.name = newValue }
    }
    /// The image reference the container was created from (`Config.Image`), e.g. `octoblu/meshblu:v2`.
    public var image: String {
        get { storage.fields.image }
        set { fields.image = newValue }
    }
    /// Allow-listed labels only (see the collector's `--label-tags`); never the full label set.
    public var labels: [String: String] {
        get { storage.fields.labels }
        set { fields.labels = newValue }
    }
    /// Start time of the container's current run, in Unix nanoseconds (0 when unknown). A change means the
    /// container restarted and its cumulative counters began again from zero.
    public var startedAt: Int64 {
        get { storage.fields.startedAt }
        set { fields.startedAt = newValue }
    }

    struct Fields: Hashable, Sendable {
        var id: String
        var name: String
        var image: String
        var labels: [String: String]
        var startedAt: Int64
    }

    /// The fields behind one immutable reference shared by every copy. By hand (not five stored properties) because
    /// the hub copies an identity into each frame it decodes, each container state and each period: one reference
    /// to retain instead of four (three strings and a dictionary), and at fleet scale each of those was a cache miss
    /// on a reference count last touched a frame ago (BENCHMARKS.md, "Hub ingest"). Identities are written once and
    /// read many times; a setter makes a new box.
    final class Storage: Sendable {
        let fields: Fields
        init(_ fields: Fields) { self.fields = fields }
    }

    private var storage: Storage

    private var fields: Fields {
        get { storage.fields }
        set { storage = Storage(newValue) }
    }

    public init(id: String, name: String, image: String, labels: [String: String] = [:], startedAt: Int64 = 0) {
        storage = Storage(Fields(id: id, name: name, image: image, labels: labels, startedAt: startedAt))
    }

    public static func == (a: ContainerIdentity, b: ContainerIdentity) -> Bool {
        a.storage === b.storage || a.storage.fields == b.storage.fields
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(storage.fields) }

    /// Whether the two share their fields' box: then they are equal, found without reading the fields (a cache miss
    /// per container and frame in the hub when the box was last touched a frame ago). False says nothing.
    public func sharesStorage(with other: ContainerIdentity) -> Bool { storage === other.storage }

    /// The first 12 characters of the id, as `docker ps` shows it.
    public var shortID: String { String(id.prefix(12)) }

    /// The compose service, swarm service or, failing both, the container name: what operators call "the service".
    public var service: String? {
        labels["com.docker.compose.service"] ?? labels["com.docker.swarm.service.name"]
    }
}
