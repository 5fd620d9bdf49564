#if canImport(Glibc)
import Glibc
#endif
import Logging
import DockerLibratoTesting
import Testing

@testable import Librato

@Suite("Credentials and configuration")
struct CredentialsTests {
    let token = "s3cr3t-t0ken"

    func creds(_ env: [String: String], files: [String: String] = [:], logger: Logger? = nil) throws(LibratoConfigurationError) -> LibratoCredentials? {
        try LibratoCredentials.fromEnvironment(env, logger: logger) { path in
            guard let text = files[path] else { throw SystemIOError(reason: "No such file or directory") }
            return text
        }
    }

    @Test("nothing configured means dry run (nil)")
    func none() throws {
        #expect(try creds([:]) == nil)
        #expect(try creds(["LIBRATO_EMAIL": "  ", "LIBRATO_TOKEN": ""]) == nil)
    }

    @Test("email + token from the environment, blanks trimmed; Basic header")
    func fromEnv() throws {
        let c = try #require(try creds(["LIBRATO_EMAIL": " fake@example.com ", "LIBRATO_TOKEN": "s3cr3t-t0ken\n"]))
        #expect(c.email == "fake@example.com")
        #expect(c.token == token)
        #expect(c.authorizationHeader == "Basic ZmFrZUBleGFtcGxlLmNvbTpzM2NyM3QtdDBrZW4=")
    }

    @Test("the token file wins over LIBRATO_TOKEN, with a warning; its trailing newline is trimmed")
    func fileWins() throws {
        let logs = LogCapture()
        let c = try #require(try creds(
            ["LIBRATO_EMAIL": "a@b.c", "LIBRATO_TOKEN": "env-token", "LIBRATO_TOKEN_FILE": "/run/secrets/librato"],
            files: ["/run/secrets/librato": "file-token\n"], logger: logs.logger()))
        #expect(c.token == "file-token")
        #expect(logs.entries.contains { $0.level == .warning && $0.message.contains("LIBRATO_TOKEN_FILE") })
        #expect(!logs.text.contains("file-token") && !logs.text.contains("env-token"))
    }

    @Test("errors name the variable and never quote the token")
    func errors() {
        func error(_ env: [String: String], files: [String: String] = [:]) -> String {
            do {
                _ = try creds(env, files: files)
                return "no error"
            } catch {
                return error.description
            }
        }
        #expect(error(["LIBRATO_EMAIL": "a@b.c"]).contains("LIBRATO_TOKEN or LIBRATO_TOKEN_FILE"))
        #expect(error(["LIBRATO_TOKEN": token]).contains("LIBRATO_EMAIL"))
        #expect(error(["LIBRATO_EMAIL": "a@b.c", "LIBRATO_TOKEN_FILE": "/nope"]).contains("LIBRATO_TOKEN_FILE=/nope"))
        #expect(error(["LIBRATO_EMAIL": "a@b.c", "LIBRATO_TOKEN_FILE": "/empty"], files: ["/empty": "\n"]).contains("empty"))
        let bad = error(["LIBRATO_EMAIL": "a@b.c", "LIBRATO_TOKEN": "tok en"])
        #expect(bad.contains("LIBRATO_TOKEN") && !bad.contains("tok en"))
        #expect(error(["LIBRATO_EMAIL": "ü@b.c", "LIBRATO_TOKEN": token]).contains("LIBRATO_EMAIL"))
    }

    @Test("description, debugDescription, dump and mirrors redact the token")
    func redaction() {
        let c = LibratoCredentials(email: "a@b.c", token: token)
        var dumped = ""
        dump(c, to: &dumped)
        for text in [c.description, c.debugDescription, String(describing: c), String(reflecting: c), "\(c)", dumped] {
            #expect(!text.contains(token))
            #expect(text.contains("a@b.c"))
        }
        #expect(!Mirror(reflecting: c).children.contains { "\($0.value)".contains(token) })
    }

    @Test("the token file is read from disk")
    func realFile() throws {
        let path = "/tmp/librato-token-test-\(getpid())"
        try SystemIO.append(Array("disk-token\n".utf8), toFile: path)
        defer { unlink(path) }
        let c = try LibratoCredentials.fromEnvironment(["LIBRATO_EMAIL": "a@b.c", "LIBRATO_TOKEN_FILE": path])
        #expect(c?.token == "disk-token")
    }

    @Test("LIBRATO_API and LIBRATO_API_URL")
    func configuration() throws {
        #expect(try LibratoAPI(environmentValue: nil) == .legacy)
        #expect(try LibratoAPI(environmentValue: " Tagged ") == .tagged)
        #expect(throws: LibratoConfigurationError.self) { try LibratoAPI(environmentValue: "v2") }
        let c = try LibratoConfiguration.fromEnvironment(["LIBRATO_API": "tagged", "LIBRATO_API_URL": "http://127.0.0.1:9/v1/"])
        #expect(c.api == .tagged)
        #expect(c.baseURL == "http://127.0.0.1:9")
        #expect(try LibratoConfiguration.fromEnvironment([:]).baseURL == "https://metrics-api.librato.com")
        #expect(throws: LibratoConfigurationError.self) { try LibratoConfiguration.validatedBaseURL("ftp://x") }
        #expect(throws: LibratoConfigurationError.self) { try LibratoConfiguration.validatedBaseURL("https://") }
        do {
            _ = try LibratoConfiguration.validatedBaseURL("https://a%40b.c:\(token)@metrics-api.librato.com")
            Issue.record("credentials in the URL were accepted")
        } catch {
            #expect(!error.description.contains(token))
            #expect(error.description.contains("LIBRATO_API_URL"))
        }
    }
}
