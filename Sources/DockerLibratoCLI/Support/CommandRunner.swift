import ArgumentParser
import Logging

/// How every command that logs starts and ends: logging from `LOG_LEVEL` / `LOG_FORMAT`, then the command; an error
/// ends the process with exit status 1 after one log line at `critical` level in the configured format (a JSON
/// object with `LOG_FORMAT=json`), in the same words whatever failed: `NAME must be FORM, got "VALUE"` for a bad
/// setting, the cause for anything else. Nothing fatal is swallowed and nothing exits 0 on failure.
enum CommandRunner {
    /// `announces`: a long-running role logs its release first, so that every log of it says what ran.
    static func run(label: String, announces: Bool = true, _ body: (Settings, Logger) async throws -> Void) async throws {
        let settings = Settings()
        try LogfmtHandler.bootstrap(settings: settings)
        let logger = Logger(label: label)
        if announces {
            logger.info("docker-librato \(DockerLibrato.version) starting", metadata: ["version": "\(DockerLibrato.version)", "role": "\(label)"])
        }
        do {
            try await body(settings, logger)
        } catch let exit as ExitCode {
            throw exit
        } catch is CancellationError {
            throw ExitCode.failure
        } catch {
            logger.critical("\(error)")
            throw ExitCode.failure
        }
    }
}
