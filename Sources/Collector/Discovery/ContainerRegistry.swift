import ContainerMetrics
import Synchronization

/// The containers the collector follows, shared by the tracker (the only writer), the stats poller and the
/// pipeline's ticker.
final class ContainerRegistry: Sendable {
    struct Entry: Sendable {
        var identity: ContainerIdentity
        var target: StatsTarget
        var running: Bool
        var follower: LogFollower?
        /// As last inspected (its `time` is set when sent).
        var status: ContainerStatus
        /// Changed since last sent: a stopped container's final state is sent once.
        var statusChanged = true
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let metrics: CollectorMetrics

    init(metrics: CollectorMetrics) {
        self.metrics = metrics
    }

    subscript(id: String) -> Entry? {
        entries.withLock { $0[id] }
    }

    func set(_ entry: Entry) {
        let count = entries.withLock {
            $0[entry.identity.id] = entry
            return $0.count
        }
        metrics.set(.containers, count)
    }

    func update(_ id: String, _ body: (inout Entry) -> Void) {
        entries.withLock { if $0[id] != nil { body(&$0[id]!) } }
    }

    @discardableResult
    func remove(_ id: String) -> Entry? {
        let (entry, count) = entries.withLock { ($0.removeValue(forKey: id), $0.count) }
        metrics.set(.containers, count)
        return entry
    }

    var ids: Set<String> { entries.withLock { Set($0.keys) } }

    /// Identity and stats target of every running container.
    var running: [(ContainerIdentity, StatsTarget)] {
        entries.withLock { $0.values.filter(\.running).map { ($0.identity, $0.target) } }
    }

    /// The states to report this round: every running container's, and a stopped one's when it changed since it was
    /// last reported (which clears the mark).
    func takeStatuses() -> [(ContainerIdentity, ContainerStatus)] {
        entries.withLock { entries in
            var out: [(ContainerIdentity, ContainerStatus)] = []
            for (id, e) in entries where e.running || e.statusChanged {
                out.append((e.identity, e.status))
                entries[id]!.statusChanged = false
            }
            return out
        }
    }

    var followers: [LogFollower] {
        entries.withLock { $0.values.compactMap(\.follower) }
    }
}
