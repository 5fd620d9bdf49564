import AsyncHTTPClient
import FoundationEssentials
public import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A client of the Docker Engine API over a unix socket or TCP (optionally TLS), on AsyncHTTPClient.
///
/// It owns its `HTTPClient` (call ``shutdown()`` when done), negotiates the API version with `/_ping` on first use
/// (min(1.41, the daemon's); daemons older than 1.25 are refused), and sends `Host: docker` on every request
/// (dockerd rejects requests without a Host header, which AsyncHTTPClient omits on unix sockets).
public final class DockerClient: Sendable {
    /// Where requests go.
    public let endpoint: DockerEndpoint
    /// Deadline for the response head of every request, and for the whole body of non-streaming ones.
    public let requestTimeout: Duration
    let http: HTTPClient
    let logger: Logger
    private let negotiated = Mutex<DockerAPIVersion?>(nil)

    /// - Parameters:
    ///   - endpoint: the daemon, e.g. ``DockerEndpoint/fromEnvironment(_:)``.
    ///   - maxConnections: connection pool size. Streams (`/events`, followed logs) each hold a connection for
    ///     their lifetime, so this must exceed the number of concurrent streams (AsyncHTTPClient's default is 8).
    ///   - requestTimeout: see ``requestTimeout``.
    ///   - connectTimeout: how long a connection is tried (AsyncHTTPClient retries a refused or missing socket until
    ///     then), so also how long an unreachable daemon takes to be reported.
    /// - Throws: ``DockerError/invalidConfiguration(variable:value:expected:)`` when TLS files cannot be loaded.
    public init(
        endpoint: DockerEndpoint = .default,
        maxConnections: Int = 512,
        requestTimeout: Duration = .seconds(30),
        connectTimeout: Duration = .seconds(5),
        logger: Logger = Logger(label: "docker-librato.docker")
    ) throws(DockerError) {
        self.endpoint = endpoint
        self.requestTimeout = requestTimeout
        self.logger = logger
        var config = HTTPClient.Configuration()
        config.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: maxConnections)
        // No read timeout: it would kill idle long-lived streams (/events). Deadlines are per request instead.
        let connect = connectTimeout.components
        config.timeout = .init(connect: .nanoseconds(connect.seconds * 1_000_000_000 + connect.attoseconds / 1_000_000_000), read: nil)
        config.redirectConfiguration = .disallow
        config.decompression = .disabled
        if case .tcp(_, _, let tls?) = endpoint {
            config.tlsConfiguration = try Self.tlsConfiguration(tls)
        }
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    static func tlsConfiguration(_ files: DockerTLSFiles) throws(DockerError) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            if files.verify {
                tls.trustRoots = .file(files.caPath)
                tls.certificateVerification = .fullVerification
            } else {
                tls.certificateVerification = .none
            }
            if access(files.certPath, R_OK) == 0, access(files.keyPath, R_OK) == 0 {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(files.certPath).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: files.keyPath, format: .pem))
            }
        } catch {
            throw .invalidConfiguration(
                variable: "DOCKER_CERT_PATH",
                value: files.certPath,
                expected: "PEM files ca.pem, cert.pem and key.pem (\(error))"
            )
        }
        return tls
    }

    /// Closes all connections. Call once, after the last request.
    public func shutdown() async throws {
        try await http.shutdown()
    }

    /// The API version in use, nil until negotiated.
    public var apiVersion: DockerAPIVersion? { negotiated.withLock { $0 } }

    /// Pings the daemon and (re)negotiates the API version: min(``DockerAPIVersion/clientMaximum``, the daemon's).
    /// - Throws: ``DockerError/apiVersionTooOld(daemon:minimum:)`` for daemons older than API 1.25, or a
    ///   connection error naming the endpoint.
    @discardableResult
    public func ping() async throws(DockerError) -> DockerAPIVersion {
        let response = try await send(.GET, "/_ping", versioned: false)
        _ = try await collect(response, path: "/_ping", maxBytes: 1 << 16)
        guard let header = response.headers.first(name: "Api-Version") else {
            throw .invalidResponse(path: "/_ping", reason: "no Api-Version header")
        }
        guard let daemon = DockerAPIVersion(header) else {
            throw .invalidResponse(path: "/_ping", reason: "unparseable Api-Version \(header)")
        }
        let version = try DockerAPIVersion.negotiate(daemon: daemon)
        negotiated.withLock { $0 = version }
        logger.debug("negotiated Docker API", metadata: ["daemon": "\(daemon)", "using": "\(version)", "endpoint": "\(endpoint)"])
        return version
    }

    // MARK: plumbing

    /// The negotiated version, negotiating first when needed.
    func version() async throws(DockerError) -> DockerAPIVersion {
        if let v = apiVersion { return v }
        return try await ping()
    }

    /// Sends a request and returns once the response head arrived with a 2xx status.
    /// - Parameters:
    ///   - path: the API path without version, e.g. `/containers/json`.
    ///   - containerID: when set, a 404 becomes ``DockerError/noSuchContainer(id:)``.
    func send(
        _ method: HTTPMethod,
        _ path: String,
        query: [(String, String)] = [],
        versioned: Bool = true,
        containerID: String? = nil
    ) async throws(DockerError) -> HTTPClientResponse {
        var uri = versioned ? "/v\(try await version())\(path)" : path
        if !query.isEmpty {
            uri += "?" + query.map { "\(Self.percentEncode($0.0))=\(Self.percentEncode($0.1))" }.joined(separator: "&")
        }
        var request = HTTPClientRequest(url: url(for: uri))
        request.method = method
        request.headers.add(name: "Host", value: "docker")
        request.headers.add(name: "User-Agent", value: "docker-librato")
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: TimeAmount(requestTimeout))
        } catch {
            throw mapTransportError(error, path: path)
        }
        guard (200..<300).contains(response.status.code) else {
            let body = try? await collect(response, path: path, maxBytes: 1 << 16)
            let message = body.flatMap { Self.daemonMessage($0) } ?? response.status.reasonPhrase
            if response.status.code == 404, let containerID { throw .noSuchContainer(id: containerID) }
            if response.status.code == 400, case .tcp(_, _, nil) = endpoint, message.contains("HTTPS server") {
                throw .tlsFailed(
                    endpoint: endpoint.description,
                    reason: "the daemon speaks TLS and this client does not: set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH to the "
                        + "directory holding ca.pem, cert.pem and key.pem (the daemon's CA and a client pair it signed).")
            }
            throw .http(status: Int(response.status.code), path: path, message: message)
        }
        return response
    }

    /// Sends a request and decodes its JSON body as `T`.
    func getJSON<T: Decodable>(
        _ type: T.Type,
        _ path: String,
        query: [(String, String)] = [],
        containerID: String? = nil,
        maxBytes: Int = 64 << 20
    ) async throws(DockerError) -> T {
        let data = try await getData(path, query: query, containerID: containerID, maxBytes: maxBytes)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw .invalidResponse(path: path, reason: "\(error)")
        }
    }

    /// Sends a request and returns its whole body.
    func getData(
        _ path: String,
        query: [(String, String)] = [],
        containerID: String? = nil,
        maxBytes: Int = 64 << 20
    ) async throws(DockerError) -> Data {
        let response = try await send(.GET, path, query: query, containerID: containerID)
        return try await collect(response, path: path, maxBytes: maxBytes)
    }

    func collect(_ response: HTTPClientResponse, path: String, maxBytes: Int) async throws(DockerError) -> Data {
        let timeout = requestTimeout
        do {
            let buffer = try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
                group.addTask { try await response.body.collect(upTo: maxBytes) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                let first = try await group.next()!
                group.cancelAll()
                return first
            }
            guard let buffer else {
                throw DockerError.timeout(path: path, seconds: Double(timeout.components.seconds))
            }
            return Data(buffer.readableBytesView)
        } catch let error as DockerError {
            throw error
        } catch {
            throw mapTransportError(error, path: path)
        }
    }

    func url(for uri: String) -> String {
        switch endpoint {
        case .unix(let path): "http+unix://\(Self.percentEncode(path))\(uri)"
        case .tcp(let host, let port, let tls):
            "\(tls == nil ? "http" : "https")://\(host.contains(":") ? "[\(host)]" : host):\(port)\(uri)"
        }
    }

    /// Maps connection failures to the errors an operator can act on.
    func mapTransportError(_ error: any Error, path: String) -> DockerError {
        if let error = error as? DockerError { return error }
        let text = String(describing: error)
        if (error as? IOError).map({ $0.errnoCode == EACCES || $0.errnoCode == EPERM }) ?? false
            || text.contains("Permission denied") || text.contains("EACCES")
        {
            if case .unix(let socket) = endpoint {
                return .permissionDenied(endpoint: endpoint.description, socket: Self.socketAccess(socket))
            }
            return .permissionDenied(endpoint: endpoint.description)
        }
        if let error = error as? HTTPClientError, error == .deadlineExceeded || error == .readTimeout {
            return .timeout(path: path, seconds: Double(requestTimeout.components.seconds))
        }
        if case .tcp(let host, _, let tls?) = endpoint,
            ["SSL", "TLS", "handshake", "certificate", "Hostname", "hostname"].contains(where: { text.contains($0) })
        {
            return .tlsFailed(endpoint: endpoint.description, reason: Self.tlsReason(text, host: host, files: tls))
        }
        if let io = error as? IOError {
            let reason = String(cString: strerror(io.errnoCode))
            switch (io.errnoCode, endpoint) {
            case (ENOENT, .unix): return .daemonUnreachable(endpoint: endpoint.description, reason: "the socket does not exist (\(reason))")
            default: return .daemonUnreachable(endpoint: endpoint.description, reason: reason)
            }
        }
        return .daemonUnreachable(endpoint: endpoint.description, reason: text)
    }

    /// What went wrong in a TLS handshake, and which file under `DOCKER_CERT_PATH` (or which variable) fixes it,
    /// from NIOSSL's error text (BoringSSL's reason codes and alerts).
    static func tlsReason(_ text: String, host: String, files: DockerTLSFiles) -> String {
        let dir = files.caPath.hasSuffix("/ca.pem") ? String(files.caPath.dropLast("/ca.pem".count)) : files.caPath
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificate verify failed") {
            return "DOCKER_CERT_PATH/ca.pem is not the CA that signed the daemon's certificate (DOCKER_CERT_PATH=\(dir)). Copy "
                + "the CA the daemon's --tlscert was signed with to \(files.caPath). (\(text))"
        }
        if text.contains("ostname") {
            return "the daemon's certificate does not name \(host): use in DOCKER_HOST a name or address its subjectAltName "
                + "lists, or reissue the daemon's certificate for \(host). (\(text))"
        }
        if ["CERTIFICATE_REQUIRED", "BAD_CERTIFICATE", "UNKNOWN_CA", "HANDSHAKE_FAILURE", "CERTIFICATE_UNKNOWN", "certificate required"]
            .contains(where: { text.contains($0) })
        {
            return "the daemon refused the client certificate. DOCKER_CERT_PATH (\(dir)) must hold cert.pem and key.pem, a "
                + "client pair signed by the CA the daemon trusts (its --tlscacert). (\(text))"
        }
        if text.contains("WRONG_VERSION_NUMBER") || text.contains("wrong version number") {
            return "the daemon at this port does not speak TLS: unset DOCKER_TLS_VERIFY and DOCKER_TLS, or point DOCKER_HOST at "
                + "the daemon's TLS port (usually 2376). (\(text))"
        }
        return "\(text). Check DOCKER_CERT_PATH (\(dir)): ca.pem must be the CA that signed the daemon's certificate (whose "
            + "name must match the host in DOCKER_HOST), and cert.pem/key.pem a client pair signed by the CA the daemon trusts "
            + "(--tlscacert)."
    }

    /// Who owns the socket at `path` and who this process is: `owned by root:docker (gid 998), mode 0660; this process
    /// runs as uid 10001, gid 10001, groups 10001`.
    static func socketAccess(_ path: String) -> String {
        var st = stat()
        guard stat(path, &st) == 0 else { return "" }
        func groupName(_ gid: gid_t) -> String {
            guard let g = getgrgid(gid), let name = g.pointee.gr_name else { return "gid \(gid)" }
            return String(cString: name)
        }
        func userName(_ uid: uid_t) -> String {
            guard let p = getpwuid(uid), let name = p.pointee.pw_name else { return "uid \(uid)" }
            return String(cString: name)
        }
        var groups = [gid_t](repeating: 0, count: 256)
        let n = getgroups(Int32(groups.count), &groups)
        let mine = n > 0 ? groups[..<Int(n)].map { String($0) }.joined(separator: ",") : "none"
        let mode = String(st.st_mode & 0o7777, radix: 8)
        return "owned by \(userName(st.st_uid)):\(groupName(st.st_gid)) (gid \(st.st_gid)), mode 0\(mode); this process runs as uid "
            + "\(getuid()), gid \(getgid()), supplementary groups \(mine)"
    }

    /// The daemon's `{"message": "..."}` error body.
    static func daemonMessage(_ body: Data) -> String? {
        struct Message: Decodable { var message: String }
        if let m = try? JSONDecoder().decode(Message.self, from: body) { return m.message }
        let text = String(decoding: body.prefix(500), as: UTF8.self).trimmingSpaces
        return text.isEmpty ? nil : text
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters.
    static func percentEncode(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x2E, 0x5F, 0x7E:
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0xF)]))
            }
        }
        return out
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
