import ArgumentParser
import WireFormat

/// The transport key shared by the hub and its collectors.
struct KeyOptions: ParsableArguments {
    @Option(
        name: .customLong("cluster-key-file"),
        help: "File holding the 32-byte cluster key: 64 hex digits, base64, or the 32 raw bytes (make one with `docker-librato keygen` or `head -c 32 /dev/urandom`). The key can also come from CLUSTER_KEY (env only, never a flag). [env: CLUSTER_KEY_FILE]"
    )
    var keyFile: String?

    @Flag(
        name: .customLong("no-cluster-key"),
        help: "Run without a cluster key: frames are not authenticated, anyone who can reach the hub can inject data. Loudly logged. [env: ALLOW_NO_CLUSTER_KEY=true]"
    )
    var noKey = false

    func key(_ s: Settings) throws -> ClusterKey {
        if let path = s.string(keyFile, "CLUSTER_KEY_FILE") { return try ClusterKey(file: path) }
        if let text = s.string(nil, "CLUSTER_KEY") {
            do {
                return try ClusterKey(text: text)
            } catch {
                throw ConfigError(variable: "CLUSTER_KEY", value: "<redacted>", expected: "64 hex digits or base64 of 32 bytes (`docker-librato keygen` makes one)")
            }
        }
        if try s.bool(noKey ? "true" : nil, "ALLOW_NO_CLUSTER_KEY", default: false) { return .none }
        throw ConfigError(
            variable: "CLUSTER_KEY_FILE", value: "",
            expected:
                "the hub and its collectors need the same key (or CLUSTER_KEY); generate one with `docker-librato keygen`, or pass --no-cluster-key to run unauthenticated"
        )
    }
}
