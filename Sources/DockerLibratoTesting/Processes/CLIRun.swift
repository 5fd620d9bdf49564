import Foundation

/// Runs the built `docker-librato` as an operator would: the given arguments, exactly the given environment (plus
/// PATH and HOME), output through files read after the exit so that none of it is missed however busy the machine is.
public enum CLIRun {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    public static func run(
        _ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(60), from filePath: String = #filePath
    ) async throws -> Result {
        var env = environment
        env["PATH"] = env["PATH"] ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        env["HOME"] = env["HOME"] ?? ProcessInfo.processInfo.environment["HOME"] ?? "/root"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = try TestProcess(
            "/bin/sh", ["-c", #"exec "$0" "$@" >"$OUT" 2>"$ERR""#, try ProductBinary.path(from: filePath)] + arguments,
            environment: env.merging(["OUT": "\(dir)/out", "ERR": "\(dir)/err"]) { $1 })
        let status = try await p.waitForExit(timeout: timeout)
        return Result(
            status: status, stdout: try String(contentsOfFile: "\(dir)/out", encoding: .utf8),
            stderr: try String(contentsOfFile: "\(dir)/err", encoding: .utf8))
    }
}
