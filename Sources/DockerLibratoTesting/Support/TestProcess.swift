import Foundation

/// A child process for tests (nanocat, docker CLI, the docker-librato binary itself), with its output captured.
///
/// Test-only code: this library is never linked into the shipped binary, so Foundation's `Process` is fine here.
public final class TestProcess: @unchecked Sendable {
    public let process = Process()
    private let stdoutPipe = Pipe()
    private let stderrPipe = Pipe()
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()
    /// Pipes that reached end-of-file (the handler sees empty data once the last writer closed its end).
    private var closedPipes = 0

    /// Starts `executable` with `arguments` (an absolute path, or a name looked up in PATH).
    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws {
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : try Self.which(executable))
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        stdoutPipe.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            if d.isEmpty { h.readabilityHandler = nil }
            guard let self else { return }
            self.lock.lock()
            if d.isEmpty { self.closedPipes += 1 } else { self.out.append(d) }
            self.lock.unlock()
        }
        stderrPipe.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            if d.isEmpty { h.readabilityHandler = nil }
            guard let self else { return }
            self.lock.lock()
            if d.isEmpty { self.closedPipes += 1 } else { self.err.append(d) }
            self.lock.unlock()
        }
        try process.run()
    }

    /// Everything written to stdout so far.
    public var stdout: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: out, as: UTF8.self)
    }

    public var stdoutBytes: [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        return Array(out)
    }

    public var stderr: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: err, as: UTF8.self)
    }

    public var isRunning: Bool { process.isRunning }

    /// Whether both pipes have reached end-of-file.
    private var outputClosed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return closedPipes == 2
    }
    public var pid: Int32 { process.processIdentifier }

    /// Sends `signal` (SIGTERM by default; `SIGKILL` for fault tests).
    public func signal(_ signal: Int32 = SIGTERM) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// Waits for the process to exit (polling, without blocking a concurrency thread) and returns its status.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        try await Eventually.wait(for: "process \(process.executableURL?.lastPathComponent ?? "?") to exit", timeout: timeout) {
            !process.isRunning
        }
        // Let the readability handlers collect the last output: both pipes at end-of-file, or at most 5 s (a child
        // the process left behind, e.g. a daemon's shim, may hold them open for ever).
        _ = try? await Eventually.wait(for: "the output of \(process.executableURL?.lastPathComponent ?? "?")", timeout: .seconds(5), every: .milliseconds(5)) {
            outputClosed
        }
        return process.terminationStatus
    }

    /// Runs to completion and returns (status, stdout, stderr).
    public static func run(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(120)) async throws -> (
        status: Int32, stdout: String, stderr: String
    ) {
        let p = try TestProcess(executable, arguments)
        let status = try await p.waitForExit(timeout: timeout)
        return (status, p.stdout, p.stderr)
    }

    static func which(_ name: String) throws -> String {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw NotFound(name: name)
    }

    public struct NotFound: Error, CustomStringConvertible {
        public let name: String
        public var description: String { "\(name) not found in PATH; run scripts/test-env.sh to install what the tests need" }
    }

    deinit {
        stdoutPipe.fileHandleForReading.readabilityHandler = nil
        stderrPipe.fileHandleForReading.readabilityHandler = nil
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
