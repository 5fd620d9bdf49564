import ContainerMetrics
import DockerEngine
import Logging
import Timekeeping

/// Samples every running followed container once per `interval`, at wall-clock multiples of it (so the samples of
/// all collectors, and of all containers, line up on the same instants), from one ``StatsSource``.
///
/// At most `concurrency` samples are taken at a time, so a hundred containers cost a few short bursts per
/// interval. A container that stopped or disappeared in the middle of a round is skipped quietly; other failures
/// are counted as `docker_errors` and logged once until the source works again.
struct StatsPoller: Sendable {
    let source: any StatsSource
    let interval: Duration
    let registry: ContainerRegistry
    let queue: RecordQueue
    let metrics: CollectorMetrics
    let logger: Logger
    let concurrency: Int
    /// Rounds start at wall-clock multiples of the interval; the wait is on the injected clock.
    let clocks: Clocks

    init(
        source: any StatsSource,
        interval: Duration,
        registry: ContainerRegistry,
        queue: RecordQueue,
        metrics: CollectorMetrics,
        logger: Logger,
        concurrency: Int = 8,
        clocks: Clocks
    ) {
        self.source = source
        self.interval = interval
        self.registry = registry
        self.queue = queue
        self.metrics = metrics
        self.logger = logger
        self.concurrency = max(1, concurrency)
        self.clocks = clocks
    }

    /// The delay from `nowNs` to the next multiple of `intervalNs` (never zero: a round never runs twice at once).
    static func delayToNextTick(nowNs: Int64, intervalNs: Int64) -> Int64 {
        guard intervalNs > 0 else { return 0 }
        let remainder = ((nowNs % intervalNs) + intervalNs) % intervalNs
        return intervalNs - remainder
    }

    func run() async {
        let intervalNs = max(1_000_000, interval.nanoseconds)
        var failing = false
        while !Task.isCancelled {
            let delay = Self.delayToNextTick(nowNs: clocks.wall.now().nanoseconds, intervalNs: intervalNs)
            do {
                // Until the next wall-clock multiple of the interval.
                try await clocks.sleep(for: .nanoseconds(delay))
            } catch {
                return
            }
            let failures = await round()
            if failures > 0, !failing {
                logger.warning("stats source failing", metadata: ["source": "\(source)", "failures": "\(failures)"])
            } else if failures == 0, failing {
                logger.info("stats source works again", metadata: ["source": "\(source)"])
            }
            failing = failures > 0
        }
    }

    /// One sample of every running container; returns how many failed for reasons other than a stopped container.
    func round() async -> Int {
        let targets = registry.running
        guard !targets.isEmpty else { return 0 }
        await queue.waitForSpace()
        return await withTaskGroup(of: (CollectorRecord?, Bool).self) { group in
            var failures = 0
            var next = targets.makeIterator()
            func add() -> Bool {
                guard let (identity, target) = next.next() else { return false }
                group.addTask {
                    do {
                        let sample = try await source.sample(target)
                        return (.stats(identity, sample), false)
                    } catch StatsSourceError.containerGone {
                        return (nil, false)
                    } catch DockerError.noSuchContainer, DockerError.containerNotRunning {
                        return (nil, false)
                    } catch is CancellationError {
                        return (nil, false)
                    } catch {
                        // A container that stopped between the listing and the read is not an error either.
                        if registry[target.id]?.running != true { return (nil, false) }
                        logger.debug("stats sample failed", metadata: ["container": "\(identity.name)", "error": "\(error)"])
                        return (nil, true)
                    }
                }
                return true
            }
            for _ in 0..<concurrency where add() {}
            while let (record, failed) = await group.next() {
                if let record {
                    queue.push(record)
                    metrics.add(.samplesProduced)
                }
                if failed {
                    failures += 1
                    metrics.add(.dockerErrors)
                }
                _ = add()
            }
            return failures
        }
    }
}
