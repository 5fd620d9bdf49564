#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the Docker Engine API listens, following the docker CLI's conventions (`DOCKER_HOST`, `DOCKER_TLS_VERIFY`,
/// `DOCKER_CERT_PATH`).
public enum DockerEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// A unix domain socket, by default `/var/run/docker.sock`.
    case unix(path: String)
    /// TCP, optionally with TLS (`tls == nil` means plain HTTP, as `DOCKER_HOST=tcp://…` without `DOCKER_TLS_VERIFY`).
    case tcp(host: String, port: Int, tls: DockerTLSFiles?)

    /// The socket dockerd listens on by default.
    public static let defaultSocketPath = "/var/run/docker.sock"
    /// `unix:///var/run/docker.sock`.
    public static let `default` = DockerEndpoint.unix(path: defaultSocketPath)

    /// The endpoint as an operator would write it in `DOCKER_HOST` (plus `+tls` when TLS is on).
    public var description: String {
        switch self {
        case .unix(let path): "unix://\(path)"
        case .tcp(let host, let port, let tls):
            "tcp://\(host.contains(":") ? "[\(host)]" : host):\(port)" + (tls.map { $0.verify ? " (TLS)" : " (TLS, unverified)" } ?? "")
        }
    }

    /// Reads `DOCKER_HOST`, `DOCKER_TLS_VERIFY`, `DOCKER_TLS` and `DOCKER_CERT_PATH` the way the docker CLI does.
    ///
    /// - `DOCKER_HOST` unset or empty: the default socket. `unix:///path` or `tcp://host[:port]` (port 2376 with TLS,
    ///   2375 without, as the CLI).
    /// - `DOCKER_TLS_VERIFY` set to any non-empty value: TLS, verifying the daemon's certificate against `ca.pem`
    ///   and presenting `cert.pem`/`key.pem`, all from `DOCKER_CERT_PATH` (default `~/.docker`).
    ///   `DOCKER_TLS` non-empty without `DOCKER_TLS_VERIFY`: TLS without verifying the daemon (the CLI's `--tls`).
    /// - Throws: ``DockerError/invalidConfiguration(variable:value:expected:)`` naming the variable and the form it
    ///   expects, or when a certificate file is missing or unreadable.
    public static func fromEnvironment(_ env: [String: String]) throws(DockerError) -> DockerEndpoint {
        try resolve(
            host: env["DOCKER_HOST"], tlsVerify: !env["DOCKER_TLS_VERIFY", default: ""].isEmpty, tls: !env["DOCKER_TLS", default: ""].isEmpty,
            certPath: env["DOCKER_CERT_PATH"], home: env["HOME"])
    }

    /// The endpoint from the docker CLI's settings as typed values (``fromEnvironment(_:)`` reads them from the
    /// environment; the `--docker-host` flag passes its own `host`). Errors name the variable to fix.
    public static func resolve(host: String?, tlsVerify verify: Bool, tls: Bool, certPath: String?, home: String?) throws(DockerError) -> DockerEndpoint {
        let host = (host ?? "").trimmingSpaces
        if host.isEmpty { return .default }
        let expected = "unix:///path/to/docker.sock or tcp://host:port"
        if host.hasPrefix("unix://") {
            let path = String(host.dropFirst("unix://".count))
            guard path.hasPrefix("/") else {
                throw .invalidConfiguration(variable: "DOCKER_HOST", value: host, expected: "an absolute socket path: unix:///var/run/docker.sock")
            }
            return .unix(path: path)
        }
        guard host.hasPrefix("tcp://") else {
            throw .invalidConfiguration(variable: "DOCKER_HOST", value: host, expected: expected + " (ssh://, npipe:// and fd:// are not supported)")
        }
        let tlsOn = verify || tls
        guard let (name, port) = parseHostPort(String(host.dropFirst("tcp://".count)), defaultPort: tlsOn ? 2376 : 2375) else {
            throw .invalidConfiguration(
                variable: "DOCKER_HOST",
                value: host,
                expected: "tcp://host:port, e.g. tcp://10.0.0.5:2376 or tcp://[::1]:2375"
            )
        }
        guard tlsOn else { return .tcp(host: name, port: port, tls: nil) }

        var certDir = certPath ?? ""
        if certDir.isEmpty {
            guard let home, !home.isEmpty else {
                throw .invalidConfiguration(
                    variable: "DOCKER_CERT_PATH",
                    value: "",
                    expected: "the directory holding ca.pem, cert.pem and key.pem (HOME is unset, so ~/.docker cannot be used)"
                )
            }
            certDir = home + "/.docker"
        }
        while certDir.count > 1, certDir.hasSuffix("/") { certDir.removeLast() }
        let files = DockerTLSFiles(
            caPath: certDir + "/ca.pem",
            certPath: certDir + "/cert.pem",
            keyPath: certDir + "/key.pem",
            verify: verify
        )
        // The CA is needed only to verify; the client pair only when the daemon asks for it — but the CLI requires
        // all three with DOCKER_TLS_VERIFY, and so do we: a half-configured host should fail here, loudly.
        for file in verify ? [files.caPath, files.certPath, files.keyPath] : [] where access(file, R_OK) != 0 {
            throw .invalidConfiguration(
                variable: "DOCKER_CERT_PATH",
                value: certDir,
                expected: "a directory with readable ca.pem, cert.pem and key.pem (\(file): \(String(cString: strerror(errno))))"
            )
        }
        return .tcp(host: name, port: port, tls: files)
    }

    /// Splits `host[:port]` / `[v6]:port`, ignoring a trailing `/` path. Nil when the port is not a number in range.
    static func parseHostPort(_ text: String, defaultPort: Int) -> (String, Int)? {
        var rest = Substring(text)
        if let slash = rest.firstIndex(of: "/") {
            guard rest[slash...].allSatisfy({ $0 == "/" }) else { return nil }
            rest = rest[..<slash]
        }
        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        if host.isEmpty { host = "localhost" }
        guard let portText else { return (String(host), defaultPort) }
        guard let port = Int(portText), (1...65535).contains(port) else { return nil }
        return (String(host), port)
    }
}

/// The client certificate files of a TLS endpoint (the docker CLI's `ca.pem`, `cert.pem`, `key.pem`).
public struct DockerTLSFiles: Sendable, Hashable {
    public var caPath: String
    public var certPath: String
    public var keyPath: String
    /// Verify the daemon's certificate against `caPath` (`DOCKER_TLS_VERIFY`).
    public var verify: Bool

    public init(caPath: String, certPath: String, keyPath: String, verify: Bool = true) {
        self.caPath = caPath
        self.certPath = certPath
        self.keyPath = keyPath
        self.verify = verify
    }
}

extension String {
    var trimmingSpaces: String {
        String(self.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
