import ContainerMetrics
import Librato

/// Lifecycle events become Librato annotations on one stream per cluster (`docker-librato.<cluster>`), coalesced
/// per container and action within a period: a restart loop yields one "web-1: restart ×40" annotation, not forty.
enum EventAnnotations {
    /// Actions worth an annotation (create/stop/rename/update and healthy health checks are not).
    static let annotated: Set<String> = ["start", "die", "oom", "kill", "restart", "pause", "unpause", "destroy", "health_status"]
    /// At most this many annotations per cluster and period; the rest are summarised in one more.
    static let maxPerCluster = 20

    struct Key: Hashable {
        var cluster: String
        var container: String
        var action: String
    }

    static func annotations(for containers: [ContainerPeriod]) -> [Annotation] {
        var groups: [Key: (c: ContainerPeriod, events: [LifecycleEvent])] = [:]
        for c in containers {
            for e in c.events where annotated.contains(e.action) {
                if e.action == "health_status" && e.detail != "unhealthy" { continue }
                let key = Key(cluster: c.cluster, container: c.identity.name, action: e.action)
                groups[key, default: (c, [])].events.append(e)
            }
        }
        var byCluster: [String: [Annotation]] = [:]
        for (key, group) in groups.sorted(by: { ($0.key.cluster, $0.key.container, $0.key.action) < ($1.key.cluster, $1.key.container, $1.key.action) }) {
            let events = group.events.sorted { $0.timeNano < $1.timeNano }
            let last = events.last!
            var title = "\(key.container): \(key.action)"
            if let code = last.exitCode { title += " (exit \(code))" } else if !last.detail.isEmpty { title += " (\(last.detail))" }
            if events.count > 1 { title += " ×\(events.count)" }
            let start = Int(events.first!.timeNano / 1_000_000_000)
            let end = Int(last.timeNano / 1_000_000_000)
            byCluster[key.cluster, default: []].append(
                Annotation(
                    stream: "docker-librato.\(key.cluster)", title: title,
                    description: "\(events.count) \(key.action) event(s) of container \(key.container) (image \(group.c.identity.image)) on \(group.c.host)",
                    source: "\(group.c.cluster):\(group.c.host):\(key.container)", startTime: start, endTime: end > start ? end : nil))
        }
        var out: [Annotation] = []
        for (cluster, list) in byCluster.sorted(by: { $0.key < $1.key }) {
            out.append(contentsOf: list.prefix(maxPerCluster))
            if list.count > maxPerCluster {
                let rest = list.dropFirst(maxPerCluster)
                out.append(
                    Annotation(
                        stream: "docker-librato.\(cluster)", title: "\(rest.count) more container events",
                        description: rest.map(\.title).joined(separator: "\n"), startTime: rest.compactMap(\.startTime).min()))
            }
        }
        return out
    }
}
