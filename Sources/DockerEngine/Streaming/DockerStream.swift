import AsyncHTTPClient
public import NIOCore

/// Turns a byte stream cut at arbitrary points into elements: a pure state machine, fed by ``DockerStream``
/// and, in tests, by hand.
public protocol StreamDecoder: Sendable {
    associatedtype Element: Sendable
    /// Appends the next chunk of the stream.
    mutating func feed(_ bytes: ByteBuffer)
    /// The next complete element, or nil when more bytes are needed (or, after ``finish()``, when none is left).
    mutating func next() throws(DockerError) -> Element?
    /// Marks the end of the stream: buffered bytes that make an element on their own are then returned by
    /// ``next()``; an incomplete frame is an error.
    mutating func finish()
}

/// A long-lived Engine API response (`/events`, `/containers/{id}/logs`) decoded as it arrives.
///
/// Single pass: iterate it once. Leaving the loop (or cancelling the task) closes the connection; the stream
/// ends when the daemon closes it (e.g. on restart) — reconnect with `since`. Transport failures surface as
/// ``DockerError/daemonUnreachable(endpoint:reason:)``, cancellation as `CancellationError`.
public struct DockerStream<Decoder: StreamDecoder>: AsyncSequence, Sendable {
    public typealias Element = Decoder.Element
    let body: HTTPClientResponse.Body
    let decoder: Decoder
    let endpoint: String

    init(body: HTTPClientResponse.Body, decoder: Decoder, endpoint: String) {
        self.body = body
        self.decoder = decoder
        self.endpoint = endpoint
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(source: body.makeAsyncIterator(), decoder: decoder, endpoint: endpoint)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var source: HTTPClientResponse.Body.AsyncIterator
        var decoder: Decoder
        let endpoint: String
        var ended = false

        public mutating func next() async throws -> Decoder.Element? {
            while true {
                if let element = try decoder.next() { return element }
                if ended { return nil }
                let chunk: ByteBuffer?
                do {
                    chunk = try await source.next()
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    if Task.isCancelled { throw CancellationError() }
                    throw DockerError.daemonUnreachable(endpoint: endpoint, reason: "stream interrupted: \(error)")
                }
                if let chunk {
                    decoder.feed(chunk)
                } else {
                    ended = true
                    decoder.finish()
                }
            }
        }
    }
}

/// `/events` of containers, decoded (``DockerClient/events(since:)``).
public typealias ContainerEventStream = DockerStream<JSONLinesDecoder<ContainerEvent>>
/// A container's log entries, decoded (``DockerClient/logs(id:since:follow:timestamps:tty:)``).
public typealias LogEntryStream = DockerStream<LogStreamDecoder>
