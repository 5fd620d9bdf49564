import ContainerMetrics
import DockerEngine

/// Discovery's rules without the Engine API: listings and events go in, what to track, follow, stop, forget and
/// report comes out; ``ContainerTracker`` performs the actions against dockerd and reports back what an inspection
/// found. Tests drive it with plain values (no dockerd), for the orderings that matter: a container that starts
/// and dies between the listing and the events, duplicate events after a reconnect, a rename, a destroy during a
/// relist.
///
/// Rules:
/// - A listing follows every live container that passes the filters, settles the ones that stopped while the
///   collector was not listening (their logs are read to the end), forgets the ones that are gone, and — on the
///   first listing after a restart — resumes containers a checkpoint says the previous run followed.
/// - Events are taken once: a resumed stream replays events at and after `since`, so an event older than the last
///   one handled, or at the same `timeNano` with an action already handled for that container, is skipped.
/// - `create` and `start` begin following (logs read to the end even when the container already exited: a
///   container that lives less than a second is still counted); `restart`/`unpause` follow again; `rename` and
///   `update` refresh the identity; `die` stops stats; `die`, `health_status`, `pause` and `oom` read the
///   container's state again (reported once more); `destroy` forgets it. Every reported action becomes a
///   lifecycle record, for containers the filters admit.
/// - Where a container's logs are first read from, when no checkpoint says otherwise: ``originNs(_:startedAtNs:collectorStartNs:)``.
struct DiscoveryStateMachine: Sendable {
    struct Settings: Sendable {
        var matcher: ContainerMatcher
        var own: OwnContainer
        var collectLogs: Bool
    }

    /// How a container came to be tracked (decides where its logs are first read from).
    enum FirstSeen: Equatable, Sendable {
        /// Running when the collector started (its first listing).
        case initialListing
        /// Seen through its `create` event.
        case created
        /// Listed after a reconnect, created at this Unix second.
        case listed(createdSeconds: Int64)
        /// Seen starting (`start`, `restart`, …) or renamed.
        case started
    }

    enum Action: Equatable, Sendable {
        /// Keep the log checkpoints of these containers only (the first listing: others are gone).
        case retainCheckpoints(Set<String>)
        /// Inspect the container and track it (or refresh what is known), then report ``DiscoveryStateMachine/inspected(_:tracked:)``;
        /// `follow`: then (re)start reading its logs.
        case track(id: String, FirstSeen, follow: Bool)
        /// Read the rest of a tracked container's logs (it stopped).
        case follow(id: String)
        /// No more stats for it (it stopped).
        case stopped(id: String)
        /// Read a tracked container's state again (exit code, OOM kill, health, pause): it is reported once more.
        case refresh(id: String)
        /// Stop tracking it and drop its checkpoint; `finishLogs`: count what its reader holds now (its logs are
        /// gone), rather than letting the reader run to the end of the stream.
        case forget(id: String, finishLogs: Bool)
        /// Report the event as a lifecycle record (of the container as known after the actions before this one).
        case report(ContainerEvent)
    }

    let settings: Settings
    /// Containers tracked now (as reported back after inspection).
    private(set) var tracked: Set<String> = []
    /// `timeNano` of the last event handled: the `since` of a resumed stream.
    private(set) var lastEventNs: Int64?
    private var keysAtLastEvent: Set<String> = []

    init(settings: Settings) {
        self.settings = settings
    }

