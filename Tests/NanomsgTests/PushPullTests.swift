import DockerLibratoTesting
import Testing

@testable import Nanomsg

@Suite("nanomsg PUSH/PULL and PUB/SUB over real sockets")
struct PushPullTests {
    func pair(_ address: String) throws -> (NanoSocket, NanoSocket) {
        let pull = try NanoSocket(.pull)
        try pull.bind(address)
        let push = try NanoSocket(.push)
        try push.connect(address)
        return (push, pull)
    }

    @Test(arguments: ["tcp", "ipc"])
    func deliversInOrder(transport: String) async throws {
        let address = transport == "tcp" ? FreePort.tcpAddress() : FreePort.ipcAddress("pp")
        let (push, pull) = try pair(address)
        defer {
            push.close()
            pull.close()
        }
        let count = 2_000
        let sender = Task {
            for i in 0..<count {
                try await push.send(Array("message \(i)".utf8), timeout: .seconds(10))
            }
        }
        var received: [String] = []
        for try await message in pull.messages {
            received.append(String(decoding: message, as: UTF8.self))
            if received.count == count { break }
        }
        try await sender.value
        #expect(received == (0..<count).map { "message \($0)" })
        #expect(pull.statistic(.messagesReceived) == UInt64(count))
        #expect(push.statistic(.messagesSent) == UInt64(count))
    }

    @Test func emptyAndLargeMessagesRoundTrip() async throws {
        let (push, pull) = try pair(FreePort.tcpAddress())
        defer {
            push.close()
            pull.close()
        }
        let big = (0..<500_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try await push.send([], timeout: .seconds(10))
        try await push.send(big, timeout: .seconds(10))
        #expect(try await pull.receive() == [])
        #expect(try await pull.receive() == big)
    }

    @Test func oversizeMessageIsDroppedAndLaterOnesFlow() async throws {
        let address = FreePort.tcpAddress()
        let pull = try NanoSocket(.pull)
        try pull.setReceiveMaxSize(1024)
        try pull.bind(address)
        let push = try NanoSocket(.push)
        try push.setReconnectInterval(milliseconds: 20, max: 100)
        try push.connect(address)
        defer {
            push.close()
            pull.close()
        }
        try await push.send([UInt8](repeating: 7, count: 4096), timeout: .seconds(10))
        // The connection carrying the big message is dropped (nanomsg tells neither side); messages sent into the
        // dying connection are lost too (at-most-once). The PUSH reconnects and later messages arrive.
        let receiver = Task { try await pull.receive() }
        let sender = Task {
            while !Task.isCancelled {
                _ = try? push.trySend(Array("small".utf8))
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
        let got = try await receiver.value
        sender.cancel()
        #expect(got == Array("small".utf8))
        #expect(pull.statistic(.brokenConnections) >= 1)
    }

    @Test func unlimitedReceiveSizeIsRefused() throws {
        let pull = try NanoSocket(.pull)
        defer { pull.close() }
        #expect(throws: NanomsgError.self) { try pull.setReceiveMaxSize(-1) }
        #expect(throws: NanomsgError.self) { try pull.setReceiveMaxSize(0) }
        try pull.setReceiveMaxSize(2 << 20)
        #expect(try pull.option(NN_RCVMAXSIZE_VALUE, name: "NN_RCVMAXSIZE") == 2 << 20)
    }

    @Test func pushWithoutPeerDoesNotBlock() async throws {
        let push = try NanoSocket(.push)
        defer { push.close() }
        try push.connect(FreePort.tcpAddress())
        #expect(try push.trySend([1, 2, 3]) == false)
        await #expect(throws: NanomsgError.timedOut(operation: "send")) {
            try await push.send([1, 2, 3], timeout: .milliseconds(100))
        }
    }

    @Test func pubSubFiltersByTopic() async throws {
        let address = FreePort.tcpAddress()
        let pub = try NanoSocket(.pub)
        try pub.bind(address)
        let sub = try NanoSocket(.sub)
        try sub.subscribe(Array("me".utf8))
        try sub.connect(address)
        defer {
            pub.close()
            sub.close()
        }
        // PUB drops messages while no subscriber is connected: publish until the subscriber has one.
        let receiver = Task { try await sub.receive() }
        let publisher = Task {
            while !Task.isCancelled {
                _ = try? pub.trySend(Array("other:x".utf8))
                _ = try? pub.trySend(Array("me:hello".utf8))
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
        let got = try await receiver.value
        publisher.cancel()
        // The first message the subscriber sees is one of its topic: the other topic was filtered out.
        #expect(String(decoding: got, as: UTF8.self) == "me:hello")
    }
}

/// `NN_RCVMAXSIZE` as imported from the C header.
let NN_RCVMAXSIZE_VALUE: Int32 = 16

