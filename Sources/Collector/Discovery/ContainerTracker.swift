import ContainerMetrics
import DockerEngine
import Logging
import Timekeeping

/// Finds the containers to follow and keeps up with them: one `/containers/json` listing plus `/events`
/// (`type=container`), and after any interruption a reconnect with exponential backoff that resumes the events
/// with `since` (the last event's `timeNano`) and lists again, so nothing that happened in between is missed.
///
/// The rules (what to follow, what to skip, where logs start) are ``DiscoveryStateMachine``'s; this actor is its
/// I/O shell: it reads listings and events from dockerd, performs the machine's actions (inspect, start or finish
/// log readers, update the registry and the checkpoints, queue lifecycle records) one at a time, in order, and
/// reports what each inspection found.
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

    let client: DockerClient
    let settings: Settings
    let registry: ContainerRegistry
    let checkpoints: CheckpointStore
    let followerContext: FollowerContext
    let queue: RecordQueue
    let metrics: CollectorMetrics
    let logger: Logger
    private var machine: DiscoveryStateMachine

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
        self.machine = DiscoveryStateMachine(settings: .init(matcher: settings.matcher, own: settings.own, collectLogs: settings.collectLogs))
    }

    /// Follows the engine until cancelled, reconnecting whenever the events stream breaks.
    func run() async {
        var backoff = settings.backoff
        var connected = false
        var failing = false
        let subscribedFrom = followerContext.clocks.wall.now().nanoseconds
        while !Task.isCancelled {
            do {
                let events = try await client.events(since: machine.lastEventNs ?? subscribedFrom)
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
                    try await perform(machine.event(event))
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
            // Reconnect backoff (jittered), on the injected clock.
            try? await followerContext.clocks.sleep(for: backoff.next())
        }
    }

    /// Lists every container and performs what the machine makes of the listing.
    func relist(initial: Bool) async throws(DockerError) {
        let all = try await client.listContainers(all: true)
        let checkpointed = initial && settings.collectLogs ? Set(all.map(\.id).filter { checkpoints.checkpoint(for: $0) != nil }) : []
        try await perform(machine.listed(all, initial: initial, checkpointed: checkpointed))
    }

    // MARK: performing actions

    func perform(_ actions: [DiscoveryStateMachine.Action]) async throws(DockerError) {
        for action in actions {
            switch action {
            case .retainCheckpoints(let ids):
                checkpoints.retain(ids)
            case .track(let id, let firstSeen, let follow):
                let entry = try await discover(id, firstSeen)
                machine.inspected(id, tracked: entry != nil)
                if follow { entry?.follower?.follow() }
            case .follow(let id):
                registry[id]?.follower?.follow()
            case .stopped(let id):
                registry.update(id) { $0.running = false }
            case .refresh(let id):
                try await refresh(id)
            case .forget(let id, let finishLogs):
                let entry = registry.remove(id)
                if finishLogs { entry?.follower?.finish() }
                checkpoints.remove(id)
            case .report(let event):
                guard let lifecycle = EventRecords.lifecycleEvent(event) else { continue }
                let identity = registry[event.id]?.identity ?? EventRecords.identity(event, labelTags: settings.labelTags)
                await queue.waitForSpace()
                queue.push(.event(identity, lifecycle))
                metrics.add(.events)
            }
        }
    }

    /// Reads a tracked container's state again (it stopped, paused, or its health changed); nothing when it is gone.
    func refresh(_ id: String) async throws(DockerError) {
        guard registry[id] != nil else { return }
        let details: ContainerDetails
        do {
            details = try await client.inspect(id: id)
        } catch .noSuchContainer {
            return
        }
        registry.update(id) {
            $0.status = EventRecords.status(details)
            $0.statusChanged = true
        }
    }

    /// Inspects a container and starts tracking it (or refreshes what is known). Nil when it is gone or filtered out.
    @discardableResult
    func discover(_ id: String, _ firstSeen: DiscoveryStateMachine.FirstSeen) async throws(DockerError) -> ContainerRegistry.Entry? {
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
            entry.status = EventRecords.status(details)
            entry.statusChanged = true
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
                origin = DiscoveryStateMachine.originNs(firstSeen, startedAtNs: details.state.startedAt, collectorStartNs: settings.collectorStartNs)
                checkpoints.registerOrigin(id, originNs: origin)
            }
            follower = LogFollower(identity: identity, tty: details.tty, originNs: origin, resumeAfter: resumeAfter, context: followerContext)
            logger.debug(
                "following container",
                metadata: ["container": "\(details.name)", "id": "\(id.prefix(12))", "since": "\(origin)", "tty": "\(details.tty)"]
            )
        }
        let entry = ContainerRegistry.Entry(
            identity: identity, target: StatsTarget(details), running: running, follower: follower, status: EventRecords.status(details))
        registry.set(entry)
        return entry
    }
}
