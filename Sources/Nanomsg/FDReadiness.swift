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
    private let cancelDone = DispatchSemaphore(value: 0)

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
        source.setCancelHandler { [cancelDone] in cancelDone.signal() }
        return source
    }

    private func fired() {
        let waiter = state.withLock { s in
            let w = s.waiter
            s.waiter = nil
            if !s.suspended {
                s.suspended = true
                s.source?.suspend()
            }
            return w
        }
        waiter?.resume()
    }

    /// Stops watching the fd and waits until Dispatch has let go of it, so that nanomsg may close it. A waiter gets
    /// ``NanomsgError/closed``. Idempotent.
    func cancel() {
        let (source, waiter) = state.withLock { s -> ((any DispatchSourceRead)?, CheckedContinuation<Void, any Error>?) in
            guard !s.cancelled else { return (nil, nil) }
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
        waiter?.resume(throwing: NanomsgError.closed)
        if let source {
            source.cancel()
            cancelDone.wait()
        }
    }
}
