/// Everything the Docker client can fail with, each case worded for the operator who has to act on it.
public enum DockerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Nothing answers at the endpoint (socket missing, connection refused, TLS handshake failed, timeout).
    case daemonUnreachable(endpoint: String, reason: String)
    /// The socket exists but this process may not open it.
    case permissionDenied(endpoint: String)
    /// TLS to a tcp endpoint failed: certificates do not match (`DOCKER_CERT_PATH`, `DOCKER_TLS_VERIFY`).
    case tlsFailed(endpoint: String, reason: String)
    /// The daemon speaks an API older than this client supports (1.25, Docker 1.13).
    case apiVersionTooOld(daemon: String, minimum: String)
    /// The container does not exist (any more): HTTP 404 on a container path.
    case noSuchContainer(id: String)
    /// The container exists but is not running, so it has no stats.
    case containerNotRunning(id: String)
    /// Any other non-2xx answer, with the daemon's own `message`.
    case http(status: Int, path: String, message: String)
    /// The daemon answered something this client cannot decode.
    case invalidResponse(path: String, reason: String)
    /// A configuration value (environment variable or flag) is malformed.
    case invalidConfiguration(variable: String, value: String, expected: String)
    /// The request did not complete within its deadline.
    case timeout(path: String, seconds: Double)

    public var description: String {
        switch self {
        case .daemonUnreachable(let endpoint, let reason):
            endpoint.hasPrefix("unix://")
                ? "Docker daemon unreachable at \(endpoint): \(reason). Is dockerd running, and is DOCKER_HOST right "
                    + "(in a container, mount the socket: -v /var/run/docker.sock:/var/run/docker.sock)?"
                : "Docker daemon unreachable at \(endpoint): \(reason). Is dockerd listening there (dockerd -H tcp://…), "
                    + "and is DOCKER_HOST right?"
        case .tlsFailed(let endpoint, let reason):
            "TLS with the Docker daemon at \(endpoint) failed: \(reason). Check DOCKER_CERT_PATH: ca.pem must be the CA "
                + "that signed the daemon's certificate (whose name must match the host in DOCKER_HOST), and cert.pem/key.pem "
                + "a client pair signed by the CA the daemon trusts (--tlscacert)."
        case .permissionDenied(let endpoint):
            "Permission denied on the Docker socket \(endpoint). Run the collector as root or as a member of the "
                + "docker group; on hosts with SELinux/AppArmor restrictions run its container with --privileged."
        case .apiVersionTooOld(let daemon, let minimum):
            "The Docker daemon speaks Engine API \(daemon), older than the minimum \(minimum) this collector needs. "
                + "Upgrade Docker to 1.13 or later."
        case .noSuchContainer(let id):
            "No such container: \(id) (it was removed)."
        case .containerNotRunning(let id):
            "Container \(id) is not running: it has no stats."
        case .http(let status, let path, let message):
            "Docker daemon answered \(status) to \(path): \(message)"
        case .invalidResponse(let path, let reason):
            "Unexpected answer from the Docker daemon to \(path): \(reason). Is the endpoint really a Docker daemon?"
        case .invalidConfiguration(let variable, let value, let expected):
            "Invalid \(variable)=\"\(value)\": expected \(expected)."
        case .timeout(let path, let seconds):
            "The Docker daemon did not answer \(path) within \(seconds) s; it may be overloaded or hung."
        }
    }
}
