import Logging
import Nanomsg
import ServiceLifecycle
import WireFormat

/// Frames from the PULL socket into the runtime: opened (authenticated and decoded) here, rejects counted by
/// reason. Runs until the socket closes; a graceful shutdown closes it (the group's first step on SIGTERM).
struct IngestService: Service {
    let pull: NanoSocket
    let runtime: HubRuntime
    let key: ClusterKey
    let logger: Logger

    func run() async {
        var opener = FrameOpener(key: key)
        await withGracefulShutdownHandler {
            do {
                for try await bytes in pull.messages {
                    do throws(WireError) {
                        let frame = try opener.open(bytes)
                        await runtime.ingest(frame)
                    } catch {
                        await runtime.rejected(error, size: bytes.count, claimed: try? FrameOpener.peekHeader(bytes))
                    }
                }
            } catch {
                if !(error is CancellationError) && !pull.isClosed { logger.error("ingest stopped", metadata: ["error": "\(error)"]) }
            }
        } onGracefulShutdown: {
            pull.close()
        }
        pull.close()
    }
}
