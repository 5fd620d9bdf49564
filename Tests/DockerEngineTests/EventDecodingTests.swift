import ContainerMetrics
import Testing

@testable import DockerEngine

@Suite struct EventDecodingTests {
    static let lines = #"""
        {"status":"start","id":"abc123","from":"local/busybox:latest","Type":"container","Action":"start","Actor":{"ID":"abc123","Attributes":{"image":"local/busybox:latest","name":"web"}},"scope":"local","time":1795577108,"timeNano":1795577108517974356}
        {"status":"kill","id":"abc123","from":"local/busybox:latest","Type":"container","Action":"kill","Actor":{"ID":"abc123","Attributes":{"image":"local/busybox:latest","name":"web","signal":"15"}},"scope":"local","time":1795577109,"timeNano":1795577109000000001}

        {"status":"die","id":"abc123","from":"local/busybox:latest","Type":"container","Action":"die","Actor":{"ID":"abc123","Attributes":{"exitCode":"143","image":"local/busybox:latest","name":"web"}},"scope":"local","time":1795577109,"timeNano":1795577109000000002}
        {"status":"health_status: healthy","id":"abc123","Type":"container","Action":"health_status: healthy","Actor":{"ID":"abc123","Attributes":{"name":"web"}},"scope":"local","time":1795577110,"timeNano":1795577110000000000}

        """#

    @Test func decodesEventLinesAtEverySplit() throws {
        let bytes = Array(Self.lines.utf8)
        func decode(_ chunks: [ArraySlice<UInt8>]) throws -> [ContainerEvent] {
            var decoder = JSONLinesDecoder<ContainerEvent>()
            var out: [ContainerEvent] = []
            for chunk in chunks {
                decoder.feed(chunk)
                while let e = try decoder.next() { out.append(e) }
            }
            decoder.finish()
            while let e = try decoder.next() { out.append(e) }
            return out
        }
        let whole = try decode([bytes[...]])
        #expect(whole.map(\.action) == ["start", "kill", "die", "health_status: healthy"])
        #expect(
            whole[0]
                == ContainerEvent(
                    action: "start",
                    id: "abc123",
                    attributes: ["image": "local/busybox:latest", "name": "web"],
                    timeNano: 1_795_577_108_517_974_356
                )
        )
        #expect(whole[1].signal == "15")
        #expect(whole[2].exitCode == 143)
        #expect(
            whole.map(\.lifecycleEvent) == [
                LifecycleEvent(timeNano: 1_795_577_108_517_974_356, action: "start"),
                LifecycleEvent(timeNano: 1_795_577_109_000_000_001, action: "kill", detail: "15"),
                LifecycleEvent(timeNano: 1_795_577_109_000_000_002, action: "die", exitCode: 143),
                LifecycleEvent(timeNano: 1_795_577_110_000_000_000, action: "health_status", detail: "healthy"),
            ]
        )
        for cut in 0...bytes.count {
            #expect(try decode([bytes[..<cut], bytes[cut...]]) == whole, "split at \(cut)")
        }
    }

    /// Podman 4.3's compatible `/events` (recorded): `die` as dockerd names it, with `exitCode`; `remove` where
    /// dockerd says `destroy`, decoded as `destroy` so that the collector forgets the container.
    @Test func podmanRemoveIsDestroy() throws {
        let lines = #"""
            {"status":"die","id":"ee39","from":"localhost/local/busybox:latest","Type":"container","Action":"die","Actor":{"ID":"ee39","Attributes":{"containerExitCode":"137","exitCode":"137","image":"localhost/local/busybox:latest","name":"probe1","podId":""}},"scope":"local","time":1796193069,"timeNano":1796193069101010101}
            {"status":"cleanup","id":"ee39","from":"localhost/local/busybox:latest","Type":"container","Action":"cleanup","Actor":{"ID":"ee39","Attributes":{"containerExitCode":"0","image":"localhost/local/busybox:latest","name":"probe1","podId":""}},"scope":"local","time":1796193069,"timeNano":1796193069202020202}
            {"status":"remove","id":"ee39","from":"localhost/local/busybox:latest","Type":"container","Action":"remove","Actor":{"ID":"ee39","Attributes":{"containerExitCode":"0","image":"localhost/local/busybox:latest","name":"probe1","podId":""}},"scope":"local","time":1796193069,"timeNano":1796193069303030303}

            """#
        var decoder = JSONLinesDecoder<ContainerEvent>()
        decoder.feed(Array(lines.utf8))
        var events: [ContainerEvent] = []
        while let e = try decoder.next() { events.append(e) }
        #expect(events.map(\.action) == ["die", "cleanup", "destroy"])
        #expect(events[0].exitCode == 137 && events[0].name == "probe1")
        #expect(events.map(\.lifecycleEvent.action).filter(LifecycleEvent.reportedActions.contains) == ["die", "destroy"])
    }

    @Test func undecodableLineIsAnError() {
        var decoder = JSONLinesDecoder<ContainerEvent>()
        decoder.feed(Array("{not json}\n".utf8))
        #expect(throws: DockerError.self) { try decoder.next() }
    }
}
