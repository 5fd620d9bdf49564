import ArgumentParser
import WireFormat

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Print a new random 32-byte cluster key (64 hex digits) for CLUSTER_KEY_FILE.",
        discussion: "Example: docker-librato keygen > cluster.key && chmod 600 cluster.key; give the same file to the hub and every collector."
    )

    func run() throws {
        print(ClusterKey.generateText())
    }
}
