public import Logging
import Synchronization
public import Timekeeping

/// A sink that sends nothing: it prints every request exactly as ``LibratoClient`` would send it — method, URL,
/// headers (with `Authorization: Basic <redacted>`) and JSON body — then a blank line. Used when no credential is
/// configured, so that operators can try the product and see the payloads.
///
/// It runs the same delivery state machine as the client (sanitising, max-age, batching), answering each request
/// with a synthetic 200, so the printed batches are the ones the client would post.
public final class DryRunSink: MetricsSink {
    /// Where the requests go.
    public enum Output: Sendable {
        /// The process's standard output.
        case standardOutput
        /// Appended to the file at this path (created if missing).
        case file(path: String)
        /// Handed to a closure, one request per call (for tests and embedding).
        case custom(@Sendable (String) -> Void)

        /// Where it goes, in words (for the log).
        public var description: String {
            switch self {
            case .standardOutput: "standard output"
            case .file(let path): path
            case .custom: "a custom output"
            }
        }
    }

    /// How bodies are printed: `compact` (one line, exactly the bytes that would be sent) or `pretty` (indented, for
    /// people; the default on a terminal).
    public enum Format: String, Sendable, CaseIterable {
        case compact, pretty
    }

    /// The settings whose URL, API, batching and `User-Agent` are printed.
    public let configuration: LibratoConfiguration
    /// Where requests are printed.
    public let output: Output
    /// How bodies are printed.
    public let format: Format
    private let logger: Logger
    private let clocks: Clocks
    private let writeLock = Mutex(())

    public var api: LibratoAPI { configuration.api }

    public var measurementsPerRequest: Int { configuration.batcher.maxCount }

    /// Creates a dry-run sink.
    public init(
        configuration: LibratoConfiguration,
        output: Output = .standardOutput,
        format: Format = .compact,
        logger: Logger,
        clocks: Clocks = .system
    ) {
        self.configuration = configuration
        self.output = output
        self.format = format
        self.logger = logger
        self.clocks = clocks
    }

    public func submit(_ measurements: [Measurement]) async -> SubmitReport {
        var machine = DeliveryStateMachine(
            measurements: measurements, api: configuration.api, batcher: configuration.batcher,
            policy: configuration.retry, maxConcurrent: 1, now: clocks.wall.now().seconds
        )
        let url = configuration.baseURL + configuration.api.path
        while case .send(let request) = machine.nextAction(now: clocks.wall.now().seconds) {
            emit(method: "POST", url: url, body: request.body)
            machine.handle(request.id, .response(status: 200, headers: [], body: []), now: clocks.wall.now().seconds)
        }
        for e in machine.takeEvents() {
            logger.log(e, api: configuration.api, url: url, slowRetry: configuration.retry.slowRetryInterval.seconds)
        }
        return machine.report
    }

    public func annotate(_ annotation: Annotation) async -> AnnotationResult {
        let a = AnnotationPreparer.prepare(annotation)
        emit(method: "POST", url: configuration.baseURL + "/v1/annotations/" + a.stream, body: PayloadEncoder.annotationBody(a))
        return .dryRun
    }

    public func shutdown() async throws {}

    public var isDryRun: Bool { true }

    /// The text printed for one request (`body` nil: a read, printed without one).
    public func render(method: String, url: String, body: [UInt8]?) -> String {
        var lines = ["\(method) \(url)", "Authorization: Basic <redacted>"]
        for (name, value) in configuration.commonHeaders(contentLength: body?.count) { lines.append("\(name): \(value)") }
        if let body {
            lines.append("")
            if format == .pretty, let json = try? JSONValue.parse(body) {
                lines.append(json.prettyText())
            } else {
                lines.append(String(decoding: body, as: UTF8.self))
            }
        }
        return lines.joined(separator: "\n") + "\n\n"
    }

    /// Prints one request (see ``render(method:url:body:)``) to the output.
    public func emit(method: String, url: String, body: [UInt8]?) {
        let text = render(method: method, url: url, body: body)
        writeLock.withLock { _ in
            do {
                switch output {
                case .standardOutput: try SystemIO.writeAll(1, Array(text.utf8))
                case .file(let path): try SystemIO.append(Array(text.utf8), toFile: path)
                case .custom(let sink): sink(text)
                }
            } catch {
                logger.error("Dry-run sink cannot write its output", metadata: ["error": "\(error)"])
            }
        }
    }
}
