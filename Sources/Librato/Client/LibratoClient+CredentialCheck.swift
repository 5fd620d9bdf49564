import NIOHTTP1

/// What Librato says to the configured credential when asked without posting anything (`docker-librato validate`).
public enum CredentialCheck: Sendable, Equatable {
    /// 2xx: Librato knows the e-mail and token.
    case accepted
    /// 401: Librato does not know the e-mail and token pair. Its messages.
    case refused([String])
    /// A 403 that is not a rate limit: the credential authenticated, but this token may not read spaces (a Record
    /// Only token can still post measurements), or the request was not sent over https.
    case forbidden([String])
    /// Any other answer: 404 (a wrong `LIBRATO_API_URL`), 429, 5xx. The status and Librato's messages.
    case unexpected(status: Int, [String])
    /// No answer: the connection failed or timed out.
    case unreachable(String)
}

extension LibratoClient {
    /// The request ``checkCredential()`` sends: read-only and authenticated, the first page of the spaces named like
    /// `docker-librato` (as `docker-librato space` reads them).
    public static let credentialCheckPath = SpaceRequest.listSpaces(name: "docker-librato", offset: 0).path()

    /// Asks Librato whether it knows the credential with one `GET` (``credentialCheckPath``) that changes nothing
    /// and posts no measurement. One try: no retry, within ``LibratoConfiguration/requestTimeout``.
    public func checkCredential() async -> CredentialCheck {
        guard let outcome = await perform(method: .GET, body: nil, url: configuration.baseURL + Self.credentialCheckPath) else {
            return .unreachable("cancelled")
        }
        switch outcome {
        case .transportFailure(.timeout):
            return .unreachable("no answer within \(configuration.requestTimeout)")
        case .transportFailure(.connection(let reason)):
            return .unreachable(reason)
        case .response(let status, let headers, let body):
            switch ResponseClass(status: status, headers: headers, body: body, now: clockNow()) {
            case .accepted: return .accepted
            case .unauthorized(let messages): return .refused(messages)
            case .forbidden(let messages): return .forbidden(messages)
            case .invalid(let messages), .rateLimited(_, let messages), .tagsNotEnabled(let messages), .transient(_, let messages),
                .misconfigured(let messages):
                return .unexpected(status: status, messages)
            }
        }
    }
}
