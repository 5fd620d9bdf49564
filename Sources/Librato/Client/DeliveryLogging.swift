import Logging

extension Logger {
    /// Logs one delivery event with structured metadata. Nothing here can contain the token: events carry only
    /// measurements, statuses and Librato's messages.
    func log(_ event: DeliveryStateMachine.Event, api: LibratoAPI, url: String, slowRetry: Double) {
        var meta: Logger.Metadata = ["librato.api": "\(api.rawValue)", "librato.url": "\(url)"]
        switch event {
        case .accepted(let count, let status):
            meta["librato.status"] = "\(status)"
            meta["librato.measurements"] = "\(count)"
            debug("Librato accepted measurements", metadata: meta)
        case .retrying(let reason, let status, let delay, let count):
            meta["librato.status"] = status.map { "\($0)" } ?? "none"
            meta["librato.error"] = "\(reason)"
            meta["librato.retry_in_s"] = "\(rounded(delay))"
            meta["librato.measurements"] = "\(count)"
            warning("Librato request failed; keeping the data and retrying with backoff", metadata: meta)
        case .rateLimited(let status, let resumeAt, let messages):
            meta["librato.status"] = "\(status)"
            meta["librato.resume_at"] = "\(Int(resumeAt))"
            meta["librato.error"] = "\(messages.joined(separator: "; "))"
            warning("Librato rate limit reached; pausing submissions until the limit resets", metadata: meta)
        case .unauthorized(let messages):
            meta["librato.error"] = "\(messages.joined(separator: "; "))"
            error(
                "Librato rejected the credential (401). Check LIBRATO_EMAIL and LIBRATO_TOKEN / LIBRATO_TOKEN_FILE (a Record Only or Full Access token). Keeping the data and retrying every \(seconds(slowRetry))",
                metadata: meta
            )
        case .tagsNotEnabled(let messages):
            meta["librato.error"] = "\(messages.joined(separator: "; "))"
            error(
                "This Librato account does not accept tagged measurements (403). Set LIBRATO_API=legacy to post to /v1/metrics instead. Keeping the data and retrying every \(seconds(slowRetry))",
                metadata: meta
            )
        case .forbidden(let messages):
            meta["librato.error"] = "\(messages.joined(separator: "; "))"
            error(
                "Librato refused the request (403). Check that the token may write measurements (Record Only or Full Access) and that LIBRATO_API_URL uses https. Keeping the data and retrying every \(seconds(slowRetry))",
                metadata: meta
            )
        case .misconfigured(let status, let messages):
            meta["librato.status"] = "\(status)"
            meta["librato.error"] = "\(messages.joined(separator: "; "))"
            error(
                "Librato answered with an unexpected status. Check LIBRATO_API_URL (it should be the API root, e.g. https://metrics-api.librato.com). Keeping the data and retrying every \(seconds(slowRetry))",
                metadata: meta
            )
        case .split(let count, let status, let messages):
            meta["librato.status"] = "\(status)"
            meta["librato.measurements"] = "\(count)"
            meta["librato.error"] = "\(messages.joined(separator: "; "))"
            info("Librato rejected a batch; splitting it to isolate the invalid measurements", metadata: meta)
        case .invalid(let invalid):
            let m = invalid.measurement
            meta["librato.status"] = invalid.status.map { "\($0)" } ?? "not sent"
            meta["librato.metric"] = "\(m.name)"
            if let source = m.source { meta["librato.source"] = "\(source)" }
            if !m.tags.isEmpty {
                meta["librato.tags"] = "\(m.tags.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))"
            }
            meta["librato.time"] = "\(m.time)"
            meta["librato.error"] = "\(invalid.message)"
            error("Dropping a measurement Librato cannot accept", metadata: meta)
        case .tooOld(let count, let oldest):
            meta["librato.measurements"] = "\(count)"
            meta["librato.oldest_time"] = "\(oldest)"
            warning("Dropping measurements too old for Librato (it rejects times older than about 120 minutes)", metadata: meta)
        }
    }

    private func rounded(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }

    /// `60 s`, or `0.03 s` for sub-second test settings.
    private func seconds(_ x: Double) -> String { x >= 1 ? "\(Int(x)) s" : "\(rounded(x)) s" }
}
