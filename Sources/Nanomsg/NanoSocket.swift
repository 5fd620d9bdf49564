import CNanomsg
import Synchronization

/// A nanomsg socket (PUSH, PULL, PUB or SUB) that is safe to share between tasks and closes exactly once.
///
/// Every library call happens under the socket's lock and after a check that it is still open, so a closed
/// socket's number, which nanomsg reuses, is never touched again. Nothing here blocks a thread: sends and
/// receives are `NN_DONTWAIT` attempts, and waiting happens on the socket's notification fds (``FDReadiness``).
public final class NanoSocket: Sendable {
    public let kind: SocketKind
    private let socket: Mutex<Int32?>
    private let receiveReadiness: FDReadiness?
    private let sendReadiness: FDReadiness?

    /// Opens a socket of `kind`.
    public init(_ kind: SocketKind) throws(NanomsgError) {
        let s = nn_socket(AF_SP, kind.protocolNumber)
        guard s >= 0 else { throw .last("nn_socket(\(kind))") }
        self.kind = kind
        self.socket = Mutex(s)
        func fd(_ option: Int32) -> Int32? {
            var fd: Int32 = -1
            var size = MemoryLayout<Int32>.size
            return nn_getsockopt(s, NN_SOL_SOCKET, option, &fd, &size) == 0 ? fd : nil
        }
        receiveReadiness = kind.canReceive ? fd(NN_RCVFD).map { FDReadiness(fd: $0, label: "nanomsg.\(kind).rcv") } : nil
        sendReadiness = kind.canSend ? fd(NN_SNDFD).map { FDReadiness(fd: $0, label: "nanomsg.\(kind).snd") } : nil
    }

    deinit {
        close()
    }

