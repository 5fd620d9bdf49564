import Glibc

/// Whether the addresses a hub binds are free, found by binding each one for a moment (with `SO_REUSEADDR`, as
/// the hub's own sockets) and closing it again. A taken port is a warning, not a failure: it is what a hub that
/// already runs there looks like.
enum ListenCheck {
    /// The check of a nanomsg listen address of `role` (`tcp://HOST:PORT`, `*` for every interface, or `ipc://PATH`).
    static func nanomsg(_ name: String, variable: String, address: String, role: String = "hub") -> Check {
        if address.hasPrefix("ipc://") {
            let path = String(address.dropFirst(6))
            let directory = path.lastIndex(of: "/").map { path[..<$0].isEmpty ? "/" : String(path[..<$0]) } ?? "."
            guard access(directory, W_OK) == 0 else {
                return .fail(
                    name, .configuration, "\(variable) \(address): cannot create the socket in \(directory) (\(Self.errnoText()))",
                    fix: "set \(variable) to a path in a writable directory")
            }
            return .ok(name, .configuration, "\(variable) \(address): \(directory) is writable")
        }
        let hostPort = String(address.dropFirst("tcp://".count))
        return tcp(name, variable: variable, shown: address, hostPort: hostPort, every: "*", role: role)
    }

    /// The check of an HTTP listen address (`HOST:PORT`, `:PORT` for every interface); nil (off) is a skip.
    static func http(_ name: String, variable: String, listen: String?, role: String = "hub") -> Check {
        guard let listen else { return .skip(name, .configuration, "\(variable) is off") }
        return tcp(name, variable: variable, shown: listen, hostPort: listen, every: "", role: role)
    }

    private static func tcp(_ name: String, variable: String, shown: String, hostPort: String, every: String, role: String) -> Check {
        guard let colon = hostPort.lastIndex(of: ":"), let port = Int(hostPort[hostPort.index(after: colon)...]) else {
            return .fail(name, .configuration, "\(variable) \(shown) has no port", fix: "set \(variable) to HOST:PORT")
        }
        var host = String(hostPort[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        switch bind(host: host == every || host.isEmpty ? nil : host, port: port) {
        case .free:
            return .ok(name, .configuration, "\(variable) \(shown): the port is free")
        case .taken:
            return .warn(
                name, .configuration, "\(variable) \(shown): the port is taken — a \(role) may already be running here",
                fix: "stop it first, or set \(variable) to a free port")
        case .failed(let reason):
            return .fail(
                name, .configuration, "\(variable) \(shown): cannot listen (\(reason))",
                fix: "set \(variable) to an address of this host and a port this user may bind")
        }
    }

    enum Outcome: Equatable {
        case free, taken
        case failed(String)
    }

    /// Binds a TCP socket to `host` (nil: every interface) and `port`, and closes it.
    static func bind(host: String?, port: Int) -> Outcome {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let info = list else { return .failed("cannot resolve \(host ?? "*"): \(String(cString: gai_strerror(rc)))") }
        defer { freeaddrinfo(list) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard fd >= 0 else { return .failed(errnoText()) }
        defer { close(fd) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard Glibc.bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            return errno == EADDRINUSE ? .taken : .failed(errnoText())
        }
        return .free
    }

    static func errnoText() -> String { String(cString: strerror(errno)).lowercased() }
}
