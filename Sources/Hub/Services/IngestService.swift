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
    /// The most containers the hub follows (`HUB_MAX_CONTAINERS`).
    let containers: Int
    let logger: Logger

    /// Identities the opener keeps: twice the containers the hub follows (restarts make new identities), so that each
    /// container's is decoded once, not in every frame. With its default of 32,768, a fleet of 100 k containers
    /// evicted them all before any came round again, and every identity was decoded and copied anew.
    static func identityCapacity(containers: Int) -> Int { max(32_768, 2 * containers) }

    func run() async {
        var opener = FrameOpener(key: key, maxCachedIdentities: Self.identityCapacity(containers: containers))
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
