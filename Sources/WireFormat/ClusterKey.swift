public import Crypto
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The 32-byte transport key every collector and the hub of one cluster share (`CLUSTER_KEY_FILE` / `CLUSTER_KEY`).
///
/// Frames are sealed with AES-256-GCM (format 3; ChaCha20-Poly1305 in format 2) under a per-(collector, epoch)
/// subkey derived from it with HKDF-SHA256, so that random 96-bit nonces stay far from their collision bound however
/// many collectors share the key.
public struct ClusterKey: Sendable {
    public let key: SymmetricKey
    /// The all-zero key used when an operator explicitly runs without a key: frames still carry a seal (so
    /// corruption is detected) but anyone who can reach the hub can forge them.
    public let isNull: Bool

    /// The null key (no authentication); a loudly logged choice.
    public static let none = ClusterKey(uncheckedBytes: [UInt8](repeating: 0, count: 32), isNull: true)

    init(uncheckedBytes: [UInt8], isNull: Bool) {
        self.key = SymmetricKey(data: uncheckedBytes)
        self.isNull = isNull
    }

    /// A key from exactly 32 bytes.
    public init(bytes: [UInt8]) throws(ClusterKeyError) {
        guard bytes.count == 32 else { throw .wrongLength(bytes.count) }
        guard bytes.contains(where: { $0 != 0 }) else { throw .allZero }
        self.init(uncheckedBytes: bytes, isNull: false)
    }

    /// Parses the text form: 64 hex digits, or base64 of 32 bytes; surrounding whitespace is ignored.
    public init(text: String) throws(ClusterKeyError) {
        let trimmed = String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        if trimmed.count == 64, let bytes = Self.hexBytes(trimmed) {
            try self.init(bytes: bytes)
        } else if let data = Data(base64Encoded: trimmed) {
            try self.init(bytes: Array(data))
        } else {
            throw .notHexOrBase64
        }
    }

    /// Reads the key from a file (a Docker/Swarm secret): 64 hex digits or base64 text (as `docker-librato keygen`
    /// prints), or exactly 32 raw bytes (`head -c 32 /dev/urandom > cluster.key`).
    public init(file path: String) throws(ClusterKeyError) {
        let bytes = try Self.readSmallFile(path)
        if let text = String(validating: bytes, as: UTF8.self), let key = try? ClusterKey(text: text) {
            self = key
            return
        }
        if bytes.count == 32 {
            do {
                try self.init(bytes: bytes)
            } catch {
                throw .badFile(path: path, problem: "32 raw bytes, all zero")
            }
            return
        }
        let printable = bytes.allSatisfy { $0 == 0x0A || $0 == 0x0D || $0 == 0x09 || (0x20..<0x7F).contains($0) }
        throw .badFile(
            path: path, problem: printable ? "\(bytes.count) bytes of text that are neither 64 hex digits nor base64 of 32 bytes" : "\(bytes.count) bytes")
    }

    /// Reads at most 4 KiB (a key file is 32 to ~90 bytes).
    static func readSmallFile(_ path: String) throws(ClusterKeyError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while out.count <= 4096 {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            out += chunk[0..<n]
        }
        guard out.count <= 4096 else { throw .badFile(path: path, problem: "more than 4 KiB") }
        return out
    }

    /// A fresh random key in its hex text form (what `docker-librato keygen` prints).
    public static func generateText() -> String {
        var rng = SystemRandomNumberGenerator()
        return (0..<32).map { _ in
            let b = UInt8.random(in: 0...255, using: &rng)
            return (b < 16 ? "0" : "") + String(b, radix: 16)
        }.joined()
    }

    static func hexBytes(_ s: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count / 2)
        var high: UInt8?
        for c in s.utf8 {
            let v: UInt8
            switch c {
            case 0x30...0x39: v = c - 0x30
            case 0x61...0x66: v = c - 0x61 + 10
            case 0x41...0x46: v = c - 0x41 + 10
            default: return nil
            }
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        return high == nil ? out : nil
    }

    /// The sealing key for one (collector, epoch) in frame format `version`. The salt names the AEAD (format 3's
    /// AES-256-GCM: "wire v3"; format 2's ChaCha20-Poly1305 kept format 1's "wire v1"), so that no key is ever used
    /// with two ciphers.
    func subkey(collector: CollectorID, epoch: UInt64, version: UInt8 = FrameHeader.currentVersion) -> SymmetricKey {
        var info = ByteWriter(capacity: 24)
        info.raw(collector.bytes)
        info.u64be(epoch)
        return HKDF<SHA256>.deriveKey(
            inputKeyMaterial: key, salt: Array((version >= 3 ? "docker-librato wire v3" : "docker-librato wire v1").utf8), info: info.bytes, outputByteCount: 32)
    }
}

/// Why a cluster key could not be used; the message names the variables to fix.
public enum ClusterKeyError: Error, Equatable, CustomStringConvertible {
    case wrongLength(Int)
    case allZero
    case notHexOrBase64
    case unreadable(path: String, reason: String)
    case badFile(path: String, problem: String)

    public var description: String {
        switch self {
        case .wrongLength(let n):
            "CLUSTER_KEY must be 32 bytes (64 hex digits or base64), got \(n) bytes; generate one with `docker-librato keygen`"
        case .allZero: "CLUSTER_KEY is all zeros; generate one with `docker-librato keygen`"
        case .notHexOrBase64: "CLUSTER_KEY must be 64 hex digits or base64 of 32 bytes; generate one with `docker-librato keygen`"
        case .unreadable(let path, let reason): "CLUSTER_KEY_FILE: cannot read \(path): \(reason.lowercased())"
        case .badFile(let path, let problem):
            "CLUSTER_KEY_FILE \(path) must hold 64 hex digits, base64 of 32 bytes, or 32 raw bytes; it holds \(problem) (generate one with `docker-librato keygen`)"
        }
    }
}
