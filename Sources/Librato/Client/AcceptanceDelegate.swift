import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization

/// Collects a response — status, headers, body up to `maxBody` bytes — and calls `onAccepted` on the event loop the
/// moment a 2xx head arrives. The hub journals what a request delivered in that call: between Librato accepting a
/// request and the hub recording it lies only the response's way to the event loop, not its further way through the
/// client's tasks and the hub's actor, and a crash inside that gap posts the request again (no idempotency key).
/// AsyncHTTPClient's async `execute` resumes a task only once the head is in, and its `ResponseAccumulator` is final:
/// hence this delegate.
final class AcceptanceDelegate: HTTPClientResponseDelegate {
    struct Received: Sendable {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8] = []
    }

    private let onAccepted: @Sendable () -> Void
    private let maxBody: Int
    private let received = Mutex<Received?>(nil)

    init(maxBody: Int, onAccepted: @escaping @Sendable () -> Void) {
        self.maxBody = maxBody
        self.onAccepted = onAccepted
    }

    /// What arrived so far: the head (and the body read before a failure), nil before the head.
    var response: Received? { received.withLock { $0 } }

    func didReceiveHead(task: HTTPClient.Task<Received>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        let status = Int(head.status.code)
        received.withLock { $0 = Received(status: status, headers: head.headers.map { ($0.name, $0.value) }) }
        if (200..<300).contains(status) { onAccepted() }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Received>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        received.withLock { r in
            guard var got = r, got.body.count + buffer.readableBytes <= maxBody else { return }
            r = nil
            got.body += buffer.readableBytesView
            r = got
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didFinishRequest(task: HTTPClient.Task<Received>) throws -> Received {
        guard let r = response else { throw HTTPClientError.remoteConnectionClosed }
        return r
    }
}
