/// The hub's state file (`STATE_DIR/hub-state.bin`; `hub-state.json` before 0.2): what must survive a restart so that nothing is counted twice.
/// Written atomically after each delivered period and before the acks that depend on it are published.
package struct HubStateFile: Codable, Sendable, Equatable {
    package var version = 1
    /// The latest period delivered completely (with every period before it).
    package var deliveredThrough: Int64?
    package var ledgers: [Ledger]
    package var containers: [Container]

    package struct Ledger: Codable, Sendable, Equatable {
        package var key: LedgerKey
        package var ackedThrough: UInt64
    }

    package struct Container: Codable, Sendable, Equatable {
        package var key: ContainerKey
        package var name: String
        package var image: String
        package var host: String
        /// Watermarks as of the delivered periods only.
        package var watermarks: Watermarks
    }

    package init(deliveredThrough: Int64?, ledgers: [Ledger], containers: [Container]) {
        self.deliveredThrough = deliveredThrough
        self.ledgers = ledgers
        self.containers = containers
    }
}
