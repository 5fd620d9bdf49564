public import Librato
public import WireFormat

/// The hub's I/O settings (addresses, key, state directory) next to its logic's ``HubConfiguration``.
public struct HubSettings: Sendable {
    /// `HUB_LISTEN`: the PULL address collectors push to.
    public var listen: String
    /// `HUB_ACK_LISTEN`: the REP address of the control path (collectors ask for their acks there).
    public var ackListen: String
    /// `HTTP_LISTEN`: `/healthz`, `/metrics` and the status page (`host:port`); nil disables the server.
    public var httpListen: String?
    /// `CLUSTER_KEY_FILE` / `CLUSTER_KEY`, or ``ClusterKey/none``.
    public var clusterKey: ClusterKey
    /// `STATE_DIR`.
    public var stateDirectory: String?
    /// Largest frame accepted (`NN_RCVMAXSIZE`); bigger ones are dropped with their connection by nanomsg.
    public var maxFrameBytes: Int
    /// The host name the hub reports in its own frames and metrics.
    public var hostName: String
    /// `LIBRATO_NAMING` and `LIBRATO_API`.
    public var naming: NamingMode
    public var api: LibratoAPI
    /// On SIGTERM the hub closes its open periods and submits them, for at most this long.
    public var shutdownFlushTimeout: Duration
    /// Which series are posted (the knobs that cut volume).
    public var selection: SeriesSelection
    /// `LIBRATO_RATE_DEFER`: how long the part of a period over the account's budget may wait for the next
    /// rate-limit window before it is dropped (nil: one period).
    public var rateDeferral: Duration?
    /// On SIGTERM, after the flush, how long the control path may still answer so that each polling collector
    /// hears its final ack (``ControlService``; it ends as soon as every one has asked). Standalone sets zero: its
    /// one collector stops before the hub.
    public var finalAckWindow: Duration = .milliseconds(4500)
    public var configuration: HubConfiguration

    public init(
        listen: String = "tcp://*:5555", ackListen: String = "tcp://*:5556", httpListen: String? = "0.0.0.0:8080",
        clusterKey: ClusterKey = .none, stateDirectory: String? = nil, maxFrameBytes: Int = 1 << 20, hostName: String = "hub",
        naming: NamingMode = .standard, api: LibratoAPI = .legacy, shutdownFlushTimeout: Duration = .seconds(20),
        selection: SeriesSelection = .all, rateDeferral: Duration? = nil, configuration: HubConfiguration = HubConfiguration()
    ) {
        self.listen = listen
        self.ackListen = ackListen
        self.httpListen = httpListen
        self.clusterKey = clusterKey
        self.stateDirectory = stateDirectory
        self.maxFrameBytes = maxFrameBytes
        self.hostName = hostName
        self.naming = naming
        self.api = api
        self.shutdownFlushTimeout = shutdownFlushTimeout
        self.selection = selection
        self.rateDeferral = rateDeferral
        self.configuration = configuration
    }
}