    /// A listing of every container (`/containers/json?all=1`). `initial`: the first since the collector started;
    /// `checkpointed`: containers whose logs the previous run followed (from the state directory).
    mutating func listed(_ all: [ContainerSummary], initial: Bool, checkpointed: Set<String> = []) -> [Action] {
        var actions: [Action] = []
        let existing = Set(all.map(\.id))
        if initial { actions.append(.retainCheckpoints(existing)) }
        for id in tracked.sorted() where !existing.contains(id) {
            // Removed while dockerd was unreachable: its logs are gone, count what was read.
            tracked.remove(id)
            actions.append(.forget(id: id, finishLogs: true))
        }
        for summary in all where !settings.own.matches(summary.id) {
            guard settings.matcher.matches(name: summary.name, image: summary.image, labels: summary.labels) else { continue }
            if ["running", "restarting", "paused"].contains(summary.state) {
                actions.append(.track(id: summary.id, initial ? .initialListing : .listed(createdSeconds: summary.created), follow: true))
            } else if tracked.contains(summary.id) {
                // Stopped while we were away: read the rest of its logs (the reader flushes at the end).
                actions += [.stopped(id: summary.id), .follow(id: summary.id)]
            } else if initial, settings.collectLogs, checkpointed.contains(summary.id) {
                // Followed by the previous run and stopped since: read what that run did not hand over.
                actions.append(.track(id: summary.id, .initialListing, follow: true))
            }
        }
        return actions
    }

    /// What an inspection asked for by ``Action/track(id:_:follow:)`` found: `tracked` false when the container was
    /// gone or the filters refuse it.
    mutating func inspected(_ id: String, tracked isTracked: Bool) {
        if isTracked { tracked.insert(id) } else { tracked.remove(id) }
    }

    /// One event from `/events`.
    mutating func event(_ event: ContainerEvent) -> [Action] {
        guard !event.id.isEmpty, !settings.own.matches(event.id) else { return [] }
        let key = "\(event.id) \(event.action)"
        if let last = lastEventNs, event.timeNano < last || (event.timeNano == last && keysAtLastEvent.contains(key)) { return [] }
        if event.timeNano != lastEventNs {
            lastEventNs = event.timeNano
            keysAtLastEvent = []
        }
        keysAtLastEvent.insert(key)

        let known = tracked.contains(event.id)
        if !known {
            let labels = EventRecords.labels(of: event)
            guard settings.matcher.matches(name: event.name ?? "", image: event.image ?? "", labels: labels) else { return [] }
        }
        var actions: [Action] = []
        switch LifecycleEvent.split(action: event.action).action {
        case "create":
            actions.append(known ? .follow(id: event.id) : .track(id: event.id, .created, follow: true))
        case "start", "restart", "unpause":
            actions.append(.track(id: event.id, .started, follow: true))
        case "rename", "update":
            actions.append(.track(id: event.id, .started, follow: false))
        case "die":
            if known { actions += [.stopped(id: event.id), .refresh(id: event.id)] }
        case "health_status", "pause", "oom":
            if known { actions.append(.refresh(id: event.id)) }
        case "destroy":
            // The reader (if any) reads to the end of its stream and flushes on its own.
            tracked.remove(event.id)
            actions.append(.forget(id: event.id, finishLogs: false))
        default:
            break
        }
        if EventRecords.lifecycleEvent(event) != nil { actions.append(.report(event)) }
        return actions
    }

    /// Where a container's logs are first read from (Unix ns; 0 = from its creation), when no checkpoint says:
    /// - running when the collector started: the first whole second after the collector's start (every bucket it
    ///   emits is then complete; earlier lines belong to whoever ran before);
    /// - created after the collector started (its `create` event, or listed with a later creation time): its creation;
    /// - created before but started since: the second before its current run started.
    static func originNs(_ firstSeen: FirstSeen, startedAtNs: Int64, collectorStartNs start: Int64) -> Int64 {
        let startSecondCeil = (LogBucketer.second(ofNanoseconds: start - 1) + 1) * 1_000_000_000
        switch firstSeen {
        case .initialListing:
            return startSecondCeil
        case .created:
            return 0
        case .listed(let created) where created * 1_000_000_000 >= start - 1_000_000_000:
            return 0
        case .listed, .started:
            guard startedAtNs > 0 else { return startSecondCeil }
            return max(0, (LogBucketer.second(ofNanoseconds: startedAtNs) - 1) * 1_000_000_000)
        }
    }
}
