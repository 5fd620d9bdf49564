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
}
