/// Why a frame was rejected. Every byte sequence given to the decoder either decodes or yields one of these;
/// nothing traps. ``reason`` groups them for counting.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer bytes than the smallest valid frame.
    case tooShort(length: Int)
    /// The first two bytes are not the docker-librato frame magic: not our protocol.
    case badMagic
    /// A frame format version this build does not understand.
    case unsupportedVersion(UInt8)
    /// A frame type this build does not know.
    case unknownFrameType(UInt8)
    /// A field runs past the end of the frame.
    case truncated(field: String, offset: Int)
    /// A length or count is larger than what remains or than the format allows.
    case oversize(field: String, length: Int, limit: Int)
    /// A string field is not valid UTF-8.
    case invalidUTF8(field: String, offset: Int)
    /// A value outside its domain (unknown stream, zero-length name, …).
    case invalidValue(field: String, offset: Int)
    /// A record refers to a container index the frame did not define.
    case badReference(index: Int, containers: Int)
    /// The AEAD seal does not verify: wrong cluster key, or the frame was altered.
    case authenticationFailed
    /// Sealed with a cluster key while the receiver has none, or without one while the receiver requires one.
    case keyMismatch(frameHasKey: Bool)
    /// Bytes left over after the last record.
    case trailingBytes(count: Int)

    /// The reject reason a hub counts (`bad_seal`, `bad_version`, `malformed`, `oversize`).
    public var reason: RejectReason {
        switch self {
        case .authenticationFailed, .keyMismatch: .badSeal
        case .unsupportedVersion, .badMagic, .unknownFrameType: .badVersion
        case .oversize: .oversize
        default: .malformed
        }
    }

    public var description: String {
        switch self {
        case .tooShort(let n): "frame too short (\(n) bytes; a header alone is \(FrameHeader.minimumLength))"
        case .badMagic: "not a docker-librato frame (bad magic bytes)"
        case .unsupportedVersion(let v):
            "unsupported frame format version \(v): this build speaks version \(FrameHeader.currentVersion) (and reads \(FrameHeader.readableVersions.lowerBound)); run the same docker-librato version on the hub and its collectors"
        case .unknownFrameType(let t): "unknown frame type \(t)"
        case .truncated(let field, let offset): "truncated frame: \(field) at byte \(offset) runs past the end"
        case .oversize(let field, let length, let limit): "\(field) of \(length) exceeds the limit of \(limit)"
        case .invalidUTF8(let field, let offset): "\(field) at byte \(offset) is not valid UTF-8"
        case .invalidValue(let field, let offset): "invalid \(field) at byte \(offset)"
        case .badReference(let index, let containers): "record refers to container #\(index) but the frame defines \(containers)"
        case .authenticationFailed: "seal does not verify: wrong CLUSTER_KEY or an altered frame"
        case .keyMismatch(let frameHasKey):
            frameHasKey
                ? "frame is sealed with a cluster key but this side runs without one (set CLUSTER_KEY_FILE)"
                : "frame is sealed without a cluster key but this side requires one (set CLUSTER_KEY_FILE on the collector)"
        case .trailingBytes(let n): "\(n) unexpected bytes after the last record"
        }
    }
}

/// Reject reasons as counted by the hub.
public enum RejectReason: String, Sendable, CaseIterable {
    case badSeal = "bad_seal"
    case badVersion = "bad_version"
    case malformed
    case oversize
}
