public import Logging
public import NIOHTTP1
import NIOCore
import NIOPosix

/// A tiny HTTP/1.1 server for GET endpoints (`/healthz`, `/metrics`, the status page), on SwiftNIO.
///
/// Hand-written rather than Hummingbird: Hummingbird's URL-encoded form coders import full Foundation, which links
/// ICU's data into the static binary (+34 MB of 85 MB); these few read-only endpoints need none of a framework.
public struct StatusHTTPServer: Sendable {
    /// A route's answer: status, content type, body.
    public struct Reply: Sendable {
        public var status: HTTPResponseStatus
        public var contentType: String
        public var body: String

        public init(status: HTTPResponseStatus = .ok, contentType: String, body: String) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }
    }

    public typealias Route = @Sendable () async -> Reply

    let host: String
    let port: Int
    let routes: [String: Route]
    let logger: Logger

    /// `listen` is `HOST:PORT` (or `:PORT`, meaning all interfaces).
    public init(listen: String, routes: [String: Route], logger: Logger) throws {
        let parts = listen.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 2, let port = Int(parts.last!), (1...65535).contains(port) else {
            throw StatusServerError(listen: listen)
        }
        let host = parts.dropLast().joined(separator: ":")
        self.host = host.isEmpty ? "0.0.0.0" : host
        self.port = port
        self.routes = routes
        self.logger = logger
    }

    /// Serves until the task is cancelled.
    public func run() async throws {
        let routes = self.routes
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(Handler(routes: routes))
                }
            }
            .bind(host: host, port: port)
            .get()
        logger.debug("status server listening", metadata: ["address": "\(host):\(port)"])
        do {
            try await withTaskCancellationHandler {
                try await channel.closeFuture.get()
            } onCancel: {
                channel.close(promise: nil)
            }
        } catch {
            if !Task.isCancelled { throw error }
        }
    }

    final class Handler: ChannelInboundHandler, Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let routes: [String: Route]

        init(routes: [String: Route]) { self.routes = routes }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .head(let head) = unwrapInboundIn(data) else { return }
            let path = String(head.uri.prefix { $0 != "?" })
            let route = head.method == .GET || head.method == .HEAD ? routes[path] : nil
            let keepAlive = head.isKeepAlive
            let version = head.version
            let loop = context.eventLoop
            let bound = NIOLoopBound(context, eventLoop: loop)
            Task {
                let reply =
                    await route?()
                    ?? Reply(status: route == nil && routes[path] != nil ? .methodNotAllowed : .notFound, contentType: "text/plain", body: "not found\n")
                loop.execute {
                    let context = bound.value
                    var headers = HTTPHeaders([("Content-Type", reply.contentType), ("Content-Length", "\(reply.body.utf8.count)")])
                    if !keepAlive { headers.add(name: "Connection", value: "close") }
                    context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: version, status: reply.status, headers: headers))), promise: nil)
                    context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: reply.body)))), promise: nil)
                    context.writeAndFlush(self.wrapOutboundOut(.end(nil))).whenComplete { _ in
                        if !keepAlive { context.close(promise: nil) }
                    }
                }
            }
        }
    }
}

/// `listen` is not `HOST:PORT`.
public struct StatusServerError: Error, CustomStringConvertible {
    /// The value given.
    public let listen: String
    public var description: String { "HTTP_LISTEN must be HOST:PORT (e.g. 0.0.0.0:8080), got \"\(listen)\"" }
}
