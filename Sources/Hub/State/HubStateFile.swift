/// The hub's state file (`STATE_DIR/hub-state.json`): what must survive a restart so that nothing is counted twice.
/// Written atomically after each delivered period and before the acks that depend on it are published.
public struct HubStateFile: Codable, Sendable, Equatable {
    public var version = 1
    /// The latest period delivered completely (with every period before it).
    public var deliveredThrough: Int64?
    public var ledgers: [Ledger]
    public var containers: [Container]

    public struct Ledger: Codable, Sendable, Equatable {
        public var key: LedgerKey
        public var ackedThrough: UInt64
    }

    public struct Container: Codable, Sendable, Equatable {
        public var key: ContainerKey
        public var name: String
        public var image: String
        public var host: String
        /// Watermarks as of the delivered periods only.
        public var watermarks: Watermarks
    }

    public init(deliveredThrough: Int64?, ledgers: [Ledger], containers: [Container]) {
        self.deliveredThrough = deliveredThrough
        self.ledgers = ledgers
        self.containers = containers
    }
}
