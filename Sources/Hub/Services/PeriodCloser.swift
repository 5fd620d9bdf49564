import ServiceLifecycle
import Timekeeping

/// Closes periods when they are due — `grace` after their end, and never during the startup grace — on a timer of
/// its own, independent of the flusher (which may be busy retrying an unavailable Librato). It sleeps on the injected
/// clock until the next closing the runtime names, so tests drive it with a manual clock.
struct PeriodCloser: Service {
    let runtime: HubRuntime
    let clocks: Clocks

    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let next = await runtime.tick()
                // Sleep until the next period is due (at least 1 ms, so a wall clock that lags never spins).
                let wait = max(clocks.wall.now().duration(to: next), .milliseconds(1))
                do { try await clocks.sleep(for: wait) } catch { return }
            }
        }
    }
}
