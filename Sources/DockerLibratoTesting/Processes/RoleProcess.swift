import Foundation

/// The `docker-librato` binary this package built (`swift build` puts it next to the test bundle).
public enum ProductBinary {
    /// `DOCKER_LIBRATO_BINARY`, else `<package>/.build/debug/docker-librato` found from a source file of the caller.
    public static func path(from filePath: String = #filePath) throws -> String {
        if let env = ProcessInfo.processInfo.environment["DOCKER_LIBRATO_BINARY"] { return env }
        var dir = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                let candidate = dir.appendingPathComponent(".build/debug/docker-librato").path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
                throw TestProcess.NotFound(name: "\(candidate) (run `swift build` first)")
            }
            dir.deleteLastPathComponent()
        }
        throw TestProcess.NotFound(name: "docker-librato (no Package.swift above \(filePath))")
    }
}

/// A hub or collector running as a real process of the built binary, that tests kill with `kill -9` and start
/// again with the same arguments and environment. Its output is appended to `logPath` across restarts.
public final class RoleProcess: @unchecked Sendable {
    public let name: String
    public let arguments: [String]
    public let environment: [String: String]
    public let logPath: String
    private let binary: String
    private let lock = NSLock()
    private var current: TestProcess?
    public private(set) var starts = 0

    public init(name: String, binary: String, arguments: [String], environment: [String: String], logPath: String) {
        self.name = name
        self.binary = binary
        self.arguments = arguments
        self.environment = environment
        self.logPath = logPath
    }

    public var process: TestProcess? {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    /// Starts (or restarts) the process; its stderr/stdout go to `logPath` (appended).
    public func start() throws {
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }
        let command = ([binary] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let p = try TestProcess("/bin/sh", ["-c", "exec \(command) >>'\(logPath)' 2>&1"], environment: env)
        lock.lock()
        current = p
        starts += 1
        lock.unlock()
    }

    /// `kill -9`, then waits until the process is gone.
    public func kill9() async throws {
        guard let p = process, p.isRunning else { return }
        p.signal(SIGKILL)
        try await p.waitForExit(timeout: .seconds(30))
    }

    /// SIGTERM and wait (a clean shutdown); SIGKILL after `timeout`.
    @discardableResult
    public func terminate(timeout: Duration = .seconds(40)) async -> Int32? {
        guard let p = process, p.isRunning else { return process?.process.terminationStatus }
        p.signal(SIGTERM)
        do {
            return try await p.waitForExit(timeout: timeout)
        } catch {
            p.signal(SIGKILL)
            return try? await p.waitForExit(timeout: .seconds(10))
        }
    }

    public var isRunning: Bool { process?.isRunning ?? false }

    /// The log so far.
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}
