import ContainerMetrics
import DockerLibratoTesting
import Testing

@testable import DockerEngine

@Suite(.dockerDaemon) struct LiveLogsTests {
    static let lines = 50

    @Test func exactCountsPerStream() async throws {
        let container = try await TestContainer.run(
            "logs",
            command: ["sh", "-c", "i=1; while [ $i -le \(Self.lines) ]; do echo out $i; echo err $i >&2; i=$((i+1)); done"]
        )
        defer { container.remove() }
        try await container.waitForExit()
        try await withDockerClient { client in
            let entries = try await collect(try await client.logs(id: container.id, tty: false), what: "logs") { _ in false }
            let stdout = entries.filter { $0.stream == .stdout }.map { String(decoding: $0.message, as: UTF8.self) }
            let stderr = entries.filter { $0.stream == .stderr }.map { String(decoding: $0.message, as: UTF8.self) }
            #expect(stdout == (1...Self.lines).map { "out \($0)\n" })
            #expect(stderr == (1...Self.lines).map { "err \($0)\n" })
            #expect(entries.allSatisfy { !$0.isPartial && $0.timestampNs > 0 })
            let started = try #require(RFC3339.nanoseconds(try await container.inspect("{{.State.StartedAt}}")))
            #expect(entries.allSatisfy { $0.timestampNs >= started - 1_000_000_000 })

            // The same bytes as the daemon sent them, decoded again after a split at every possible point.
            let raw = Array(
                try await client.getData("/containers/\(container.id)/logs", query: [("stdout", "1"), ("stderr", "1"), ("timestamps", "1")])
            )
            let split = try expectSplitInvariant(LogStreamDecoder(tty: false, timestamps: true), raw, stride: 1)
            #expect(split == entries)

            // Without timestamps.
            let plain = try await collect(try await client.logs(id: container.id, timestamps: false, tty: false), what: "logs") { _ in false }
            #expect(plain.map(\.message) == entries.map(\.message))
            #expect(plain.allSatisfy { $0.timestampNs == 0 })
        }
    }

    /// A 40,001-byte line comes as parts of 16,384 bytes with one timestamp (observed layout, see LogStreamDecoder).
    @Test func longLineComesInParts() async throws {
        let container = try await TestContainer.run(
            "logs-long",
            command: ["sh", "-c", "head -c 40000 /dev/zero | tr '\\0' a; echo; echo short; printf nonl"]
        )
        defer { container.remove() }
        try await container.waitForExit()
        try await withDockerClient { client in
            let entries = try await collect(try await client.logs(id: container.id, tty: false), what: "logs") { _ in false }
            #expect(entries.map(\.message.count) == [16_384, 16_384, 7_233, 6, 4])
            #expect(entries.map(\.isPartial) == [true, true, false, false, true])
            #expect(Set(entries.prefix(3).map(\.timestampNs)).count == 1)
            #expect(entries.prefix(3).flatMap(\.message) == [UInt8](repeating: UInt8(ascii: "a"), count: 40_000) + [0x0A])
        }
    }

    /// With a TTY the stream is raw: `\r\n` endings and 16 KiB parts found by their size.
    @Test func ttyContainer() async throws {
        let container = try await TestContainer.run(
            "logs-tty",
            options: ["-t"],
            command: ["sh", "-c", "head -c 40000 /dev/zero | tr '\\0' b; echo; echo out; echo err >&2; printf nonl"]
        )
        defer { container.remove() }
        try await container.waitForExit()
        try await withDockerClient { client in
            let details = try await client.inspect(id: container.id)
            #expect(details.tty)
            let entries = try await collect(try await client.logs(id: container.id, tty: details.tty), what: "logs") { _ in false }
            #expect(entries.map(\.message.count) == [16_384, 16_384, 7_234, 5, 5, 4])
            #expect(entries.map(\.isPartial) == [true, true, false, false, false, true])
            #expect(entries.suffix(3).map { String(decoding: $0.message, as: UTF8.self) } == ["out\r\n", "err\r\n", "nonl"])
            #expect(entries.allSatisfy { $0.stream == .stdout && $0.timestampNs > 0 })
            #expect(Set(entries.prefix(3).map(\.timestampNs)).count == 1)

            let raw = Array(
                try await client.getData("/containers/\(container.id)/logs", query: [("stdout", "1"), ("stderr", "1"), ("timestamps", "1")])
            )
            #expect(try expectSplitInvariant(LogStreamDecoder(tty: true, timestamps: true), raw, stride: 101) == entries)
        }
    }

    /// `follow=1` delivers lines as they are written and ends when the container stops.
    @Test func followUntilTheContainerExits() async throws {
        let container = try await TestContainer.run("logs-follow", command: ["sh", "-c", "for i in 1 2 3 4 5; do echo line $i; sleep 0.2; done"])
        defer { container.remove() }
        try await withDockerClient { client in
            let stream = try await client.logs(id: container.id, follow: true, tty: false)
            let entries = try await collect(stream, what: "followed logs") { _ in false }
            #expect(entries.map { String(decoding: $0.message, as: UTF8.self) } == (1...5).map { "line \($0)\n" })
            #expect(try await container.hasExited())
        }
    }

    /// `since` skips earlier lines (the collector's checkpoint).
    @Test func sinceSkipsEarlierLines() async throws {
        let container = try await TestContainer.run("logs-since", command: ["sh", "-c", "echo one; sleep 1; echo two"])
        defer { container.remove() }
        try await container.waitForExit()
        try await withDockerClient { client in
            let all = try await collect(try await client.logs(id: container.id, tty: false), what: "logs") { _ in false }
            #expect(all.count == 2)
            let later = try await collect(try await client.logs(id: container.id, since: all[1].timestampNs, tty: false), what: "logs") { _ in false }
            #expect(later == [all[1]])
        }
    }
}
