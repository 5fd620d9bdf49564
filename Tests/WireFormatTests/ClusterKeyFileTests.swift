import Crypto
import Glibc
import Testing
import WireFormat

/// `CLUSTER_KEY_FILE` as operators make it: `docker-librato keygen` text, or 32 raw bytes from /dev/urandom.
@Suite("cluster key files: text or 32 raw bytes")
struct ClusterKeyFileTests {
    /// 32 bytes that are not text: a NUL, bytes above 0x7F, a newline in the middle.
    static let raw: [UInt8] = (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 200) }

    static func file(_ bytes: [UInt8]) throws -> String {
        var template = Array("/tmp/cluster-key-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        try #require(fd >= 0)
        defer { close(fd) }
        try #require(bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count)
        return String(cString: template)
    }

    static func bytes(_ key: ClusterKey) -> [UInt8] { key.key.withUnsafeBytes { Array($0) } }

    @Test func aRawThirtyTwoByteFileIsTheSameKeyAsItsHexText() throws {
        let rawPath = try Self.file(Self.raw)
        defer { unlink(rawPath) }
        let hex = Self.raw.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        let hexPath = try Self.file(Array((hex + "\n").utf8))
        defer { unlink(hexPath) }
        let fromRaw = try ClusterKey(file: rawPath)
        #expect(!fromRaw.isNull)
        #expect(Self.bytes(fromRaw) == Self.raw)
        #expect(Self.bytes(try ClusterKey(file: hexPath)) == Self.raw)
    }

    @Test func rawBytesOfTheWrongLengthOrAllZeroAreRefusedNamingTheFile() throws {
        for (bytes, problem) in [(Array(Self.raw.prefix(31)), "31 bytes"), (Self.raw + [1], "33 bytes"), ([UInt8](repeating: 0, count: 32), "32 raw bytes, all zero")] {
            let path = try Self.file(bytes)
            defer { unlink(path) }
            #expect(throws: ClusterKeyError.badFile(path: path, problem: problem)) { try ClusterKey(file: path) }
        }
    }
}
