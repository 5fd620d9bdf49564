@_spi(Simulation) import Collector
import ContainerMetrics
import DockerLibratoTesting
import Testing
import WireFormat
import Timekeeping

@Suite struct BatchBuilderTests {
    let a = ContainerIdentity(id: String(repeating: "a", count: 64), name: "web-1", image: "busybox", labels: ["com.docker.compose.service": "web"])
    let b = ContainerIdentity(id: String(repeating: "b", count: 64), name: "db", image: "postgres:16")
    let t0 = MonotonicInstant.zero

    @Test func containersFirstRecordsByIndexInOrder() {
        var builder = BatchBuilder(maxBytes: 1 << 20, maxAge: .seconds(1))
        #expect(builder.add(.log(a, LogBucket(stream: .stdout, second: 10, lines: 1, bytes: 5)), now: t0) == nil)
        #expect(builder.add(.event(b, LifecycleEvent(timeNano: 1, action: "start")), now: t0) == nil)
        #expect(builder.add(.log(a, LogBucket(stream: .stdout, second: 11, lines: 2, bytes: 9)), now: t0) == nil)
        let batch = builder.take()
        #expect(batch?.containers == [a, b])
        #expect(batch?.logs.map(\.container) == [0, 0])
        #expect(batch?.logs.map(\.value.second) == [10, 11])
        #expect(batch?.events.map(\.container) == [1])
        #expect(builder.take() == nil)
    }

    @Test func sizeBoundIsNeverExceeded() {
        let max = 600
        var builder = BatchBuilder(maxBytes: max, maxAge: .seconds(60))
        var batches: [Batch] = []
        var second: Int64 = 0
        for i in 0..<500 {
            second += 1
            let who = i % 3 == 0 ? b : a
            let bucket = LogBucket(
                stream: .stdout,
                second: second,
                lines: 3,
                bytes: 99,
                measurements: i % 5 == 0 ? [L2metAggregate(L2metToken(kind: .measure, name: "db.latency", value: 12, unit: "ms"))] : []
            )
            if let full = builder.add(.log(who, bucket), now: t0) { batches.append(full) }
            #expect(builder.batch.encode().count <= builder.estimatedBytes)
        }
        if let rest = builder.take() { batches.append(rest) }
        #expect(batches.count > 5)
        #expect(batches.allSatisfy { $0.encode().count <= max })
        // Nothing lost, nothing reordered.
        let seconds = batches.flatMap { $0.logs.map(\.value.second) }
        #expect(seconds == Array(1...500))
    }

    @Test func ageBound() {
        var builder = BatchBuilder(maxBytes: 1 << 20, maxAge: .seconds(1))
        #expect(builder.due(now: t0) == nil)
        _ = builder.add(.event(a, LifecycleEvent(timeNano: 1, action: "start")), now: t0)
        _ = builder.add(.event(a, LifecycleEvent(timeNano: 2, action: "die", exitCode: 0)), now: t0 + .milliseconds(900))
        #expect(builder.due(now: t0 + .milliseconds(999)) == nil)
        #expect(builder.due(now: t0 + .seconds(1))?.events.count == 2)
        #expect(builder.due(now: t0 + .seconds(5)) == nil)
    }
}

@Suite struct CheckpointStoreTests {
    @Test func resumeSince() {
        let c = LogCheckpoint(originNs: 5_000_000_000, seconds: [.stdout: 100, .stderr: 90])
        #expect(c.resumeSinceNs(tty: false) == 91_000_000_000)
        #expect(c.resumeSinceNs(tty: true) == 101_000_000_000)
        let onlyStdout = LogCheckpoint(originNs: 5_000_000_000, seconds: [.stdout: 100])
        #expect(onlyStdout.resumeSinceNs(tty: false) == 5_000_000_000, "a stream without a checkpoint re-reads from the origin")
        #expect(LogCheckpoint(originNs: 0).resumeSinceNs(tty: false) == 0)
    }

    @Test func commitPersistsAndReloads() throws {
        let dir = try FixtureDirectory("checkpoints", files: [:])
        defer { dir.remove() }
        let state = dir.path + "/state"
        let id = String(repeating: "c", count: 64)
        let other = String(repeating: "d", count: 64)
        do {
            let store = try CheckpointStore(stateDirectory: state)
            store.registerOrigin(id, originNs: 7)
            store.registerOrigin(id, originNs: 8)
            let identity = ContainerIdentity(id: id, name: "n", image: "i")
            var batch = Batch()
            let i = batch.index(of: identity)
            batch.logs = [
                ContainerRecord(container: i, LogBucket(stream: .stdout, second: 41)),
                ContainerRecord(container: i, LogBucket(stream: .stdout, second: 42)),
                ContainerRecord(container: i, LogBucket(stream: .stderr, second: 40)),
            ]
            store.commit(batch)
            store.registerOrigin(other, originNs: 0)
            store.commit(
                Batch(
                    containers: [ContainerIdentity(id: other, name: "o", image: "i")],
                    logs: [ContainerRecord(container: 0, LogBucket(stream: .stderr, second: 3))]
                )
            )
            try store.save()
        }
        let reloaded = try CheckpointStore(stateDirectory: state)
        #expect(reloaded.checkpoint(for: id) == LogCheckpoint(originNs: 7, seconds: [.stdout: 42, .stderr: 40]))
        #expect(reloaded.checkpoint(for: other) == LogCheckpoint(originNs: 0, seconds: [.stderr: 3]))
        reloaded.retain([id])
        try reloaded.save()
        #expect(try CheckpointStore(stateDirectory: state).all.keys.sorted() == [id])
    }

    /// Buckets of a destroyed container submitted after its removal do not bring its entry back.
    @Test func removedContainersStayRemoved() throws {
        let store = try CheckpointStore(stateDirectory: nil)
        let id = String(repeating: "f", count: 64)
        let batch = Batch(
            containers: [ContainerIdentity(id: id, name: "n", image: "i")],
            logs: [ContainerRecord(container: 0, LogBucket(stream: .stdout, second: 9))]
        )
        store.commit(batch)
        #expect(store.checkpoint(for: id) == nil, "only followed containers (with an origin) are tracked")
        store.registerOrigin(id, originNs: 5)
        store.commit(batch)
        #expect(store.checkpoint(for: id) == LogCheckpoint(originNs: 5, seconds: [.stdout: 9]))
        store.remove(id)
        store.commit(batch)
        #expect(store.checkpoint(for: id) == nil)
        try store.save()  // no state directory: nothing to write, no error
    }

    @Test func garbageIsIgnored() throws {
        let dir = try FixtureDirectory("checkpoints-bad", files: ["checkpoints": "docker-librato-checkpoints 1\nabc 1 x -\nok 5 - 9\nshort\n"])
        defer { dir.remove() }
        let store = try CheckpointStore(stateDirectory: dir.path)
        #expect(store.all == ["ok": LogCheckpoint(originNs: 5, seconds: [.stderr: 9])])
        let other = try FixtureDirectory("checkpoints-foreign", files: ["checkpoints": "something else\n"])
        defer { other.remove() }
        #expect(try CheckpointStore(stateDirectory: other.path).all.isEmpty)
    }
}
