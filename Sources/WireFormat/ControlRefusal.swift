/// The hub's answer to a control request it cannot open: unsealed (the requester may not share the key, or speak
/// this version), so that a collector learns *why* it gets no acks instead of guessing. It reveals nothing secret:
/// only that the request failed and which of three reasons applies.
///
/// Layout (stable across versions, so that different versions can still tell each other what is wrong):
/// magic `D1 1B`, the hub's frame format version, type `4`, reason (u8), message length (u8) and UTF-8 text.
public struct ControlRefusal: Equatable, Sendable, CustomStringConvertible {
    public static let frameType: UInt8 = 4

    public enum Reason: UInt8, Sendable {
        /// The seal did not open, or one side has a key and the other none: the cluster keys differ.
        case unauthenticated = 1
        /// The request's frame format version is not the hub's.
        case unsupportedVersion = 2
        /// Not a request frame at all.
        case malformed = 3
    }

    public var reason: Reason
    /// The hub's frame format version.
    public var hubVersion: UInt8
    /// What the hub saw, for the collector's log (at most 255 bytes).
    public var message: String

    public init(reason: Reason, hubVersion: UInt8 = FrameHeader.currentVersion, message: String) {
        self.reason = reason
        self.hubVersion = hubVersion
        self.message = message
    }

    /// The refusal for a request that failed to open with `error`.
    public init(_ error: WireError) {
        switch error {
        case .authenticationFailed, .keyMismatch: self.init(reason: .unauthenticated, message: "\(error)")
        case .unsupportedVersion, .badMagic: self.init(reason: .unsupportedVersion, message: "\(error)")
        default: self.init(reason: .malformed, message: "\(error)")
        }
    }

    public func encode() -> [UInt8] {
        var text = Array(message.utf8.prefix(255))
        while !text.isEmpty, String(validating: text, as: UTF8.self) == nil { text.removeLast() }
        return [FrameHeader.magic.0, FrameHeader.magic.1, hubVersion, Self.frameType, reason.rawValue, UInt8(text.count)] + text
    }

    /// The refusal in `bytes`, nil when they are not one (for instance a sealed control frame).
    public static func decode(_ bytes: [UInt8]) -> ControlRefusal? {
        guard bytes.count >= 6, bytes[0] == FrameHeader.magic.0, bytes[1] == FrameHeader.magic.1, bytes[3] == frameType,
            let reason = Reason(rawValue: bytes[4]), bytes.count == 6 + Int(bytes[5]),
            let message = String(validating: bytes[6...], as: UTF8.self)
        else { return nil }
        return ControlRefusal(reason: reason, hubVersion: bytes[2], message: message)
    }

    public var description: String {
        switch reason {
        case .unauthenticated:
            "the hub cannot authenticate our requests (\(message)): the hub and this collector must use the same cluster key (CLUSTER_KEY_FILE)"
        case .unsupportedVersion:
            "the hub speaks frame format version \(hubVersion), this collector \(FrameHeader.currentVersion) (\(message)): run the same docker-librato version on the hub and its collectors"
        case .malformed:
            "the hub could not read our request (\(message))"
        }
    }
}
