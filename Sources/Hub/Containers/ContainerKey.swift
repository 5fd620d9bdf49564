import ContainerMetrics

/// A Docker engine within a cluster: containers of one engine are the same whoever reports them.
package struct EngineKey: Hashable, Sendable, Codable {
    package var cluster: String
    package var engineID: String

    package init(cluster: String, engineID: String) {
        self.cluster = cluster
        self.engineID = engineID
    }
}

/// A container as the hub keys it: its engine (cluster + engine id) and its id.
package struct ContainerKey: Hashable, Sendable, Codable {
    package var engine: EngineKey
    package var id: String

    package init(engine: EngineKey, id: String) {
        self.engine = engine
        self.id = id
    }

    package static func == (a: ContainerKey, b: ContainerKey) -> Bool { a.id == b.id && a.engine == b.engine }

    /// Feeds the hasher a fast fingerprint of the container id (``fingerprint64(_:)``) instead of every field:
    /// SipHash over cluster, engine id and the 64-digit id was a tenth of the hub's ingest cost, and the hub resolves
    /// every container of every frame through this hash. Equality still compares every field.
    package func hash(into hasher: inout Hasher) {
        hasher.combine(idFingerprint)
    }

    /// The fingerprint is a well-mixed 64-bit hash already: dictionaries use it as it is, without SipHash.
    package func _rawHashValue(seed: Int) -> Int { Int(truncatingIfNeeded: idFingerprint) ^ seed }

    private var idFingerprint: UInt64 {
        var id = id
        return id.withUTF8 { fingerprint64(UnsafeRawBufferPointer($0)) }
    }
}

/// An identity token (``OpenedFrame/identityTokens``) as a dictionary key, hashed by one multiplication: tokens are
/// issued in sequence and looked up once per container per frame.
struct IdentityToken: Hashable {
    var raw: UInt64
    func _rawHashValue(seed: Int) -> Int { Int(truncatingIfNeeded: raw &* 0x9E37_79B9_7F4A_7C15) ^ seed }
}
