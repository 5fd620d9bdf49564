#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How Docker lays out container cgroups on a host: cgroup version, cgroup driver, and where the hierarchy is
/// mounted (the host's `/sys/fs/cgroup`, or wherever a containerised collector has it mounted).
///
/// Container directories, relative to the root (v1: under each controller, e.g. `memory/`):
/// - cgroupfs driver: `docker/<id>` (rootful Podman: `libpod_parent/libpod-<id>`)
/// - systemd driver: `system.slice/docker-<id>.scope` (rootful Podman: `machine.slice/libpod-<id>.scope`)
///
/// Anything else (`--cgroup-parent`, rootless Podman) is found through `/proc/<pid>/cgroup` (``CgroupStatsSource``).
package struct CgroupLayout: Sendable, Equatable, CustomStringConvertible {
    package enum Version: String, Sendable {
        case v1, v2
    }

    package enum Driver: String, Sendable {
        case cgroupfs, systemd
    }

    package var version: Version
    package var driver: Driver
    /// Mount point of the cgroup hierarchy, e.g. `/sys/fs/cgroup` or `/host/sys/fs/cgroup`.
    package var root: String
    /// The engine is Podman (``DockerEngine/SystemInfo/isPodman``): its containers' cgroups are named `libpod-<id>`.
    package var podman: Bool

    package init(version: Version, driver: Driver, root: String = "/sys/fs/cgroup", podman: Bool = false) {
        self.version = version
        self.driver = driver
        self.podman = podman
        var root = root
        while root.count > 1, root.hasSuffix("/") { root.removeLast() }
        self.root = root
    }

    package var description: String { "cgroup \(version.rawValue) (\(podman ? "Podman, " : "")\(driver.rawValue) driver) under \(root)" }

    /// The layout for what `/info` reports (`CgroupVersion`, `CgroupDriver`), checked against what `root` holds:
    /// v2 has `cgroup.controllers` at the root, v1 a `memory` controller directory.
    /// - Throws: ``StatsSourceError/cgroupRootUnusable(root:reason:)`` when `root` does not match.
    package static func detect(
        cgroupVersion: String, cgroupDriver: String, root: String = "/sys/fs/cgroup", podman: Bool = false
    ) throws(StatsSourceError) -> CgroupLayout {
        let version: Version = cgroupVersion == "2" ? .v2 : .v1
        let driver: Driver = cgroupDriver == "systemd" ? .systemd : .cgroupfs
        let layout = CgroupLayout(version: version, driver: driver, root: root, podman: podman)
        // Unreadable (a non-root user on a host that restricts it, SELinux/AppArmor in a container): say so, rather
        // than that the files are missing.
        if let errno = KernelFile.accessError(layout.root), errno == EACCES || errno == EPERM {
            throw .unreadable(path: layout.root, reason: KernelFile.describe(errno))
        }
        let unified = KernelFile.exists(layout.root + "/cgroup.controllers")
        let memoryController = KernelFile.isDirectory(layout.root + "/memory")
        switch version {
        case .v2 where !unified:
            throw .cgroupRootUnusable(
                root: layout.root,
                reason: "dockerd runs cgroup v2, but there is no cgroup.controllers there"
                    + (memoryController ? " (it looks like a cgroup v1 hierarchy)" : "")
            )
        case .v1 where !memoryController:
            throw .cgroupRootUnusable(
                root: layout.root,
                reason: "dockerd runs cgroup v1, but there is no memory controller directory there"
                    + (unified ? " (it looks like a cgroup v2 hierarchy)" : "")
            )
        default:
            return layout
        }
    }

    /// Relative directories that may hold container `id`, the driver's own layout first.
    package func candidates(id: String) -> [String] {
        let cgroupfs = podman ? "libpod_parent/libpod-\(id)" : "docker/\(id)"
        let systemd = podman ? "machine.slice/libpod-\(id).scope" : "system.slice/docker-\(id).scope"
        return driver == .systemd ? [systemd, cgroupfs] : [cgroupfs, systemd]
    }

    /// Absolute directory of a relative cgroup path: under `controller` for v1, in the unified tree for v2.
    package func directory(_ relative: String, controller: String) -> String {
        let relative = relative.hasPrefix("/") ? String(relative.dropFirst()) : relative
        switch version {
        case .v1: return "\(root)/\(controller)/\(relative)"
        case .v2: return "\(root)/\(relative)"
        }
    }
}
