import Logging
import Timekeeping

extension LibratoClient {
    /// Creates an annotation (`POST /v1/annotations/:stream`, 201 expected). 5xx, timeouts, connection errors and
    /// rate limits are retried with backoff; 401/403 are logged loudly and retried slowly; all until
    /// ``LibratoConfiguration/annotationDeadline``. A 400 is final (``AnnotationResult/invalid(messages:)``).
    public func annotate(_ annotation: Annotation) async -> AnnotationResult {
        let a = AnnotationPreparer.prepare(annotation)
        let url = configuration.baseURL + "/v1/annotations/" + a.stream
        let body = PayloadEncoder.annotationBody(a)
        let policy = configuration.retry
        let deadline = clockNow() + configuration.annotationDeadline.seconds
        var rng = SplitMix64(seed: policy.jitterSeed ?? UInt64.random(in: .min ... .max))
        var failures = 0
        var meta: Logger.Metadata = ["librato.url": "\(url)", "librato.annotation": "\(a.title)"]
        while true {
            guard let outcome = await perform(body, url: url) else { return .notDelivered(reason: "cancelled") }
            let now = clockNow()
            var delay: Double
            var reason: String
            switch outcome {
            case .transportFailure(let failure):
                failures += 1
                delay = policy.backoff(failures: failures)
                reason = failure == .timeout ? "timeout" : "\(failure)"
            case .response(let status, let headers, let responseBody):
                meta["librato.status"] = "\(status)"
                let kind = ResponseClass(status: status, headers: headers, body: responseBody, now: now)
                switch kind {
                case .accepted:
                    let location = headers.first { $0.0.lowercased() == "location" }?.1
                    logger.debug("Librato created the annotation", metadata: meta)
                    return .created(location: location)
                case .invalid(let messages):
                    meta["librato.error"] = "\(messages.joined(separator: "; "))"
                    logger.error("Librato rejected the annotation as invalid; dropping it", metadata: meta)
                    return .invalid(messages: messages)
                case .rateLimited(let resumeAt, let messages):
                    failures += 1
                    delay = max(0, (resumeAt ?? now + policy.backoff(failures: failures)) - now)
                    delay = min(delay, policy.maxRateLimitWait.seconds)
                    reason = messages.joined(separator: "; ")
                case .transient(let retryAt, let messages):
                    failures += 1
                    delay = policy.backoff(failures: failures)
                    if let retryAt { delay = max(delay, min(retryAt - now, policy.maxRateLimitWait.seconds)) }
                    reason = messages.joined(separator: "; ")
                case .unauthorized(let messages), .tagsNotEnabled(let messages), .forbidden(let messages),
                    .misconfigured(let messages):
                    delay = policy.slowRetryInterval.seconds
                    reason = messages.joined(separator: "; ")
                    meta["librato.error"] = "\(reason)"
                    logger.error(
                        "Librato refused the annotation: check LIBRATO_EMAIL, the token's role (Record Only or Full Access) and LIBRATO_API_URL",
                        metadata: meta
                    )
                }
            }
            delay = delay / 2 + Double.random(in: 0...1, using: &rng) * delay / 2
            guard now + delay <= deadline else {
                meta["librato.error"] = "\(reason)"
                logger.error("Giving up on an annotation after its delivery deadline", metadata: meta)
                return .notDelivered(reason: reason)
            }
            meta["librato.error"] = "\(reason)"
            meta["librato.retry_in_s"] = "\(delay)"
            logger.warning("Librato annotation request failed; retrying", metadata: meta)
            do {
                try await sleep(until: now + delay)
            } catch {
                return .notDelivered(reason: "cancelled")
            }
        }
    }
}
