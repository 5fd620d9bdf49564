#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The container the collector itself runs in, if any: it is never followed (its own logs would feed back).
///
/// Found, in order, from `/proc/self/cgroup` (cgroup v1 paths such as `/docker/<id>`, `/system.slice/docker-<id>.scope`),
/// from `/proc/self/mountinfo` (Docker bind-mounts `/var/lib/docker/containers/<id>/hostname`, `resolv.conf` and
/// `hosts` into every container; this also works on cgroup v2 with a private cgroup namespace), and as a last resort
/// from the host name: Docker sets it to the first 12 hex digits of the container id unless `--hostname` is given.
package struct OwnContainer: Sendable, Equatable {
    /// The full container id, when found in /proc.
    package var id: String?
    /// A 12-hex host name that may be a prefix of the container id.
    package var hostnamePrefix: String?

    /// A known container (tests, or an operator's override).
    package init(id: String? = nil, hostnamePrefix: String? = nil) {
        self.id = id
        self.hostnamePrefix = hostnamePrefix
    }

    /// Not in a container (or not detectable).
    package static let none = OwnContainer()

    /// Whether the container `containerID` is the collector's own.
    package func matches(_ containerID: String) -> Bool {
        if let id { return containerID == id }
        if let hostnamePrefix { return containerID.hasPrefix(hostnamePrefix) }
        return false
    }

    /// Detects the collector's container from `<procRoot>/self/…` (each root in turn: the container's own /proc,
    /// then the host's as mounted for the stats source) and the host name.
    package static func detect(procRoots: [String] = ["/proc"], hostname: String? = OwnContainer.hostname()) -> OwnContainer {
        for procRoot in procRoots {
            if let text = readSmallFile("\(procRoot)/self/cgroup"), let id = containerID(inCgroup: text) {
                return OwnContainer(id: id)
            }
            if let text = readSmallFile("\(procRoot)/self/mountinfo"), let id = containerID(inMountinfo: text) {
                return OwnContainer(id: id)
            }
        }
        if let hostname, hostname.count == 12, hostname.allSatisfy(\.isLowercaseHex) {
            return OwnContainer(hostnamePrefix: hostname)
        }
        return .none
    }

    /// A 64-hex id in the cgroup paths of `/proc/self/cgroup` (`…/docker/<id>`, `docker-<id>.scope`,
    /// `…/<id>` under a custom parent).
    package static func containerID(inCgroup text: String) -> String? {
        for line in text.split(separator: "\n") {
            guard let path = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).last else { continue }
            for component in path.split(separator: "/").reversed() {
                var c = Substring(component)
                if c.hasPrefix("docker-") { c = c.dropFirst("docker-".count) }
                if c.hasSuffix(".scope") { c = c.dropLast(".scope".count) }
                if isContainerID(c) { return String(c) }
            }
        }
        return nil
    }

    /// The id in a `…/containers/<id>/{hostname,hosts,resolv.conf}` mount source of `/proc/self/mountinfo`.
    package static func containerID(inMountinfo text: String) -> String? {
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { continue }
            let mountPoint = fields[4]
            guard mountPoint == "/etc/hostname" || mountPoint == "/etc/hosts" || mountPoint == "/etc/resolv.conf" else { continue }
            let parts = fields[3].split(separator: "/")
            for (i, part) in parts.enumerated() where part == "containers" && i + 1 < parts.count {
                if isContainerID(parts[i + 1]) { return String(parts[i + 1]) }
            }
        }
        return nil
    }

    static func isContainerID(_ s: Substring) -> Bool {
        s.utf8.count == 64 && s.allSatisfy(\.isLowercaseHex)
    }

    /// `gethostname(2)`.
    package static func hostname() -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while bytes.count < 1 << 22 {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                bytes.append(contentsOf: chunk[..<n])
            } else if n == 0 || errno != EINTR {
                break
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension Character {
    var isLowercaseHex: Bool { ("0"..."9").contains(self) || ("a"..."f").contains(self) }
}
