#if canImport(Glibc)
import Glibc
#endif
import DockerLibratoTesting
import Logging
import Synchronization
import Testing

@testable import Librato

@Suite("Dry-run sink")
struct DryRunSinkTests {
    final class Lines: Sendable {
        let storage = Mutex<[String]>([])
        func append(_ s: String) { storage.withLock { $0.append(s) } }
        var all: [String] { storage.withLock { $0 } }
    }

    @Test("prints each request exactly as it would be sent, Authorization redacted")
    func format() async throws {
        let lines = Lines()
        let sink = DryRunSink(configuration: LibratoConfiguration(), output: .custom { lines.append($0) }, logger: quietLogger)
        let t = alignedNow()
        let report = await sink.submit([Measurement(name: "cpu", source: "web 1", time: t, value: .single(1.5))])
        #expect(report.accepted == 1)
        let body = #"{"gauges":[{"name":"cpu","source":"web_1","measure_time":\#(t),"value":1.5}]}"#
        #expect(lines.all == [
            """
            POST https://metrics-api.librato.com/v1/metrics
            Authorization: Basic <redacted>
            Content-Type: application/json
            Accept: application/json
            User-Agent: docker-librato/\(LibratoClient.version)
            Content-Length: \(body.utf8.count)

            \(body)


            """
        ])
    }

    @Test("pretty: one measurement per line, indented, the same JSON as the compact body")
    func pretty() async throws {
        let lines = Lines()
        let sink = DryRunSink(configuration: LibratoConfiguration(), output: .custom { lines.append($0) }, format: .pretty, logger: quietLogger)
        let t = alignedNow()
        _ = await sink.submit([
            Measurement(name: "cpu", source: "web", time: t, value: .single(1.5)),
            Measurement(name: "mem", source: "web", time: t, value: .single(2)),
        ])
        let text = try #require(lines.all.first)
        let compact = #"{"gauges":[{"name":"cpu","source":"web","measure_time":\#(t),"value":1.5},{"name":"mem","source":"web","measure_time":\#(t),"value":2}]}"#
        #expect(
            text.hasSuffix(
                """
                Content-Length: \(compact.utf8.count)

                {
                  "gauges": [
                    {"name": "cpu", "source": "web", "measure_time": \(t), "value": 1.5},
                    {"name": "mem", "source": "web", "measure_time": \(t), "value": 2}
                  ]
                }


                """), "\(text)")
        let body = text.components(separatedBy: "\n\n")[1]
        #expect(try JSONValue.parse(Array(body.utf8)) == JSONValue.parse(Array(compact.utf8)))
    }

    @Test("batches like the client: 2500 tagged measurements print as 3 requests")
    func batches() async {
        let lines = Lines()
        let sink = DryRunSink(configuration: LibratoConfiguration(api: .tagged), output: .custom { lines.append($0) }, logger: quietLogger)
        let report = await sink.submit(gauges(2500))
        #expect(report.accepted == 2500)
        #expect(lines.all.count == 3)
        #expect(lines.all.allSatisfy { $0.hasPrefix("POST https://metrics-api.librato.com/v1/measurements\n") })
    }

    @Test("appends to a file, and prints annotations")
    func file() async throws {
        let path = "/tmp/librato-dry-run-\(getpid())"
        unlink(path)
        defer { unlink(path) }
        let sink = DryRunSink(configuration: LibratoConfiguration(), output: .file(path: path), logger: quietLogger)
        _ = await sink.submit(gauges(2))
        #expect(await sink.annotate(Annotation(stream: "events", title: "hello")) == .dryRun)
        let text = try SystemIO.readFile(path)
        #expect(text.components(separatedBy: "POST ").count == 3)
        #expect(text.contains("POST https://metrics-api.librato.com/v1/annotations/events\n"))
        #expect(text.contains(#"{"title":"hello"}"#))
    }

    @Test("no credential selects the dry-run sink; a credential the client")
    func factory() async throws {
        let logs = LogCapture()
        let dry = makeMetricsSink(configuration: LibratoConfiguration(), credentials: nil, logger: logs.logger())
        #expect(dry is DryRunSink)
        #expect(logs.entries.contains { $0.message.contains("dry run") })
        let real = makeMetricsSink(configuration: LibratoConfiguration(), credentials: LibratoCredentials(email: "a", token: "b"), logger: logs.logger())
        #expect(real is LibratoClient)
        try await real.shutdown()
    }
}

extension String {
    /// Splits on a separator string (no Foundation).
    func components(separatedBy separator: String) -> [String] {
        var parts: [String] = []
        var rest = Substring(self)
        while let r = rest.firstRange(of: separator) {
            parts.append(String(rest[..<r.lowerBound]))
            rest = rest[r.upperBound...]
        }
        parts.append(String(rest))
        return parts
    }
}
