// Test-only code: Foundation for files and processes.
import DockerLibratoTesting
import Foundation
import Testing

/// The built `docker-librato` as a process of its own (optionally through setpriv/unshare), its log in a temporary
/// directory, always stopped at the end.
struct Role {
    let dir: String
    let process: RoleProcess

    var log: String { process.log }

    /// What the dry-run sink wrote (the requests the hub would have sent to Librato).
    var dryRun: String { (try? String(contentsOfFile: dir + "/dry-run.txt", encoding: .utf8)) ?? "" }

    /// Runs `command` (the binary's arguments after `prefix`, e.g. setpriv …) with `environment`, then stops it.
    static func with<T>(
        _ name: String, prefix: [String] = [], arguments: [String], environment: [String: String], _ body: (Role) async throws -> T
    ) async throws -> T {
        let binary = try ProductBinary.path()
        let dir = NSTemporaryDirectory() + "dl-access-\(name)-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // Writable for an unprivileged user too (the dry-run output lands here).
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: dir)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var env = ["DRY_RUN_OUTPUT": dir + "/dry-run.txt", "HTTP_LISTEN": "off", "LOG_LEVEL": "info"]
        env.merge(environment) { _, new in new }
        let executable = prefix.first ?? binary
        let process = RoleProcess(
            name: name, binary: executable, arguments: (prefix.isEmpty ? [] : Array(prefix.dropFirst()) + [binary]) + arguments, environment: env,
            logPath: dir + "/role.log")
        try process.start()
        let role = Role(dir: dir, process: process)
        do {
            let result = try await body(role)
            await process.terminate(timeout: .seconds(30))
            return result
        } catch {
            await process.terminate(timeout: .seconds(30))
            print("\(name) log:\n\(role.log.suffix(4000))")
            throw error
        }
    }

    /// Waits until the log holds `text`.
    func waitForLog(_ text: String, timeout: Duration = .seconds(60)) async throws {
        try await Eventually.wait(for: "\(process.name) to log \"\(text)\"", timeout: timeout, every: .milliseconds(100)) {
            if log.contains(text) { return true }
            if !process.isRunning { throw Exited(log: String(log.suffix(3000))) }
            return false
        }
    }

    /// Waits until the dry-run output holds a measurement `name` for `container`.
    func waitForMeasurement(_ name: String, container: String, timeout: Duration = .seconds(60)) async throws {
        try await Eventually.wait(for: "\(name) of \(container) in the dry-run output", timeout: timeout, every: .milliseconds(200)) {
            if Self.measurement(name, container: container, in: dryRun) { return true }
            if !process.isRunning { throw Exited(log: String(log.suffix(3000))) }
            return false
        }
    }

    /// The values posted for measurement `name` of `container`, in period order: a counter's per-period deltas, a
    /// gauge's value or (several samples in the period: a complex gauge) its mean.
    func values(_ name: String, container: String) -> [Double] {
        var out: [(time: Double, value: Double)] = []
        for line in dryRun.split(separator: "\n") where line.hasPrefix("{") {
            guard let body = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            for case let g as [String: Any] in body["gauges"] as? [Any] ?? [] {
                guard g["name"] as? String == name, let source = g["source"] as? String, source.hasSuffix(":\(container)") else { continue }
                let time = (g["measure_time"] as? NSNumber)?.doubleValue ?? 0
                if let value = g["value"] as? NSNumber {
                    out.append((time, value.doubleValue))
                } else if let sum = g["sum"] as? NSNumber, let count = g["count"] as? NSNumber, count.doubleValue > 0 {
                    out.append((time, sum.doubleValue / count.doubleValue))
                }
            }
        }
        return out.sorted { $0.time < $1.time }.map(\.value)
    }

    /// A counter's deltas summed over every period posted.
    func total(_ name: String, container: String) -> Double {
        values(name, container: container).reduce(0, +)
    }

    static func measurement(_ name: String, container: String, in text: String) -> Bool {
        text.split(separator: "\n").contains { line in
            line.contains("\"name\":\"\(name)\",\"source\":\"") && line.contains(":\(container)\"")
        }
    }

    struct Exited: Error, CustomStringConvertible {
        var log: String
        var description: String { "the process exited; its log ends with:\n\(log)" }
    }
}

/// The unprivileged user `scripts/test-env.sh` makes (`useradd --system dl-test-nonroot`).
enum NonRootUser {
    static let name = "dl-test-nonroot"

    /// Its uid; fails loudly when the test setup did not make it.
    static func uid() async throws -> String {
        let (status, out, _) = try await TestProcess.run("/usr/bin/id", ["-u", name])
        guard status == 0 else { throw MissingUser(name: name) }
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The gid owning the Docker socket.
    static func socketGroup(_ path: String = DockerTestHelper.socketPath) throws -> String {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return "\(attributes[.groupOwnerAccountID] as? NSNumber ?? 0)"
    }
}

struct MissingUser: Error, CustomStringConvertible {
    var name: String
    var description: String { "no user \(name) on this machine: run scripts/test-env.sh (it adds it)" }
}
