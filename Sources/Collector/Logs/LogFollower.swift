import ContainerMetrics
import DockerEngine
import Logging
import Synchronization
import Timekeeping

/// What every log follower shares: the client, the queue to the batch builder, and how to start a session task
/// in the pipeline's task group.
struct FollowerContext: Sendable {
    let client: DockerClient
    let queue: RecordQueue
    let metrics: CollectorMetrics
    let logger: Logger
    let closeDelay: Duration
    /// Runs a task as a child of the pipeline (cancelled with it).
    let spawn: @Sendable (@escaping @Sendable () async -> Void) -> Void
    /// Wall time (bucket closing), sleeps and monotonic instants (reader idleness).
    let clocks: Clocks
}

/// Follows one container's logs: one `/logs?follow=1&timestamps=1` request at a time, entries into a
/// ``LogBucketer``, closed buckets into the queue.
///
/// A *session* is one request, until the stream ends. When it ends the follower asks dockerd what happened: the
/// container stopped (or is gone) → every open bucket is flushed; it runs again (`docker restart`) → a new session
/// resumes right after the last entry read (Docker's `since` has nanosecond precision); dockerd is unreachable →
/// buckets stay open (the wall-clock rule still closes them) and the tracker calls ``follow()`` again after it
/// reconnected. ``follow()`` while a session runs asks for another one when it ends, so a `start` that races with
/// the end of the previous run's stream is never missed.
final class LogFollower: Sendable {
    let id: String
    let context: FollowerContext
    private let state: Mutex<State>

    enum Session { case idle, running, restartRequested }

    struct State {
        var identity: ContainerIdentity
        var tty: Bool
        var bucketer: LogBucketer
        /// `since` of the first session (Unix ns, 0 = from creation).
        var originNs: Int64
        var lastReceived: MonotonicInstant?
        var waitingForSpace = false
        var session = Session.idle
    }

    /// An entry arriving this long after the previous one means the backlog was read: the reader is live.
    static let idleAfter: Duration = .milliseconds(250)

    init(identity: ContainerIdentity, tty: Bool, originNs: Int64, resumeAfter: [LogBucket.Stream: Int64], context: FollowerContext) {
        id = identity.id
        self.context = context
        state = Mutex(
            State(
                identity: identity,
                tty: tty,
                bucketer: LogBucketer(closeDelay: context.closeDelay, resumeAfter: resumeAfter),
                originNs: originNs
            )
        )
    }

    /// Updates what records carry (a restart changes `startedAt`, a rename the name).
    func update(identity: ContainerIdentity, tty: Bool) {
        state.withLock {
            $0.identity = identity
            $0.tty = tty
        }
    }

    /// Starts a session, or asks for another one after the running one.
    func follow() {
        let start = state.withLock { s in
            switch s.session {
            case .idle:
                s.session = .running
                return true
            case .running, .restartRequested:
                s.session = .restartRequested
                return false
            }
        }
        if start { context.spawn { [self] in await run() } }
    }

    /// Closes buckets whose second is over (wall clock), unless the reader is still working through a backlog
    /// (then a later line of the same second may still come).
    func tick(nowNs: Int64, now: MonotonicInstant) {
        state.withLock { s in
            guard !s.waitingForSpace else { return }
            let live = s.lastReceived.map { now - $0 >= Self.idleAfter } ?? true
            let recent = s.bucketer.lastTimestampNs.map { $0 >= nowNs - context.closeDelay.nanoseconds } ?? false
            guard live || recent else { return }
            emit(s.bucketer.closeDue(nowNs: nowNs), s.identity)
        }
    }

    /// The container is gone for good: counts what is pending and closes every bucket.
    func finish() {
        state.withLock { s in emit(s.bucketer.flush(), s.identity) }
    }

    // MARK: sessions

    private func run() async {
        var emptySessions = 0
        while !Task.isCancelled {
            // Right after the last entry read (Docker's `since` has nanosecond precision), or from the origin.
            let (since, tty) = state.withLock { s in (s.bucketer.resumeSinceNs() ?? s.originNs, s.tty) }
            var entries = 0
            var failure: DockerError?
            do {
                let stream = try await context.client.logs(id: id, since: since > 0 ? since : nil, follow: true, timestamps: true, tty: tty)
                for try await entry in stream {
                    entries += 1
                    await waitForSpace()
                    let now = context.clocks.monotonicNow()
                    state.withLock { s in
                        s.lastReceived = now
                        emit(s.bucketer.add(entry), s.identity)
                    }
                }
            } catch is CancellationError {
                return
            } catch let error as DockerError {
                failure = error
            } catch {
                failure = .daemonUnreachable(endpoint: context.client.endpoint.description, reason: "\(error)")
            }
            if Task.isCancelled { return }

            // Why did it end?
            var running: Bool?
            if case .noSuchContainer = failure {
                running = false
            } else {
                do {
                    let state = try await context.client.inspect(id: id).state
                    running = state.running || state.status == "restarting"
                } catch .noSuchContainer {
                    running = false
                } catch {
                    running = nil
                }
            }
            if Task.isCancelled { return }
            if let failure, running != false {
                context.metrics.add(.dockerErrors)
                context.logger.debug("log stream ended with an error", metadata: ["container": "\(id.prefix(12))", "error": "\(failure)"])
            }
            let again = state.withLock { s -> Bool in
                if running == false { emit(s.bucketer.flush(), s.identity) }
                if running == nil || (s.session == .running && running == false) {
                    s.session = .idle
                    return false
                }
                s.session = .running
                return true
            }
            guard again else { return }
            // A stream that ends at once while the container runs: do not spin.
            emptySessions = entries == 0 && running == true ? emptySessions + 1 : 0
            if emptySessions > 0 {
                // Backing off a stream that keeps ending at once (on the injected clock).
                try? await context.clocks.sleep(for: .milliseconds(100) * min(50, 1 << min(emptySessions, 6)))
            }
        }
    }

    private func waitForSpace() async {
        state.withLock { $0.waitingForSpace = true }
        await context.queue.waitForSpace()
        state.withLock { $0.waitingForSpace = false }
    }

    /// Pushes closed buckets (called with the state locked, so buckets of a stream enter the queue in order).
    private func emit(_ buckets: [LogBucket], _ identity: ContainerIdentity) {
        guard !buckets.isEmpty else { return }
        context.queue.push(buckets.map { .log(identity, $0) })
        context.metrics.add(.logBuckets, buckets.count)
        context.metrics.add(.logLines, buckets.reduce(0) { $0 + Int($1.lines) })
    }
}
