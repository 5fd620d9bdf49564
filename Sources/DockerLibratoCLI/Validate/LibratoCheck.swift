import Librato
import Logging

/// Whether Librato accepts the configured credential, asked with one read-only request that posts nothing
/// (``LibratoClient/checkCredential()``). Without a credential the role runs a dry run, which is fine.
enum LibratoCheck {
    static func run(_ plan: LibratoPlan, timeout: Duration, logger: Logger) async -> Check {
        let name = "librato"
        guard let credentials = plan.credentials else {
            return .ok(
                name, .librato, "dry run (no LIBRATO_TOKEN): nothing will be posted",
                note: "the requests go to \(plan.dryRunOutput.description); set LIBRATO_EMAIL and LIBRATO_TOKEN (or LIBRATO_TOKEN_FILE) to post")
        }
        var configuration = plan.configuration
        configuration.requestTimeout = timeout
        configuration.connectTimeout = timeout
        let client = LibratoClient(configuration: configuration, credentials: credentials, logger: logger)
        let answer = await client.checkCredential()
        try? await client.shutdown()
        let request = "GET \(configuration.baseURL)\(LibratoClient.credentialCheckPath.prefix { $0 != "&" })"
        func said(_ messages: [String]) -> String { messages.isEmpty ? "" : ": " + messages.joined(separator: "; ") }
        switch answer {
        case .accepted:
            return .ok(name, .librato, "Librato accepts the credential of \(credentials.email) (\(request), nothing posted)")
        case .refused(let messages):
            return .fail(
                name, .librato, "Librato refused the credential (401)\(said(messages))",
                fix: "check LIBRATO_EMAIL/LIBRATO_TOKEN (or LIBRATO_TOKEN_FILE): the e-mail of the account and one of its API tokens")
        case .forbidden(let messages):
            return .ok(
                name, .librato, "Librato knows the credential of \(credentials.email), but this token may not read spaces (403)\(said(messages))",
                note: "a Record Only token can post measurements; `docker-librato space` needs a Full Access token")
        case .unexpected(let status, let messages):
            let fix =
                status == 404 || status == 405
                ? "check LIBRATO_API_URL (\(configuration.baseURL)): it should be the API's base URL, e.g. https://metrics-api.librato.com"
                : status == 429 ? "the account is over its rate limit now; try again later" : "Librato is unavailable now; try again later"
            return .fail(name, .librato, "Librato answered \(status) to \(request)\(said(messages))", fix: fix)
        case .unreachable(let reason):
            return .fail(
                name, .librato, "Librato is unreachable at \(configuration.baseURL): \(HTTPTarget.describe(text: reason))",
                fix: "check LIBRATO_API_URL, DNS and that this host may reach it over https (proxy, firewall)")
        }
    }
}
