import NIOCore
import NIOHTTP1

/// The per-connection HTTP/1 handler: collects one request, asks ``FakeLibratoCore`` what to do, and does it —
/// answer, close the connection at once, or hold the request unanswered and close later.
final class FakeLibratoHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let core: FakeLibratoCore
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var bodySize = 0

    init(core: FakeLibratoCore) {
        self.core = core
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = []
            bodySize = 0
        case .body(var buffer):
            bodySize += buffer.readableBytes
            // Keep at most limit + 1 bytes: enough to tell "too large" without holding a huge body.
            let room = core.configuration.maxBodyBytes + 1 - body.count
            if room > 0, let bytes = buffer.readBytes(length: min(room, buffer.readableBytes)) { body += bytes }
        case .end:
            guard let head else { return }
            self.head = nil
            let request = FakeRequest(
                method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) },
                body: body, bodySize: bodySize)
            body = []
            perform(core.handle(request), keepAlive: head.isKeepAlive, version: head.version, context: context)
        }
    }

    private func perform(_ decision: FakeDecision, keepAlive: Bool, version: HTTPVersion, context: ChannelHandlerContext) {
        switch decision {
        case .drop:
            context.close(promise: nil)
        case .stall(let seconds):
            let channel = context.channel
            context.eventLoop.scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) { channel.close(promise: nil) }
        case .respond(let status, let extra, let text):
            var headers = HTTPHeaders(extra)
            headers.replaceOrAdd(name: "Content-Length", value: String(text.utf8.count))
            if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
            let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: status), headers: headers)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            if !text.isEmpty {
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
            }
            let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if !keepAlive {
                let channel = context.channel
                done.whenComplete { _ in channel.close(promise: nil) }
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
