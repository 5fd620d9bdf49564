import DockerLibratoTesting
import Glibc
import Testing

@testable import Nanomsg

/// Wire compatibility with nanomsg's own command-line tool, in both directions.
@Suite("interop with nanocat (nanomsg-utils)")
struct NanocatInteropTests {
    @Test func nanocatPushesToOurPull() async throws {
        let address = FreePort.tcpAddress()
        let pull = try NanoSocket(.pull)
        defer { pull.close() }
        try pull.bind(address)
        // -i repeats the send every second until we have it, so a slow start cannot lose the only message.
        let cat = try TestProcess("nanocat", ["--push", "--connect", address, "--data", "hello from nanocat", "-i", "1"])
        defer { cat.signal(SIGKILL) }
        let message = try await pull.receive()
        #expect(String(decoding: message, as: UTF8.self) == "hello from nanocat")
    }

    @Test func ourPushReachesNanocatPull() async throws {
        let address = FreePort.tcpAddress()
        let cat = try TestProcess("nanocat", ["--pull", "--bind", address, "--ascii"])
        defer { cat.signal(SIGKILL) }
        let push = try NanoSocket(.push)
        defer { push.close() }
        try push.connect(address)
        try await push.send(Array("hello from swift".utf8), timeout: .seconds(20))
        try await Eventually.wait(for: "nanocat to print the message") { cat.stdout.contains("hello from swift") }
    }

    @Test func ipcBothWays() async throws {
        let address = FreePort.ipcAddress("cat")
        let pull = try NanoSocket(.pull)
        defer { pull.close() }
        try pull.bind(address)
        let cat = try TestProcess("nanocat", ["--push", "--connect", address, "--data", "over ipc", "-i", "1"])
        defer { cat.signal(SIGKILL) }
        #expect(String(decoding: try await pull.receive(), as: UTF8.self) == "over ipc")
    }
}
