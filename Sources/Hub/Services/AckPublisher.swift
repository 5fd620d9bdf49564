import Nanomsg
import ServiceLifecycle
import Timekeeping

/// Publishes each collector epoch's acknowledgement on the PUB socket: every second (acks are cumulative and
/// repeated, so a lost one costs nothing), and at once when a period was delivered. On graceful shutdown — the
/// last of the hub's services to stop but the status server — it publishes the final acks.
final class AckPublisher: Service, Sendable {
    let pub: NanoSocket
    let runtime: HubRuntime
    let clocks: Clocks
    /// Time between repeated acks.
    let interval: Duration

    init(listen: String, runtime: HubRuntime, clocks: Clocks, interval: Duration = .seconds(1)) throws {
        pub = try NanoSocket(.pub)
        try pub.setSendBuffer(1 << 20)
        try pub.bind(listen)
        self.runtime = runtime
        self.clocks = clocks
        self.interval = interval
    }

    func publish() async {
        for message in await runtime.ackMessages() { _ = try? pub.trySend(message) }
    }

    func run() async {
        await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                await publish()
                // The repeat interval: acks are re-sent so that a lost one costs nothing.
                do { try await clocks.sleep(for: interval) } catch { return }
            }
        }
        await publish()
        // nanomsg 1.1.5 has no linger: close only once the last acks had a moment on the wire (on the real clock:
        // it is the kernel's time to write, not the hub's logic).
        try? await Task.sleep(for: .milliseconds(200))
        await pub.closeAndWait()
    }
}
