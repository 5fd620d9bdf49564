import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A strict, local stand-in for the Librato Metrics API (docs/librato-api.md is its specification), for tests.
///
/// It binds 127.0.0.1 on an ephemeral port and serves `POST /v1/metrics`, `POST /v1/measurements` and
/// `POST /v1/annotations/:stream` with Basic auth, JSON-only bodies (415 otherwise), a body limit (413, code
/// UNCONFIRMED), the field rules of the reference (400 with `{"errors":{"params":…}}` naming the offending
/// params), the time window, rate-limit headers on every response and an optional rate limit (429 with the flat
/// `error` body). Faults can be scripted per request or for a time window. Everything is recorded for assertions.
///
/// Built on raw SwiftNIO HTTP/1 rather than a web framework because connection-level faults — closing a connection
/// without an answer, holding a request until the client times out — need direct control of the channel.
///
/// ```swift
/// let fake = try await FakeLibrato.start()
/// defer { try? await fake.shutdown() }
/// fake.inject(.status(503), times: 3)
/// // … point the client at fake.baseURL, submit …
/// let state = try await fake.waitFor { $0.accepted.count >= 10 }
/// ```
public final class FakeLibrato: Sendable {
    /// The settings in use.
    public let configuration: FakeLibratoConfiguration
    /// `http://127.0.0.1:<port>`, for `LIBRATO_API_URL`.
    public let baseURL: String
    /// The bound port.
    public let port: Int
    let core: FakeLibratoCore
    private let channel: any Channel
    private let connections: ConnectionRegistry

    private init(
        configuration: FakeLibratoConfiguration, core: FakeLibratoCore, channel: any Channel, connections: ConnectionRegistry,
        port: Int
    ) {
        self.configuration = configuration
        self.core = core
        self.channel = channel
        self.connections = connections
        self.port = port
        self.baseURL = "http://127.0.0.1:\(port)"
    }

    /// Starts a fake on 127.0.0.1 and an ephemeral port.
    public static func start(_ configuration: FakeLibratoConfiguration = FakeLibratoConfiguration()) async throws -> FakeLibrato {
        let core = FakeLibratoCore(configuration: configuration)
        let connections = ConnectionRegistry()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                connections.add(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(FakeLibratoHandler(core: core))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        guard let port = channel.localAddress?.port else {
            try? await channel.close()
            throw FakeLibratoError.noPort
        }
        return FakeLibrato(configuration: configuration, core: core, channel: channel, connections: connections, port: port)
    }

    /// Stops listening and closes every open connection (including requests held by a `.timeout` fault).
    public func shutdown() async throws {
        try await channel.close()
        for connection in connections.all { try? await connection.close() }
    }

    // MARK: faults

    /// Appends faults to the plan; each request consumes the first one.
    public func inject(_ faults: [FakeLibratoFault]) {
        core.state.withLock { $0.plan.queue += faults }
    }

    /// Appends `fault` `times` times: the next `times` requests (after those already planned) get it.
    public func inject(_ fault: FakeLibratoFault, times: Int = 1) {
        inject(Array(repeating: fault, count: times))
    }

    /// Every request gets `fault` for `duration` (the fake's clock), before the plan is consulted.
    public func failAll(with fault: FakeLibratoFault, for duration: Duration) {
        let c = duration.components
        let until = configuration.now() + Double(c.seconds) + Double(c.attoseconds) / 1e18
        core.state.withLock { $0.plan.failAll = (fault, until) }
    }

    /// Forgets every planned fault and ends a `failAll` window.
    public func clearFaults() {
        core.state.withLock { $0.plan = FaultPlan() }
    }

    /// Faults still planned.
    public var plannedFaults: [FakeLibratoFault] { core.state.withLock { $0.plan.queue } }

    // MARK: recordings

    /// Everything recorded so far.
    public var snapshot: FakeLibratoSnapshot { core.state.withLock { $0.snapshot } }

    /// Forgets recorded requests, measurements and annotations (faults stay planned).
    public func resetRecordings() {
        core.state.withLock { $0.snapshot = FakeLibratoSnapshot() }
    }

    /// Suspends until `condition` holds for the recordings (checked now and after every request), and returns
    /// them. No polling: the fake wakes waiters as requests complete.
    /// - Throws: ``FakeLibratoError/timedOut(_:)`` with a summary of what was recorded, after `timeout`.
    @discardableResult
    public func waitFor(
        timeout: Duration = .seconds(10),
        _ condition: @escaping @Sendable (FakeLibratoSnapshot) -> Bool
    ) async throws -> FakeLibratoSnapshot {
        let core = self.core
        let id = core.makeWaiterID()
        let timer = Task {
            try? await Task.sleep(for: timeout)
            if Task.isCancelled { return }
            core.failWaiter(id, FakeLibratoError.timedOut(Self.summary(core.state.withLock { $0.snapshot }, after: timeout)))
        }
        defer {
            timer.cancel()
            core.forgetWaiter(id)
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                core.addWaiter(id, condition, continuation)
            }
        } onCancel: {
            core.failWaiter(id, CancellationError())
        }
    }

    static func summary(_ s: FakeLibratoSnapshot, after timeout: Duration) -> String {
        let statuses = s.statusCounts.sorted { ($0.key ?? 0) < ($1.key ?? 0) }
            .map { "\($0.key.map(String.init) ?? "none"): \($0.value)" }.joined(separator: ", ")
        return "condition not met after \(timeout): \(s.requests.count) requests (\(statuses)), "
            + "\(s.accepted.count) measurements and \(s.annotations.count) annotations accepted"
    }
}

/// The fake's open connections, so that shutdown can close stalled ones.
private final class ConnectionRegistry: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    func add(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        channels.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { [self] _ in _ = channels.withLock { $0.removeValue(forKey: id) } }
    }

    var all: [any Channel] { channels.withLock { Array($0.values) } }
}

/// Failures of the fake itself.
public enum FakeLibratoError: Error, CustomStringConvertible {
    /// The listening socket has no port (should not happen).
    case noPort
    /// ``FakeLibrato/waitFor(timeout:_:)`` gave up; the text summarises the recordings.
    case timedOut(String)

    public var description: String {
        switch self {
        case .noPort: "the fake Librato server could not determine its port"
        case .timedOut(let summary): "FakeLibrato.waitFor: \(summary)"
        }
    }
}
