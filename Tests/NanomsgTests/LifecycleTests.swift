import DockerLibratoTesting
import Testing

@testable import Nanomsg

@Suite("nanomsg socket lifetime, errors and addresses")
struct LifecycleTests {
    @Test func closeIsIdempotentAndLaterCallsFail() throws {
        let s = try NanoSocket(.pull)
        s.close()
        s.close()
        #expect(s.isClosed)
        #expect(throws: NanomsgError.closed) { try s.bind(FreePort.tcpAddress()) }
        #expect(throws: NanomsgError.closed) { _ = try s.tryReceive() }
        #expect(s.statistic(.messagesReceived) == 0)
    }

    @Test func closingEndsAPendingReceiveAndTheSequence() async throws {
        let s = try NanoSocket(.pull)
        try s.bind(FreePort.tcpAddress())
        let waiting = Task { () -> Int in
            var n = 0
            for try await _ in s.messages { n += 1 }
            return n
        }
        // The receiver parks on the fd (no thread blocked); closing from another task ends the sequence.
        try await Task.sleep(for: .milliseconds(50))
        s.close()
        #expect(try await waiting.value == 0)
    }

    @Test func cancellingAPendingReceiveThrowsCancellation() async throws {
        let s = try NanoSocket(.pull)
        defer { s.close() }
        try s.bind(FreePort.tcpAddress())
        let waiting = Task { try await s.receive() }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        // The socket still works after a cancelled wait.
        let push = try NanoSocket(.push)
        defer { push.close() }
        #expect(try s.tryReceive() == nil)
    }

    @Test func manyReceiversOnManySocketsDoNotExhaustThreads() async throws {
        // 64 parked receivers would deadlock a cooperative pool of 2 threads if receive blocked a thread.
        var sockets: [NanoSocket] = []
        for _ in 0..<64 {
            let s = try NanoSocket(.pull)
            try s.bind(FreePort.ipcAddress("many"))
            sockets.append(s)
        }
        let tasks = sockets.map { s in Task { try? await s.receive() } }
        let address = FreePort.tcpAddress()
        let (push, pull) = (try NanoSocket(.push), try NanoSocket(.pull))
        try pull.bind(address)
        try push.connect(address)
        try await push.send([42], timeout: .seconds(10))
        #expect(try await pull.receive() == [42])
        for s in sockets { s.close() }
        for t in tasks { _ = await t.value }
        push.close()
        pull.close()
    }

    @Test func bindErrorsCarryStrerror() throws {
        let address = FreePort.tcpAddress()
        let a = try NanoSocket(.pull)
        let b = try NanoSocket(.pull)
        defer {
            a.close()
            b.close()
        }
        try a.bind(address)
        do {
            try b.bind(address)
            Issue.record("second bind of \(address) succeeded")
        } catch {
            #expect(error.code == 98)  // EADDRINUSE
            #expect(error.description.contains("Address already in use"))
        }
    }

    @Test(arguments: [
        "ipc:///tmp/" + String(repeating: "x", count: 110),
        "tcp://127.0.0.1",
        "tcp://127.0.0.1:0",
        "udp://127.0.0.1:5555",
        "tcp://127.0.0.1:" + String(repeating: "9", count: 130),
    ])
    func addressesThatWouldCrashOrFailAreRejectedFirst(address: String) throws {
        let s = try NanoSocket(.pull)
        defer { s.close() }
        #expect {
            try s.bind(address)
        } throws: { error in
            guard case NanomsgError.invalidAddress = error else { return false }
            return true
        }
    }

    @Test func pushCannotReceiveAndPullCannotSend() async throws {
        let push = try NanoSocket(.push)
        let pull = try NanoSocket(.pull)
        defer {
            push.close()
            pull.close()
        }
        await #expect(throws: NanomsgError.self) { try await push.receive() }
        await #expect(throws: NanomsgError.self) { try await pull.send([1], timeout: .milliseconds(10)) }
        #expect(throws: NanomsgError.self) { try pull.subscribe([]) }
    }

    @Test func optionsReadBack() throws {
        let s = try NanoSocket(.push)
        defer { s.close() }
        try s.setSendBuffer(65536)
        try s.setReceiveTimeout(milliseconds: 250)
        try s.setTCPNoDelay(true)
        try s.setIPv4Only(true)
        try s.setReconnectInterval(milliseconds: 50, max: 5000)
        #expect(try s.option(2, name: "NN_SNDBUF") == 65536)
        #expect(try s.option(7, name: "NN_RECONNECT_IVL_MAX") == 5000)
        #expect(try s.option(level: -3, 1, name: "NN_TCP_NODELAY") == 1)
    }
}
