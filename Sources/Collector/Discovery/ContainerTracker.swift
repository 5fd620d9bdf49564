import ContainerMetrics
import DockerEngine
import Logging

/// Finds the containers to follow and keeps up with them: one `/containers/json` listing plus `/events`
/// (`type=container`), and after any interruption a reconnect with exponential backoff that resumes the events
/// with `since` (the last event's `timeNano`) and lists again, so nothing that happened in between is missed.
///
/// Events are handled one at a time. `create` and `start` begin following a container (its logs are read to the
/// end even when it already exited: a container that lives less than a second is still counted); every reported
/// action becomes a ``LifecycleEvent`` record with the container's identity — the last one known for a container
/// that can no longer be inspected, else the event's own `name`/`image`/label attributes.
///
/// Where a container's logs are first read from, when no checkpoint says otherwise:
/// - running when the collector starts: from the first whole second after the collector's start (every bucket it
///   emits is then complete; earlier lines belong to whoever ran before);
/// - created after the collector started (seen through its `create` event, or listed with a later creation time):
///   from its creation;
/// - created before but started since: from the second before its current run started.
actor ContainerTracker {
    struct Settings: Sendable {
        var matcher: ContainerMatcher
        var own: OwnContainer
        var labelTags: [String]
        var collectLogs: Bool
        /// When the collector started, Unix ns.
        var collectorStartNs: Int64
        var backoff: Backoff
        /// Told whether the tracker is connected and following (after a listing) or trying to reconnect.
        var following: @Sendable (Bool) -> Void = { _ in }
    }

    enum FirstSeen {
        case initialListing
        case created
        case listed(createdSeconds: Int64)
        case started
    }

    let client: DockerClient
    let settings: Settings
    let registry: ContainerRegistry
    let checkpoints: CheckpointStore
    let followerContext: FollowerContext
    let queue: RecordQueue
    let metrics: CollectorMetrics
    let logger: Logger

    private var lastEventNs: Int64?
    private var keysAtLastEvent: Set<String> = []

    init(
        client: DockerClient,
        settings: Settings,
        registry: ContainerRegistry,
        checkpoints: CheckpointStore,
        followerContext: FollowerContext,
        queue: RecordQueue,
        metrics: CollectorMetrics,
        logger: Logger
    ) {
        self.client = client
        self.settings = settings
        self.registry = registry
        self.checkpoints = checkpoints
        self.followerContext = followerContext
        self.queue = queue
        self.metrics = metrics
        self.logger = logger
    }

    /// Follows the engine until cancelled, reconnecting whenever the events stream breaks.
    func run() async {
        var backoff = settings.backoff
        var connected = false
        var failing = false
        let subscribedFrom = followerContext.now()
        while !Task.isCancelled {
            do {
                let events = try await client.events(since: lastEventNs ?? subscribedFrom)
                try await relist(initial: !connected)
                if connected {
                    metrics.add(.dockerReconnects)
                    logger.info("reconnected to dockerd", metadata: ["endpoint": "\(client.endpoint)", "containers": "\(registry.ids.count)"])
                } else {
                    logger.info("following containers", metadata: ["endpoint": "\(client.endpoint)", "containers": "\(registry.ids.count)"])
                }
                connected = true
                failing = false
                backoff.reset()
                settings.following(true)
                for try await event in events {
                    try await handle(event)
                }
                if Task.isCancelled { return }
                settings.following(false)
                logger.warning("dockerd closed the events stream; reconnecting", metadata: ["endpoint": "\(client.endpoint)"])
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                settings.following(false)
                metrics.add(.dockerErrors)
                let delay = backoff.nominalDelay
                if !failing {
                    logger.warning("lost dockerd; retrying with backoff", metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                } else {
                    logger.debug("dockerd still unreachable", metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                }
                failing = true
            }
            try? await Task.sleep(for: backoff.next())
        }
    }

    // MARK: listing

    /// Lists every container: follows the running ones that pass the filters, and settles the ones that stopped or
    /// disappeared while the collector was not listening.
    func relist(initial: Bool) async throws(DockerError) {
        let all = try await client.listContainers(all: true)
        let existing = Set(all.map(\.id))
        if initial { checkpoints.retain(existing) }
        for id in registry.ids where !existing.contains(id) {
            // Removed while dockerd was unreachable: its logs are gone, count what was read.
            registry.remove(id)?.follower?.finish()
            checkpoints.remove(id)
        }
        for summary in all where !settings.own.matches(summary.id) {
            guard settings.matcher.matches(name: summary.name, image: summary.image, labels: summary.labels) else { continue }
            let live = ["running", "restarting", "paused"].contains(summary.state)
            if live {
                let entry = try await discover(summary.id, initial ? .initialListing : .listed(createdSeconds: summary.created))
                entry?.follower?.follow()
            } else if let known = registry[summary.id] {
                // Stopped while we were away: read the rest of its logs (the session flushes at the end).
                registry.update(summary.id) { $0.running = false }
                known.follower?.follow()
            } else if initial, settings.collectLogs, checkpoints.checkpoint(for: summary.id) != nil {
                // Followed by the previous run and stopped since: read what that run did not hand over.
                try await discover(summary.id, .initialListing)?.follower?.follow()
            }
        }
    }

    /// Inspects a container and starts tracking it (or refreshes what is known). Nil when it is gone or filtered out.
    @discardableResult
    func discover(_ id: String, _ firstSeen: FirstSeen) async throws(DockerError) -> ContainerRegistry.Entry? {
        let details: ContainerDetails
        do {
            details = try await client.inspect(id: id)
        } catch .noSuchContainer {
            return nil
        }
        guard settings.matcher.matches(name: details.name, image: details.image, labels: details.labels) else { return nil }
        let identity = EventRecords.identity(details, labelTags: settings.labelTags)
        let running = details.state.running || details.state.status == "restarting"
        if var entry = registry[id] {
            entry.identity = identity
            entry.target = StatsTarget(details)
            entry.running = running
            entry.follower?.update(identity: identity, tty: details.tty)
            registry.set(entry)
            return entry
        }
        var follower: LogFollower?
        if settings.collectLogs {
            let origin: Int64
            var resumeAfter: [LogBucket.Stream: Int64] = [:]
            if let checkpoint = checkpoints.checkpoint(for: id) {
                origin = checkpoint.resumeSinceNs(tty: details.tty)
                resumeAfter = checkpoint.seconds
            } else {
                origin = originNs(firstSeen, details)
                checkpoints.registerOrigin(id, originNs: origin)
            }
            follower = LogFollower(identity: identity, tty: details.tty, originNs: origin, resumeAfter: resumeAfter, context: followerContext)
            logger.debug(
                "following container",
                metadata: ["container": "\(details.name)", "id": "\(id.prefix(12))", "since": "\(origin)", "tty": "\(details.tty)"]
            )
        }
        let entry = ContainerRegistry.Entry(identity: identity, target: StatsTarget(details), running: running, follower: follower)
        registry.set(entry)
        return entry
    }

    func originNs(_ firstSeen: FirstSeen, _ details: ContainerDetails) -> Int64 {
        let start = settings.collectorStartNs
        let startSecondCeil = (LogBucketer.second(ofNanoseconds: start - 1) + 1) * 1_000_000_000
        switch firstSeen {
        case .initialListing:
            return startSecondCeil
        case .created:
            return 0
        case .listed(let created) where created * 1_000_000_000 >= start - 1_000_000_000:
            return 0
        case .listed, .started:
            let run = details.state.startedAt
            guard run > 0 else { return startSecondCeil }
            return max(0, (LogBucketer.second(ofNanoseconds: run) - 1) * 1_000_000_000)
        }
    }

    // MARK: events

    func handle(_ event: ContainerEvent) async throws(DockerError) {
        guard !event.id.isEmpty, !settings.own.matches(event.id) else { return }
        // Resumed streams replay events at and after `since`: skip what was handled already.
        let key = "\(event.id) \(event.action)"
        if let last = lastEventNs {
            if event.timeNano < last || (event.timeNano == last && keysAtLastEvent.contains(key)) { return }
        }
        if event.timeNano != lastEventNs {
            lastEventNs = event.timeNano
            keysAtLastEvent = []
        }
        keysAtLastEvent.insert(key)

        let (action, _) = LifecycleEvent.split(action: event.action)
        var known = registry[event.id]
        if known == nil {
            let labels = EventRecords.labels(of: event)
            guard settings.matcher.matches(name: event.name ?? "", image: event.image ?? "", labels: labels) else { return }
        }
        switch action {
        case "create":
            if known == nil { known = try await discover(event.id, .created) }
            known?.follower?.follow()
        case "start", "restart", "unpause", "rename", "update":
            known = try await discover(event.id, .started)
            if action != "rename", action != "update" { known?.follower?.follow() }
        case "die":
            registry.update(event.id) { $0.running = false }
        case "destroy":
            // The follower's session (if any) reads to the end of the stream and flushes on its own.
            registry.remove(event.id)
            checkpoints.remove(event.id)
        default:
            break
        }
        guard let lifecycle = EventRecords.lifecycleEvent(event) else { return }
        let identity = known?.identity ?? EventRecords.identity(event, labelTags: settings.labelTags)
        await queue.waitForSpace()
        queue.push(.event(identity, lifecycle))
        metrics.add(.events)
    }
}
