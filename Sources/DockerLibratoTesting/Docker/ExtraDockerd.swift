import Foundation

/// A second dockerd of our own (socket, data root, exec root and pid file under one temporary directory), for the
/// tests that kill a daemon: the shared one on /var/run/docker.sock is never touched. Started with the flags of
/// scripts/test-env.sh, optionally with `--live-restore` (containers survive the daemon being killed; without it
/// the restarted daemon kills them and restarts those with a restart policy) and extra flags (say, a TLS-protected
/// `-H tcp://…`); the local test image is copied into it with `docker save | docker load`.
public final class ExtraDockerd: @unchecked Sendable {
    public let root: String
    public let liveRestore: Bool
    /// More dockerd flags (its own unix socket is always there, for the test's setup).
    public let arguments: [String]
    public private(set) var process: TestProcess?

    public var socket: String { root + "/docker.sock" }
    public var pidFile: String { root + "/docker.pid" }
    public var logFile: String { root + "/dockerd.log" }

    /// The end of the daemon's log, for failure messages.
    public var logTail: String {
        String(((try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "").suffix(3000))
    }

    public init(liveRestore: Bool, arguments: [String] = []) throws {
        self.liveRestore = liveRestore
        self.arguments = arguments
        // Short: containerd's socket lives under the exec root and unix socket paths are limited to 107 bytes.
        root = "/tmp/dlcol-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    /// Runs `body` with a started daemon holding the test image, and always shuts it down afterwards.
    public static func with<T>(liveRestore: Bool, arguments: [String] = [], _ body: (ExtraDockerd) async throws -> T) async throws -> T {
        let daemon = try ExtraDockerd(liveRestore: liveRestore, arguments: arguments)
        do {
            try await daemon.start()
            try await daemon.shell(
                "\(DockerTestHelper.dockerCLI) save \(DockerTestHelper.image) | \(DockerTestHelper.dockerCLI) -H unix://\(daemon.socket) load"
            )
            let result = try await body(daemon)
            await daemon.shutdown()
            return result
        } catch {
            await daemon.shutdown()
            throw error
        }
    }

    /// Debian's docker.io installs dockerd in /usr/sbin.
    static var dockerd: String {
        ["/usr/sbin/dockerd", "/usr/bin/dockerd"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "dockerd"
    }

    /// Starts dockerd and waits until it answers.
    public func start() async throws {
        // A daemon killed with SIGKILL leaves its pid file behind, and a new one refuses to start while it exists;
        // it also waits for the containerd named in containerd.pid, which may linger (or be an unreaped zombie).
        try? FileManager.default.removeItem(atPath: pidFile)
        let containerdPidFile = root + "/exec/containerd/containerd.pid"
        if let text = try? String(contentsOfFile: containerdPidFile, encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), Self.processes(mentioning: root).contains(pid)
        {
            kill(pid, SIGKILL)
            try await Eventually.wait(for: "the old containerd \(pid) to die", timeout: .seconds(30)) { Self.isDead(pid) }
        }
        try? FileManager.default.removeItem(atPath: containerdPidFile)
        // Output goes to a file, not to a pipe of this process: containerd and the shims inherit it, and a shim
        // writing into a pipe whose reader went away (the previous TestProcess) dies of SIGPIPE.
        // An engine ID of its own (dockerd 20.10 derives it from key.json, shared by every daemon of the machine
        // unless moved), so that several daemons stand in for several hosts.
        try #"{"deprecated-key-path": "\#(root)/key.json"}"#.write(toFile: root + "/daemon.json", atomically: true, encoding: .utf8)
        let command =
            [
                Self.dockerd, "--config-file", root + "/daemon.json", "--host", "unix://\(socket)", "--data-root", root + "/data", "--exec-root",
                root + "/exec", "--pidfile", pidFile, "--storage-driver=vfs", "--iptables=false", "--bridge=none",
            ] + (liveRestore ? ["--live-restore"] : []) + self.arguments
        process = try TestProcess("/bin/sh", ["-c", "exec \(command.joined(separator: " ")) </dev/null >>\(logFile) 2>&1"])
        let started = process!
        do {
            try await Eventually.wait(for: "the second dockerd to answer", timeout: .seconds(60), every: .milliseconds(100)) {
                if !started.isRunning { throw CommandFailed(command: [Self.dockerd], status: -1, stderr: self.logTail) }
                return (try? await self.docker(["version", "--format", "{{.Server.Version}}"])) != nil
            }
        } catch let error as Eventually.TimedOut {
            throw CommandFailed(command: [Self.dockerd, "(\(error))"], status: -1, stderr: logTail)
        }
    }

    /// SIGKILL, as a crash would; waits until the process is gone.
    public func kill9() async throws {
        guard let process else { return }
        let pid = process.pid
        process.signal(SIGKILL)
        // Gone, or a zombie not reaped yet (Foundation reaps it in its own time; the daemon is dead either way).
        try await Eventually.wait(for: "dockerd \(pid) to die", timeout: .seconds(30)) { Self.isDead(pid) }
    }

    public static func isDead(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        guard let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state == "Z" || state == "X"
    }

    /// `docker -H <socket> …`; throws on a non-zero exit.
    @discardableResult
    public func docker(_ arguments: [String]) async throws -> String {
        let (status, out, err) = try await TestProcess.run(DockerTestHelper.dockerCLI, ["-H", "unix://\(socket)"] + arguments, timeout: .seconds(60))
        guard status == 0 else { throw CommandFailed(command: ["docker"] + arguments, status: status, stderr: err) }
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func shell(_ command: String) async throws {
        let (status, _, err) = try await TestProcess.run("/bin/sh", ["-c", command], timeout: .seconds(120))
        guard status == 0 else { throw CommandFailed(command: ["sh", "-c", command], status: status, stderr: err) }
    }

    /// Removes its containers (live-restore would keep them running), stops the daemon and whatever it left
    /// (its containerd, shims), unmounts and deletes the directory. Only processes of this daemon are signalled:
    /// those whose command line names its root.
    public func shutdown() async {
        if process?.isRunning == true {
            if let ids = try? await docker(["ps", "-aq"]), !ids.isEmpty {
                _ = try? await docker(["rm", "-f"] + ids.split(separator: "\n").map(String.init))
            }
            process?.signal(SIGTERM)
            _ = try? await process?.waitForExit(timeout: .seconds(30))
            if process?.isRunning == true {
                process?.signal(SIGKILL)
                _ = try? await process?.waitForExit(timeout: .seconds(10))
            }
        }
        // What is left (its containerd and shims when the daemon could not remove its containers): the containers'
        // processes first, then the daemon's own, so that nothing is orphaned.
        let own = Self.processes(mentioning: root)
        for pid in Self.descendants(of: own) { kill(pid, SIGKILL) }
        for pid in own { kill(pid, SIGKILL) }
        for mountPoint in Self.mountPoints(under: root).reversed() { umount2(mountPoint, Int32(MNT_DETACH)) }
        try? FileManager.default.removeItem(atPath: root)
    }

    /// PIDs whose command line contains `text` (this daemon's containerd and shims).
    static func processes(mentioning text: String) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry), pid != getpid(),
                let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
            else { return nil }
            let cmdline = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return cmdline.contains(text) ? pid : nil
        }
    }

    /// Every process below `parents` (children, grandchildren, …).
    static func descendants(of parents: [Int32]) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var parentOf: [Int32: Int32] = [:]
        for entry in entries {
            guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let ppid = Int32(fields[1]) { parentOf[pid] = ppid }
        }
        var found = Set(parents)
        var result: [Int32] = []
        var changed = true
        while changed {
            changed = false
            for (pid, ppid) in parentOf where found.contains(ppid) && !found.contains(pid) {
                found.insert(pid)
                result.append(pid)
                changed = true
            }
        }
        return result
    }

    static func mountPoints(under root: String) -> [String] {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { return nil }
            let point = String(fields[4])
            return point == root || point.hasPrefix(root + "/") ? point : nil
        }
    }
}

public struct CommandFailed: Error, CustomStringConvertible {
    public var command: [String]
    public var status: Int32
    public var stderr: String
    public var description: String { "\(command.joined(separator: " ")) exited \(status): \(stderr)" }
}
