public import AsyncHTTPClient
public import Logging
import NIOCore
import NIOHTTP1
import Synchronization
public import Timekeeping

/// Posts measurements and annotations to Librato over HTTPS with AsyncHTTPClient.
///
/// Delivery follows ``DeliveryStateMachine`` (retry, backoff, rate limits, split on 400, max age); this class only
/// performs the requests it asks for. Several submits may run at once: they share the concurrency limit and the
/// pauses caused by rate limits and outages, because both are account-wide.
public final class LibratoClient: MetricsSink {
    /// This library's version, used in the default `User-Agent`.
    public static let version = "0.2.0"

    /// The settings in use.
    public let configuration: LibratoConfiguration
    private let credentials: LibratoCredentials
    private let http: HTTPClient
    private let ownsHTTPClient: Bool
    let logger: Logger
    private let clocks: Clocks
    private let permits: AsyncSemaphore
    private let sharedGate = Mutex(-Double.infinity)
    private let meter = Mutex(RateMeter())

    /// The measurement budget the latest response's `X-Librato-RateLimit-Agg` described (nil before the first),
    /// with what one measurement costs in its unit as learned from successive responses.
    public var rateBudget: RateBudget? { meter.withLock { $0.budget } }

    public var api: LibratoAPI { configuration.api }

    public var measurementsPerRequest: Int { configuration.batcher.maxCount }

    public var concurrentRequests: Int { configuration.maxConcurrentRequests }

    /// The URL measurements are posted to.
    public var measurementsURL: String { configuration.baseURL + configuration.api.path }

    /// Creates a client. Without `httpClient` it creates (and on ``shutdown()`` shuts down) its own, with redirects
    /// disabled so that the credential is never sent to another host.
    public init(
        configuration: LibratoConfiguration,
        credentials: LibratoCredentials,
        httpClient: HTTPClient? = nil,
        logger: Logger,
        clocks: Clocks = .system
    ) {
        self.configuration = configuration
        self.credentials = credentials
        self.logger = logger
        self.clocks = clocks
        self.permits = AsyncSemaphore(permits: configuration.maxConcurrentRequests)
        if let httpClient {
            self.http = httpClient
            self.ownsHTTPClient = false
        } else {
            let config = HTTPClient.Configuration(
                redirectConfiguration: .disallow,
                timeout: .init(connect: .nanoseconds(Int64(configuration.connectTimeout.seconds * 1e9))),
                decompression: .disabled
            )
            self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
            self.ownsHTTPClient = true
        }
        if configuration.baseURL.lowercased().hasPrefix("http://") {
            logger.warning(
                "LIBRATO_API_URL uses plain http: the credential travels unencrypted and Librato itself refuses non-https requests",
                metadata: ["librato.url": "\(configuration.baseURL)"]
            )
        }
    }

    public func shutdown() async throws {
        if ownsHTTPClient { try await http.shutdown() }
    }

    private enum DriverEvent: Sendable {
        case response(Int, DeliveryStateMachine.Outcome?)
        case timer(Double)
    }

    public func submit(_ measurements: [Measurement]) async -> SubmitReport {
        await submit(measurements, whenAccepted: nil)
    }

    public func submit(_ measurements: [Measurement], whenAccepted: @escaping @Sendable () -> Void) async -> SubmitReport {
        await submit(measurements, whenAccepted: .some(whenAccepted))
    }