    /// Runs `body` with the socket number while holding the lock; fails with ``NanomsgError/closed`` once closed.
    private func withSocket<T: Sendable>(_ body: (Int32) throws(NanomsgError) -> T) throws(NanomsgError) -> T {
        var result: Result<T, NanomsgError> = .failure(.closed)
        socket.withLock { s in
            guard let s else { return }
            do throws(NanomsgError) {
                result = .success(try body(s))
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    public var isClosed: Bool { socket.withLock { $0 == nil } }

    /// Closes the socket. Pending receivers and senders get ``NanomsgError/closed`` and every later call fails with
    /// it. Safe to call more than once and from any task; only the first call closes. The library socket itself is
    /// closed as soon as Dispatch has stopped watching its fds (immediately when nothing waited on them); use
    /// ``closeAndWait()`` when the address must be free again on return (e.g. before re-binding it).
    public func close() {
        closeNow(then: nil)
    }

    /// Closes like ``close()`` and returns once nanomsg has closed the socket.
    public func closeAndWait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            closeNow { continuation.resume() }
        }
    }

    private func closeNow(then completion: (@Sendable () -> Void)?) {
        let fd: Int32? = socket.withLock { s in
            let fd = s
            s = nil
            return fd
        }
        guard let fd else {
            completion?()
            return
        }
        // nn_close must wait until Dispatch no longer watches the socket's eventfds: closing them under a live
        // registration could unregister a reused fd number later.
        let pending = Mutex(2)
        let finish: @Sendable () -> Void = {
            let last = pending.withLock { n in
                n -= 1
                return n == 0
            }
            if last {
                _ = nn_close(fd)
                completion?()
            }
        }
        if let receiveReadiness { receiveReadiness.cancel(then: finish) } else { finish() }
        if let sendReadiness { sendReadiness.cancel(then: finish) } else { finish() }
    }

    // MARK: endpoints

    /// Binds to `address` (`tcp://*:5555`, `tcp://127.0.0.1:5555`, `ipc:///run/hub.ipc`). Synchronous: address
    /// errors and "address in use" are reported here.
    @discardableResult
    public func bind(_ address: String) throws(NanomsgError) -> Endpoint {
        try validateAddress(address)
        return try withSocket { s throws(NanomsgError) in
            let id = nn_bind(s, address)
            guard id >= 0 else { throw .last("bind \(address)") }
            return Endpoint(id: id, address: address)
        }
    }

    /// Connects to `address`. Asynchronous in nanomsg: succeeds even when nobody listens yet, and reconnects
    /// forever; ``statistic(_:)`` with `.currentConnections` tells whether a peer is there.
    @discardableResult
    public func connect(_ address: String) throws(NanomsgError) -> Endpoint {
        try validateAddress(address)
        return try withSocket { s throws(NanomsgError) in
            let id = nn_connect(s, address)
            guard id >= 0 else { throw .last("connect \(address)") }
            return Endpoint(id: id, address: address)
        }
    }

    /// Removes one endpoint; its connections close.
    public func shutdown(_ endpoint: Endpoint) throws(NanomsgError) {
        try withSocket { s throws(NanomsgError) in
            guard nn_shutdown(s, endpoint.id) == 0 else { throw .last("shutdown \(endpoint.address)") }
        }
    }

    // MARK: options

    /// Sets an integer option (`level` is `NN_SOL_SOCKET` or a transport level such as `NN_TCP`).
    public func setOption(level: Int32 = NN_SOL_SOCKET, _ option: Int32, _ value: Int32, name: String) throws(NanomsgError) {
        try withSocket { s throws(NanomsgError) in
            var v = value
            guard nn_setsockopt(s, level, option, &v, MemoryLayout<Int32>.size) == 0 else { throw .last("setsockopt \(name)=\(value)") }
        }
    }

    /// Reads an integer option.
    public func option(level: Int32 = NN_SOL_SOCKET, _ option: Int32, name: String) throws(NanomsgError) -> Int32 {
        try withSocket { s throws(NanomsgError) in
            var v: Int32 = 0
            var size = MemoryLayout<Int32>.size
            guard nn_getsockopt(s, level, option, &v, &size) == 0 else { throw .last("getsockopt \(name)") }
            return v
        }
    }

    /// Largest message accepted; bigger ones are dropped with their connection. Must be finite: nanomsg's
    /// "unlimited" (-1) lets any peer crash the process with one 16-byte packet.
    public func setReceiveMaxSize(_ bytes: Int) throws(NanomsgError) {
        guard bytes > 0, bytes <= Int(Int32.max) else {
            throw .invalidOption("receive max size must be between 1 and \(Int32.max) bytes, got \(bytes)")
        }
        try setOption(NN_RCVMAXSIZE, Int32(bytes), name: "NN_RCVMAXSIZE")
    }

    /// Kernel send buffer per connection, applied to connections made after the call.
    public func setSendBuffer(_ bytes: Int) throws(NanomsgError) {
        try setOption(NN_SNDBUF, Int32(clamping: max(bytes, 1)), name: "NN_SNDBUF")
    }

    /// Kernel receive buffer per connection, applied to connections made after the call.
    public func setReceiveBuffer(_ bytes: Int) throws(NanomsgError) {
        try setOption(NN_RCVBUF, Int32(clamping: max(bytes, 1)), name: "NN_RCVBUF")
    }

    /// Timeout of blocking sends in milliseconds (-1: none). This binding never blocks in nanomsg, but the value
    /// is honoured by peers such as nanocat and kept for completeness.
    public func setSendTimeout(milliseconds: Int) throws(NanomsgError) {
        try setOption(NN_SNDTIMEO, Int32(clamping: milliseconds), name: "NN_SNDTIMEO")
    }

    public func setReceiveTimeout(milliseconds: Int) throws(NanomsgError) {
        try setOption(NN_RCVTIMEO, Int32(clamping: milliseconds), name: "NN_RCVTIMEO")
    }

    /// Reconnect interval and its cap (nanomsg doubles up to the cap; 0 cap = no backoff).
    public func setReconnectInterval(milliseconds: Int, max: Int) throws(NanomsgError) {
        try setOption(NN_RECONNECT_IVL, Int32(clamping: milliseconds), name: "NN_RECONNECT_IVL")
        try setOption(NN_RECONNECT_IVL_MAX, Int32(clamping: max), name: "NN_RECONNECT_IVL_MAX")
    }

    public func setTCPNoDelay(_ on: Bool) throws(NanomsgError) {
        try setOption(level: NN_TCP, NN_TCP_NODELAY, on ? 1 : 0, name: "NN_TCP_NODELAY")
    }

    /// IPv4 only (nanomsg's default) or IPv4 and IPv6.
    public func setIPv4Only(_ on: Bool) throws(NanomsgError) {
        try setOption(NN_IPV4ONLY, on ? 1 : 0, name: "NN_IPV4ONLY")
    }

    /// SUB only: receive messages starting with `prefix` (empty: everything).
    public func subscribe(_ prefix: [UInt8]) throws(NanomsgError) {
        guard kind == .sub else { throw .invalidOption("subscribe needs a SUB socket, this is \(kind)") }
        try withSocket { s throws(NanomsgError) in
            let rc = prefix.withUnsafeBytes { nn_setsockopt(s, CNN_SUB, CNN_SUB_SUBSCRIBE, $0.baseAddress, $0.count) }
            guard rc == 0 else { throw .last("subscribe") }
        }
    }

    /// REQ only: how long an unanswered request waits before nanomsg sends it again (`NN_REQ_RESEND_IVL`, default
    /// 60 s). A new request cancels an unanswered one in any case.
    public func setRequestResendInterval(milliseconds: Int) throws(NanomsgError) {
        guard kind == .req else { throw .invalidOption("NN_REQ_RESEND_IVL is a REQ option, not \(kind)") }
        try setOption(level: CNN_REQ, CNN_REQ_RESEND_IVL, Int32(clamping: milliseconds), name: "NN_REQ_RESEND_IVL")
    }

    /// A counter of the socket (connections, messages, bytes); 0 once closed.
    public func statistic(_ statistic: SocketStatistic) -> UInt64 {
        (try? withSocket { s in nn_get_statistic(s, statistic.rawValue) }) ?? 0
    }

    // MARK: send

    /// Tries to hand `message` to a peer without blocking. Returns false when no peer can take it now (no
    /// connection, or its buffers are full). Success means only that: nanomsg PUSH/PULL is at-most-once.
    public func trySend(_ message: [UInt8]) throws(NanomsgError) -> Bool {
        try withSocket { s throws(NanomsgError) in
            let rc = message.withUnsafeBytes { nn_send(s, $0.baseAddress, $0.count, NN_DONTWAIT) }
            if rc >= 0 { return true }
            if nn_errno() == EAGAIN { return false }
            throw .last("send")
        }
    }

    /// Sends `message`, waiting up to `timeout` for a peer to take it; throws ``NanomsgError/timedOut(operation:)``
    /// after that. Waiting suspends the task; no thread is blocked.
    public func send(_ message: [UInt8], timeout: Duration) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            if try trySend(message) { return }
            guard let readiness = sendReadiness else { throw NanomsgError.invalidOption("\(kind) sockets cannot send") }
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else { throw NanomsgError.timedOut(operation: "send") }
            try await withDeadline(remaining, operation: "send") { try await readiness.wait() }
        }
    }

    /// Waits until a send would not block (a peer is connected and has room), at most `timeout`. Returns whether it
    /// became ready.
    public func waitUntilSendable(timeout: Duration) async throws -> Bool {
        guard let readiness = sendReadiness else { throw NanomsgError.invalidOption("\(kind) sockets cannot send") }
        do {
            try await withDeadline(timeout, operation: "wait for send") { try await readiness.wait() }
            return true
        } catch NanomsgError.timedOut {
            return false
        }
    }

    // MARK: receive

    /// Receives one message if one is queued, without blocking.
    public func tryReceive() throws(NanomsgError) -> [UInt8]? {
        try withSocket { s throws(NanomsgError) -> [UInt8]? in
            var buffer: UnsafeMutableRawPointer?
            let n = cnn_recv_msg_dontwait(s, &buffer)
            if n < 0 {
                // EFSM: a REQ socket with no request in flight has nothing to receive yet (a reply comes only after a
                // request), which is the same as nothing queued.
                let e = nn_errno()
                if e == EAGAIN || e == EFSM { return nil }
                throw .last("receive")
            }
            defer { _ = nn_freemsg(buffer) }
            guard let buffer, n > 0 else { return [] }
            return [UInt8](UnsafeRawBufferPointer(start: buffer, count: Int(n)))
        }
    }

    /// Receives one message, suspending until one arrives. Throws ``NanomsgError/closed`` when the socket closes and
    /// `CancellationError` when the task is cancelled.
    public func receive() async throws -> [UInt8] {
        guard let readiness = receiveReadiness else { throw NanomsgError.invalidOption("\(kind) sockets cannot receive") }
        while true {
            if let message = try tryReceive() { return message }
            try await readiness.wait()
        }
    }

    /// Messages as they arrive, until the socket closes (the sequence then ends) or the task is cancelled.
    public var messages: Messages { Messages(socket: self) }

    /// An async sequence of received messages (see ``messages``).
    public struct Messages: AsyncSequence, Sendable {
        public typealias Element = [UInt8]
        let socket: NanoSocket

        public struct AsyncIterator: AsyncIteratorProtocol {
            let socket: NanoSocket

            public mutating func next() async throws -> [UInt8]? {
                do {
                    return try await socket.receive()
                } catch NanomsgError.closed {
                    return nil
                }
            }
        }

        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(socket: socket) }
    }
}

/// Runs `body`, throwing ``NanomsgError/timedOut(operation:)`` if it takes longer than `timeout`.
func withDeadline(_ timeout: Duration, operation: String, _ body: @escaping @Sendable () async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Bool.self) { group in
        group.addTask {
            try await body()
            return true
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return false
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), first else { throw NanomsgError.timedOut(operation: operation) }
    }
}
