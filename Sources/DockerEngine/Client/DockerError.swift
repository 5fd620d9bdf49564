/// Everything the Docker client can fail with, each case worded for the operator who has to act on it.
public enum DockerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Nothing answers at the endpoint (socket missing, connection refused, TLS handshake failed, timeout).
    case daemonUnreachable(endpoint: String, reason: String)
    /// The socket exists but this process may not open it. `socket`: who owns it and who this process is (for
    /// the message), empty when unknown.
    case permissionDenied(endpoint: String, socket: String = "")
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
            "TLS with the Docker daemon at \(endpoint) failed: \(reason)"
        case .permissionDenied(let endpoint, let socket):
            "Permission denied on the Docker socket \(endpoint)\(socket.isEmpty ? "" : " (\(socket))"). Two fixes: give the "
                + "collector's user the socket's group (`usermod -aG <group> <user>`; for a container `--group-add <gid>`, which "
                + "the image's entrypoint does by itself), or run as root; where SELinux or AppArmor deny a container the socket "
                + "even so, run it with --security-opt label=disable (SELinux) or --privileged."
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
