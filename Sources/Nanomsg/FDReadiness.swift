import Dispatch
import Synchronization

/// Awaits readability of one of nanomsg's notification fds (`NN_RCVFD`/`NN_SNDFD`, eventfds on Linux) without
/// parking a Swift concurrency thread: a DispatchSource is resumed while someone waits and suspended otherwise.
///
/// nanomsg's fds are level-triggered: readable while a message can be received (or sent), so a waiter that
/// arrives after the event still sees it. Hand-written because no package offers fd readiness as async/await
/// outside a NIO event loop, and nanomsg's fds must never be read or closed by us.
final class FDReadiness: Sendable {
    private struct State {
        var source: (any DispatchSourceRead)?
        var suspended = true
        var waiter: CheckedContinuation<Void, any Error>?
        var cancelled = false
    }

    private let state = Mutex(State())
    private let fd: Int32
    private let queue: DispatchQueue
    /// Called once Dispatch has let go of the fd after ``cancel(then:)``.
    private let cancelled = CompletionBox()

    /// Holds the completion for the cancel handler (a class, so the handler can capture it without `self`).
    private final class CompletionBox: Sendable {
        let completion = Mutex<(@Sendable () -> Void)?>(nil)

        func take() -> (@Sendable () -> Void)? {
            completion.withLock { c in
                let d = c
                c = nil
                return d
            }
        }
    }

    init(fd: Int32, label: String) {
        self.fd = fd
        self.queue = DispatchQueue(label: label)
    }

    /// Returns when the fd is readable. Throws `CancellationError` when the task is cancelled and
    /// ``NanomsgError/closed`` when ``cancel()`` runs.
    func wait() async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let failure: (any Error)? = state.withLock { s in
                    if s.cancelled { return NanomsgError.closed }
                    if Task.isCancelled { return CancellationError() }
                    precondition(s.waiter == nil, "one waiter at a time per nanomsg socket direction")
                    if s.source == nil { s.source = makeSource() }
                    s.waiter = continuation
                    if s.suspended {
                        s.suspended = false
                        s.source?.resume()
                    }
                    return nil
                }
                if let failure { continuation.resume(throwing: failure) }
            }
        } onCancel: {
            let waiter = state.withLock { s in
                let w = s.waiter
                s.waiter = nil
                return w
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    private func makeSource() -> any DispatchSourceRead {
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler { [weak self] in self?.fired() }
        source.setCancelHandler { [cancelled] in cancelled.take()?() }
        return source
    }

    private func fired() {
        let waiter = state.withLock { s in
            let w = s.waiter
            s.waiter = nil
            // Once cancelled the source must stay resumed: Dispatch traps when a suspended source is released.
            if !s.suspended && !s.cancelled {
                s.suspended = true
                s.source?.suspend()
            }
            return w
        }
        waiter?.resume()
    }

    deinit {
        // Normally cancel(then:) ran already; if not, leave the source in a state Dispatch accepts on release.
        state.withLock { s in
            guard let source = s.source, !s.cancelled else { return }
            s.cancelled = true
            if s.suspended { source.resume() }
            source.cancel()
        }
    }

    /// Stops watching the fd; `done` runs once Dispatch has let go of it (at once when it never watched), so that
    /// nanomsg may then close it. Never blocks: blocking here could starve the Dispatch threads that run the cancel
    /// handler. A waiter gets ``NanomsgError/closed``. Only the first call has an effect.
    func cancel(then done: @escaping @Sendable () -> Void) {
        var first = false
        let (source, waiter) = state.withLock { s -> ((any DispatchSourceRead)?, CheckedContinuation<Void, any Error>?) in
            guard !s.cancelled else { return (nil, nil) }
            first = true
            s.cancelled = true
            let w = s.waiter
            s.waiter = nil
            let src = s.source
            if let src, s.suspended {
                // A suspended source never runs its cancel handler.
                s.suspended = false
                src.resume()
            }
            return (src, w)
        }
        guard first else { return }
        waiter?.resume(throwing: NanomsgError.closed)
        if let source {
            cancelled.completion.withLock { $0 = done }
            source.cancel()
        } else {
            done()
        }
    }
}
