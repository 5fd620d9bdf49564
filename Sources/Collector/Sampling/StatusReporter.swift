import ContainerMetrics
import DockerEngine
import Logging
import Timekeeping

/// Reports container states once per stats interval, on the same wall-clock instants as ``StatsPoller``: the engine's
/// containers counted by state (one `/containers/json?all=1` listing, the filters applied, the collector excluded),
/// and the state of every followed container as last inspected (inspections happen at discovery and on the events
/// that change a state — `die`, `health_status`, `pause`, `oom`, … — so a round costs one request, not one per
/// container).
struct StatusReporter: Sendable {
    let client: DockerClient
    let matcher: ContainerMatcher
    let own: OwnContainer
    let interval: Duration
    let registry: ContainerRegistry
    let queue: RecordQueue
    let metrics: CollectorMetrics
    let logger: Logger
    let clocks: Clocks

    func run() async {
        let intervalNs = max(1_000_000, interval.nanoseconds)
        var failing = false
        while !Task.isCancelled {
            let delay = StatsPoller.delayToNextTick(nowNs: clocks.wall.now().nanoseconds, intervalNs: intervalNs)
            do {
                // Until the next wall-clock multiple of the interval (states are read with the stats), injected clock.
                try await clocks.sleep(for: .nanoseconds(delay))
            } catch {
                return
            }
            let listed = await round()
            if !listed, !failing { logger.warning("cannot list containers for their states; retrying every interval") }
            failing = !listed
        }
    }

    /// One report; false when the listing failed (the followed containers' states are reported anyway).
    @discardableResult
    func round() async -> Bool {
        let now = clocks.wall.now().milliseconds
        var listed = true
        var counts = HostStates(time: now)
        do {
            for c in try await client.listContainers(all: true) where !own.matches(c.id) {
                guard matcher.matches(name: c.name, image: c.image, labels: c.labels) else { continue }
                if let state = ContainerStatus.State(docker: c.state) { counts[state] += 1 }
            }
        } catch {
            metrics.add(.dockerErrors)
            logger.debug("container listing failed", metadata: ["error": "\(error)"])
            listed = false
        }
        await queue.waitForSpace()
        if listed { queue.push(.hostStates(counts)) }
        for (identity, status) in registry.takeStatuses() {
            var s = status
            s.time = now
            queue.push(.status(identity, s))
        }
        return listed
    }
}
