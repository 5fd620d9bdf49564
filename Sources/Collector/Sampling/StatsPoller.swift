import ContainerMetrics
import DockerEngine
import Logging
import Synchronization
import Timekeeping

/// Samples every running followed container once per `interval`, at wall-clock multiples of it (so the samples of
/// all collectors, and of all containers, line up on the same instants), from one ``StatsSource``.
///
/// At most `concurrency` samples are taken at a time, so a hundred containers cost a few short bursts per
/// interval. A container that stopped or disappeared in the middle of a round is skipped quietly; other failures
/// are counted as `docker_errors` and logged once until the source works again.
///
/// Before the first sample of a run the collector saw start (started at or after `watchingSinceNs`), it sends that
/// run's counters as the kernel had them at the start: zero (``startSample(before:)``). The hub then counts what
/// the container did before its first sample — a writer's fsync'd startup I/O, an early OOM kill — however late
/// that sample comes. Its own rule (a zero baseline when the first sample comes within `HUB_TAKEOVER_AFTER`, 25 s,
/// of the start) missed it on a slow first round: with `STATS_INTERVAL` of 25 s or more, on a loaded host, or while
/// the collector itself was starting; block I/O then read 0 for a container whose `io.stat` showed 32 MiB written.
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
    /// Runs starting at or after this (Unix ns; the collector's start) were seen starting: their counters began at
    /// zero while the collector watched.
    let watchingSinceNs: Int64
    /// The run (`startedAt`) of each container whose start sample was sent.
    private let started = StartedRuns()

    init(
        source: any StatsSource,
        interval: Duration,
        registry: ContainerRegistry,
        queue: RecordQueue,
        metrics: CollectorMetrics,
        logger: Logger,
        concurrency: Int = 8,
        clocks: Clocks,
        watchingSinceNs: Int64 = .max
    ) {
        self.source = source
        self.interval = interval
        self.registry = registry
        self.queue = queue
        self.metrics = metrics
        self.logger = logger
        self.concurrency = max(1, concurrency)
        self.clocks = clocks
        self.watchingSinceNs = watchingSinceNs
    }

    /// A run's counters at its start: zero block I/O (and, implicitly, zero network and OOM kills: the hub counts
    /// an interface or an OOM counter the previous sample lacks from zero), no gauges (nothing is posted for it),
    /// no CPU (the host's CPU time at the start is unknown, so the first interval has no CPU % and no throttling).
    /// Stamped a millisecond before the first sample, not at the start: it lands in an open period, never late.
    static func startSample(before sample: StatsSample) -> StatsSample {
        StatsSample(time: sample.time - 1, blockIO: sample.blockIO.map { _ in StatsSample.BlockIO(readBytes: 0, writeBytes: 0, readOps: 0, writeOps: 0) })
    }

    /// Whether the run of `identity` is one the collector saw start and has not sent a start sample for yet (and
    /// records that it now has).
    func needsStartSample(_ identity: ContainerIdentity) -> Bool {
        guard identity.startedAt > 0, identity.startedAt >= watchingSinceNs else { return false }
        return started.claim(identity.id, run: identity.startedAt)
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
        started.keep(Set(targets.map(\.0.id)))
        guard !targets.isEmpty else { return 0 }
        await queue.waitForSpace()
        return await withTaskGroup(of: ([CollectorRecord], Bool).self) { group in
            var failures = 0
            var next = targets.makeIterator()
            func add() -> Bool {
                guard let (identity, target) = next.next() else { return false }
                group.addTask {
                    do {
                        let sample = try await source.sample(target)
                        if needsStartSample(identity) {
                            return ([.stats(identity, Self.startSample(before: sample)), .stats(identity, sample)], false)
                        }
                        return ([.stats(identity, sample)], false)
                    } catch StatsSourceError.containerGone {
                        return ([], false)
                    } catch DockerError.noSuchContainer, DockerError.containerNotRunning {
                        return ([], false)
                    } catch is CancellationError {
                        return ([], false)
                    } catch {
                        // A container that stopped between the listing and the read is not an error either.
                        if registry[target.id]?.running != true { return ([], false) }
                        logger.debug("stats sample failed", metadata: ["container": "\(identity.name)", "error": "\(error)"])
                        return ([], true)
                    }
                }
                return true
            }
            for _ in 0..<concurrency where add() {}
            while let (records, failed) = await group.next() {
                if !records.isEmpty {
                    queue.push(records)
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

/// The runs whose start sample was sent, per container id; containers no longer running are forgotten.
private final class StartedRuns: Sendable {
    private let runs = Mutex<[String: Int64]>([:])

    /// True the first time `run` of `id` is claimed.
    func claim(_ id: String, run: Int64) -> Bool {
        runs.withLock { runs in
            guard runs[id] != run else { return false }
            runs[id] = run
            return true
        }
    }

    func keep(_ ids: Set<String>) {
        runs.withLock { runs in
            if runs.keys.contains(where: { !ids.contains($0) }) { runs = runs.filter { ids.contains($0.key) } }
        }
    }
}
