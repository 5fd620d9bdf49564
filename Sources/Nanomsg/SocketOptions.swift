import CNanomsg

/// The scalability protocols this project uses.
public enum SocketKind: Sendable, CustomStringConvertible {
    /// Collector → hub data (connects).
    case push
    /// The hub's data intake (binds).
    case pull
    /// The hub's acknowledgements/control (binds).
    case pub
    /// A subscriber (connects, subscribes to topics). Not used by the product: nanomsg filters PUB/SUB at the
    /// subscriber, so every subscriber receives every message (kept for tests and tools).
    case sub
    /// A collector's control requests (connects): one request at a time, its reply comes back on the same pipe.
    case req
    /// The hub's control replies (binds): each reply goes only to the pipe its request came from.
    case rep

    var protocolNumber: Int32 {
        switch self {
        case .push: CNN_PUSH
        case .pull: CNN_PULL
        case .pub: CNN_PUB
        case .sub: CNN_SUB
        case .req: CNN_REQ
        case .rep: CNN_REP
        }
    }

    var canReceive: Bool { self == .pull || self == .sub || self == .req || self == .rep }
    var canSend: Bool { self == .push || self == .pub || self == .req || self == .rep }

    public var description: String {
        switch self {
        case .push: "PUSH"
        case .pull: "PULL"
        case .pub: "PUB"
        case .sub: "SUB"
        case .req: "REQ"
        case .rep: "REP"
        }
    }
}

/// Counters from `nn_get_statistic`, for self-metrics.
public enum SocketStatistic: Int32, Sendable, CaseIterable {
    case establishedConnections = 101
    case acceptedConnections = 102
    case droppedConnections = 103
    case brokenConnections = 104
    case connectErrors = 105
    case bindErrors = 106
    case acceptErrors = 107
    case currentConnections = 201
    case inProgressConnections = 202
    case currentEndpointErrors = 203
    case messagesSent = 301
    case messagesReceived = 302
    case bytesSent = 303
    case bytesReceived = 304

    /// A metric-friendly name (`messages_received`).
    public var name: String {
        switch self {
        case .establishedConnections: "established_connections"
        case .acceptedConnections: "accepted_connections"
        case .droppedConnections: "dropped_connections"
        case .brokenConnections: "broken_connections"
        case .connectErrors: "connect_errors"
        case .bindErrors: "bind_errors"
        case .acceptErrors: "accept_errors"
        case .currentConnections: "current_connections"
        case .inProgressConnections: "in_progress_connections"
        case .currentEndpointErrors: "current_endpoint_errors"
        case .messagesSent: "messages_sent"
        case .messagesReceived: "messages_received"
        case .bytesSent: "bytes_sent"
        case .bytesReceived: "bytes_received"
        }
    }
}

/// An endpoint id returned by bind/connect, for ``NanoSocket/shutdown(_:)``.
public struct Endpoint: Hashable, Sendable {
    public let id: Int32
    public let address: String
}

/// Checks an address before nanomsg sees it: nanomsg 1.1.5 aborts the process on ipc:// paths of 108 bytes or
/// more (sun_path), and rejects addresses of 128 bytes or more.
func validateAddress(_ address: String) throws(NanomsgError) {
    let utf8 = address.utf8.count
    guard utf8 < 128 else { throw .invalidAddress(address, reason: "longer than nanomsg's 127-byte limit") }
    if address.hasPrefix("ipc://") {
        let path = address.dropFirst(6)
        guard !path.isEmpty else { throw .invalidAddress(address, reason: "empty ipc path") }
        guard path.utf8.count < 108 else {
            throw .invalidAddress(address, reason: "ipc path must be shorter than 108 bytes (the unix socket path limit)")
        }
    } else if address.hasPrefix("tcp://") {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (1...65535).contains(port)
        else { throw .invalidAddress(address, reason: "expected tcp://HOST:PORT with a port from 1 to 65535") }
    } else if !address.hasPrefix("inproc://") {
        throw .invalidAddress(address, reason: "expected tcp://HOST:PORT, ipc://PATH or inproc://NAME")
    }
}
