import ContainerMetrics
import DockerEngine

/// Turning Engine API container data into what the pipeline carries. Pure.
package enum EventRecords {
    /// The lifecycle event to report for `event`, nil for actions that are not reported (exec_*, attach, …).
    package static func lifecycleEvent(_ event: ContainerEvent) -> LifecycleEvent? {
        let lifecycle = event.lifecycleEvent
        return LifecycleEvent.reportedActions.contains(lifecycle.action) ? lifecycle : nil
    }

    /// The identity of an inspected container: allow-listed labels only, `startedAt` of the current run (0 for a
    /// container that never started).
    package static func identity(_ details: ContainerDetails, labelTags: [String]) -> ContainerIdentity {
        ContainerIdentity(
            id: details.id,
            name: details.name,
            image: details.image,
            labels: tags(details.labels, labelTags),
            startedAt: max(0, details.state.startedAt)
        )
    }

    /// The state of an inspected container (its `time` is set when it is sent). A state Docker adds later reads as
    /// `running` when the container runs, `exited` otherwise.
    package static func status(_ details: ContainerDetails) -> ContainerStatus {
        let s = details.state
        return ContainerStatus(
            time: 0,
            state: ContainerStatus.State(docker: s.status) ?? (s.running ? .running : .exited),
            health: ContainerStatus.Health(docker: s.health),
            restartCount: UInt64(max(0, s.restartCount)),
            startedAt: max(0, s.startedAt) / 1_000_000,
            exitCode: s.exitCode,
            oomKilled: s.oomKilled)
    }

    /// The identity of a container known only from an event (it is gone, or was never inspected): name, image and
    /// labels from the event's attributes, which carry the container's labels.
    package static func identity(_ event: ContainerEvent, labelTags: [String]) -> ContainerIdentity {
        ContainerIdentity(id: event.id, name: event.name ?? "", image: event.image ?? "", labels: tags(event.attributes, labelTags))
    }

    /// The container's labels as the event attributes carry them (attributes minus Docker's own keys).
    package static func labels(of event: ContainerEvent) -> [String: String] {
        event.attributes.filter { !["name", "image", "exitCode", "signal", "execID", "container"].contains($0.key) }
    }

    /// The allow-listed labels.
    package static func tags(_ labels: [String: String], _ allowList: [String]) -> [String: String] {
        var out: [String: String] = [:]
        for key in allowList { if let v = labels[key] { out[key] = v } }
        return out
    }
}