    private func submit(_ measurements: [Measurement], whenAccepted: (@Sendable () -> Void)?) async -> SubmitReport {
        var machine = DeliveryStateMachine(
            measurements: measurements, api: configuration.api, batcher: configuration.batcher,
            policy: configuration.retry, maxConcurrent: configuration.maxConcurrentRequests, now: clocks.wall.now().seconds
        )
        let url = measurementsURL
        let slow = configuration.retry.slowRetryInterval.seconds
        let clocks = self.clocks
        await withTaskGroup(of: DriverEvent.self) { group in
            var timer: Double?
            // A timer that fired means its deadline has passed, whatever the clock reads: WallTime rounds to
            // nanoseconds, so a clock advanced exactly to the deadline (a manual clock) can read a hair before it —
            // and the loop would wait for it again, at once, forever.
            var passed = -Double.infinity
            var sizes: [Int: Int] = [:]
            while true {
                if Task.isCancelled { machine.cancel() }
                let action = machine.nextAction(now: max(clocks.wall.now().seconds, passed), externalGate: sharedGate.withLock { $0 })
                for e in machine.takeEvents() { logger.log(e, api: configuration.api, url: url, slowRetry: slow) }
                switch action {
                case .finished:
                    group.cancelAll()
                    return
                case .send(let request):
                    sizes[request.id] = request.indices.count
                    // Only a request that carries the whole list tells the caller it was accepted.
                    let hook = request.indices.count == measurements.count ? whenAccepted : nil
                    group.addTask { .response(request.id, await self.perform(request.body, url: url, whenAccepted: hook)) }
                    continue
                case .wait(let until):
                    if timer == nil || until < timer! {
                        timer = until
                        group.addTask {
                            try? await clocks.sleep(untilWall: WallTime(seconds: until))
                            return .timer(until)
                        }
                    }
                case .awaitResponses:
                    break
                }
                switch await group.next() {
                case .timer(let at):
                    if at == timer { timer = nil }
                    passed = max(passed, at)
                case .response(let id, let outcome?):
                    let now = clocks.wall.now().seconds
                    if case .response(_, let headers, _) = outcome {
                        meter.withLock { $0.observe(RateLimitState(headers: headers, now: now), measurements: sizes[id] ?? 0, now: now) }
                    }
                    machine.handle(id, outcome, now: now)
                    let gate = machine.gate
                    sharedGate.withLock { $0 = max($0, gate) }
                case .response(_, nil), nil:
                    continue  // cancelled; the loop's head notices
                }
            }
        }
        for e in machine.takeEvents() { logger.log(e, api: configuration.api, url: url, slowRetry: slow) }
        let report = machine.report
        logger.debug(
            "Librato submit finished",
            metadata: [
                "librato.submitted": "\(report.submitted)", "librato.accepted": "\(report.accepted)",
                "librato.invalid": "\(report.invalid.count)", "librato.too_old": "\(report.tooOld)",
                "librato.requests": "\(report.requests)", "librato.retries": "\(report.retries)",
            ])
        if !report.isComplete {
            logger.warning(
                "Librato submit cancelled before every measurement was delivered",
                metadata: ["librato.undelivered": "\(report.undelivered.count)"]
            )
        }
        return report
    }

    /// Performs one POST; nil when the task was cancelled. With `whenAccepted`, the request goes through an
    /// ``AcceptanceDelegate`` that calls it on the event loop when a 2xx head arrives; a request whose 2xx head came
    /// is accepted even if its body or the task is lost after it (sending it again would post it twice).
    func perform(_ body: [UInt8], url: String, whenAccepted: (@Sendable () -> Void)? = nil) async -> DeliveryStateMachine.Outcome? {
        guard let whenAccepted else { return await perform(method: .POST, body: body, url: url) }
        do {
            try await permits.acquire()
        } catch {
            return nil
        }
        defer { permits.release() }
        let delegate = AcceptanceDelegate(maxBody: 1 << 20, onAccepted: whenAccepted)
        do {
            let request = try HTTPClient.Request(url: url, method: .POST, headers: headers(contentLength: body.count), body: .bytes(body))
            let task = http.execute(request: request, delegate: delegate, deadline: .now() + .nanoseconds(Int64(configuration.requestTimeout.seconds * 1e9)))
            let r = try await withTaskCancellationHandler {
                try await task.futureResult.get()
            } onCancel: {
                task.cancel()
            }
            return .response(status: r.status, headers: r.headers, body: r.body)
        } catch {
            if let r = delegate.response, (200..<300).contains(r.status) { return .response(status: r.status, headers: r.headers, body: r.body) }
            if Task.isCancelled { return nil }
            return .transportFailure(Self.classify(error))
        }
    }

    /// The headers of every request: the credential, and the configuration's common ones.
    private func headers(contentLength: Int?) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: credentials.authorizationHeader)
        for (name, value) in configuration.commonHeaders(contentLength: contentLength) where name != "Content-Length" {
            headers.add(name: name, value: value)
        }
        return headers
    }

    /// Performs one request (a JSON body, or none for reads); nil when the task was cancelled.
    func perform(method: HTTPMethod, body: [UInt8]?, url: String) async -> DeliveryStateMachine.Outcome? {
        do {
            try await permits.acquire()
        } catch {
            return nil
        }
        defer { permits.release() }
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers = headers(contentLength: body?.count)
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let timeout = TimeAmount.nanoseconds(Int64(configuration.requestTimeout.seconds * 1e9))
        do {
            let response = try await http.execute(request, timeout: timeout)
            let buffer = try await response.body.collect(upTo: 1 << 20)
            let headers = response.headers.map { ($0.name, $0.value) }
            return .response(status: Int(response.status.code), headers: headers, body: Array(buffer.readableBytesView))
        } catch {
            if Task.isCancelled { return nil }
            return .transportFailure(Self.classify(error))
        }
    }

    func clockNow() -> Double { clocks.wall.now().seconds }

    func sleep(until deadline: Double) async throws { try await clocks.sleep(untilWall: WallTime(seconds: deadline)) }

    static func classify(_ error: any Error) -> DeliveryStateMachine.TransportFailure {
        if let e = error as? HTTPClientError,
            e == .deadlineExceeded || e == .readTimeout || e == .connectTimeout || e == .writeTimeout
        {
            return .timeout
        }
        return .connection(String(describing: error))
    }
}
