import Collector
import DockerEngine
import Logging
import WireFormat

/// Whether the collector reaches its hub and holds the hub's key, asked on the control path (``HubProbe``): one
/// sealed request that the hub answers or refuses. No data frame is sent.
enum HubCheck {
    static func run(_ c: CollectorConfiguration, info: SystemInfo?, timeout: Duration, logger: Logger) async -> [Check] {
        let host = c.hostName ?? info?.name ?? HostName.current()
        let outcome = await HubProbe.ask(c, engineID: info?.engineID ?? "validate", host: host, timeout: timeout, logger: logger)
        let control = "HUB_ACK_ADDRESS \(c.hubAckAddress)"
        let noAnswer = "check HUB_ADDRESS / HUB_ACK_ADDRESS, that the hub is running, and the firewall between here and the hub"
        switch outcome {
        case .answered(let dataConnected):
            let key = c.clusterKey.isNull ? "neither side has a cluster key (--no-cluster-key: unauthenticated)" : "the cluster key matches"
            return [
                .ok("hub", .hub, "the hub at \(control) answered a sealed control request: \(key)"),
                dataConnected
                    ? .ok("hub data", .hub, "connected to HUB_ADDRESS \(c.hubAddress) (no frame sent)")
                    : .fail(
                        "hub data", .hub, "nothing accepts connections at HUB_ADDRESS \(c.hubAddress), though the hub's control address answers",
                        fix: "set HUB_ADDRESS to the hub's HUB_LISTEN address; check the firewall"),
            ]
        case .refused(let refusal):
            return [refused(refusal, c, control: control), .skip("hub data", .hub, "the hub refused the control request")]
        case .unreadable(let what):
            return [
                .fail("hub", .hub, "\(control) answered with \(what)", fix: "set HUB_ACK_ADDRESS to the hub's HUB_ACK_LISTEN address"),
                .skip("hub data", .hub, "no hub answered"),
            ]
        case .noAnswer(let connected):
            let detail = connected ? " (something accepted the connection, but did not answer as a hub)" : ""
            return [
                .fail("hub", .hub, "no hub answers at \(c.hubAckAddress) within \(Format.seconds(timeout))\(detail)", fix: noAnswer),
                .skip("hub data", .hub, "no hub answered"),
            ]
        case .socketFailed(let reason):
            return [.fail("hub", .hub, "cannot connect to \(control): \(reason)", fix: noAnswer), .skip("hub data", .hub, "no hub answered")]
        }
    }

    private static func refused(_ refusal: ControlRefusal, _ c: CollectorConfiguration, control: String) -> Check {
        switch refusal.reason {
        case .unauthenticated:
            let why = c.clusterKey.isNull ? "this collector runs without one (--no-cluster-key)" : refusal.message
            return .fail(
                "hub", .hub, "the hub at \(control) refuses our request: key does not match (\(why))",
                fix: "give the hub and this collector the same key: CLUSTER_KEY_FILE (or CLUSTER_KEY); `docker-librato keygen` makes one")
        case .unsupportedVersion:
            return .fail(
                "hub", .hub, "the hub at \(control) speaks frame format \(refusal.hubVersion), this collector \(FrameHeader.currentVersion)",
                fix: "run the same docker-librato version on the hub and its collectors")
        case .malformed:
            return .fail(
                "hub", .hub, "the hub at \(control) could not read our request (\(refusal.message))",
                fix: "run the same docker-librato version on the hub and its collectors")
        }
    }
}
