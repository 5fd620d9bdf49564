import ContainerMetrics
import Crypto
import FoundationEssentials

/// A decoded, authenticated frame.
public struct OpenedFrame: Equatable, Sendable {
    public var header: FrameHeader
    public var batch: Batch
    /// Per container of ``Batch/containers``, its identity's ``IdentityInterner`` token: equal non-zero tokens mean
    /// byte-identical identity records. Empty (or 0) when unknown; not part of equality.
    public var identityTokens: [UInt64]

    public init(header: FrameHeader, batch: Batch, identityTokens: [UInt64] = []) {
        self.header = header
        self.batch = batch
        self.identityTokens = identityTokens
    }

    public static func == (a: OpenedFrame, b: OpenedFrame) -> Bool { a.header == b.header && a.batch == b.batch }
}

/// Seals frames: header in clear (authenticated), body encrypted with AES-256-GCM — or, for a frame of format 2
/// (an answer to a collector not yet upgraded), ChaCha20-Poly1305. AES-GCM since format 3 because the hub opens
/// every frame of the fleet: with AES and carry-less-multiply instructions (x86-64 servers of the last decade,
/// ARMv8's crypto extensions) BoringSSL opens it ~3× as fast as ChaCha20-Poly1305 on this machine (4.7 against
/// 1.5 GB/s on 55 KB bodies; BENCHMARKS.md, "Hub ingest"). The guarantees are the same: a 256-bit key, a random
/// 96-bit nonce per frame under a per-(collector, epoch) subkey, a 16-byte tag over header and body.
public struct FrameSealer: Sendable {
    public let clusterKey: ClusterKey

    public init(key: ClusterKey) {
        self.clusterKey = key
    }

    /// One nanomsg message: header ‖ ciphertext ‖ 16-byte tag.
    public func seal(_ header: FrameHeader, _ batch: Batch) -> [UInt8] {
        seal(header, body: batch.encode())
    }

    public func seal(_ header: FrameHeader, body: [UInt8]) -> [UInt8] {
        seal(header, body: body, subkey: clusterKey.subkey(collector: header.collectorID, epoch: header.epoch, version: header.version))
    }

    /// ``seal(_:_:)`` with the header's subkey (for its version) already derived (a hub answering many collectors
    /// keeps them in its ``FrameOpener``: HKDF per reply was half of the cost of answering a control request).
    public func seal(_ header: FrameHeader, _ batch: Batch, subkey: SymmetricKey) -> [UInt8] {
        seal(header, body: batch.encode(), subkey: subkey)
    }

    func seal(_ header: FrameHeader, body: [UInt8], subkey key: SymmetricKey) -> [UInt8] {
        var header = header
        if clusterKey.isNull { header.flags.insert(.unkeyed) } else { header.flags.remove(.unkeyed) }
        // 12 random bytes from two draws (each draw is a getrandom(2) call).
        var rng = SystemRandomNumberGenerator()
        var nonceBytes: [UInt8] = []
        nonceBytes.reserveCapacity(FrameHeader.nonceLength)
        withUnsafeBytes(of: rng.next() as UInt64) { nonceBytes.append(contentsOf: $0) }
        withUnsafeBytes(of: rng.next() as UInt32) { nonceBytes.append(contentsOf: $0) }
        var w = ByteWriter(capacity: 96 + body.count + 16)
        header.encode(into: &w, nonce: nonceBytes)
        // Cannot fail: the nonce is 12 bytes and the key 32.
        if header.version >= 3 {
            let box = try! AES.GCM.seal(body, using: key, nonce: AES.GCM.Nonce(data: nonceBytes), authenticating: w.bytes)
            w.raw(box.ciphertext)
            w.raw(box.tag)
        } else {
            let box = try! ChaChaPoly.seal(body, using: key, nonce: ChaChaPoly.Nonce(data: nonceBytes), authenticating: w.bytes)
            w.raw(box.ciphertext)
            w.raw(box.tag)
        }
        return w.bytes
    }
}

/// Opens frames: checks magic, version and seal, then decodes the body. Keeps bounded caches of subkeys (so the hot
/// path does not run HKDF per frame) and of decoded container identities (``IdentityInterner``).
public struct FrameOpener {
    public let clusterKey: ClusterKey
    private var subkeys: [SubkeyID: SymmetricKey] = [:]
    private let maxCachedKeys: Int
    /// Container identities decoded before (frames repeat them; see ``IdentityInterner``).
    private var identities: IdentityInterner
    /// Header names decoded before (every frame of a collector repeats them; see ``HeaderNames``).
    private var headerNames: HeaderNames
    /// Where ``open(_:)`` assembles a sealed box (kept to save an allocation per frame).
    private var scratch: [UInt8] = []

    struct SubkeyID: Hashable {
        var collector: CollectorID
        var epoch: UInt64
        var version: UInt8
    }

    /// `maxCachedHeaderNames`: slots of the header-name cache (``HeaderNames``; 0 disables it).
    public init(key: ClusterKey, maxCachedKeys: Int = 4096, maxCachedIdentities: Int = 32_768, maxCachedHeaderNames: Int = 4096) {
        self.clusterKey = key
        self.maxCachedKeys = maxCachedKeys
        self.identities = IdentityInterner(capacity: maxCachedIdentities)
        self.headerNames = HeaderNames(capacity: maxCachedHeaderNames)
    }

    /// Reads just the header (no authentication): for logging what a rejected frame claimed to be.
    public static func peekHeader(_ bytes: [UInt8]) throws(WireError) -> FrameHeader {
        let result: Result<FrameHeader, WireError> = bytes.withUnsafeBytes { buffer in
            Result { () throws(WireError) in
                var r = ByteReader(buffer)
                return try FrameHeader.decode(&r).0
            }
        }
        return try result.get()
    }

    public mutating func open(_ bytes: [UInt8]) throws(WireError) -> OpenedFrame {
        // Works on self in place: a copy would copy the caches' storage whenever they change.
        let result: Result<OpenedFrame, WireError> = bytes.withUnsafeBytes { buffer in
            Result { () throws(WireError) in try self.open(buffer) }
        }
        return try result.get()
    }

    /// The key frames of `collector`'s `epoch` in format `version` are sealed with, derived once and cached (also
    /// for sealing replies to it: ``FrameSealer/seal(_:_:subkey:)``).
    public mutating func subkey(collector: CollectorID, epoch: UInt64, version: UInt8 = FrameHeader.currentVersion) -> SymmetricKey {
        let id = SubkeyID(collector: collector, epoch: epoch, version: version)
        if let cached = subkeys[id] { return cached }
        let key = clusterKey.subkey(collector: collector, epoch: epoch, version: version)
        if subkeys.count >= maxCachedKeys { subkeys.removeAll(keepingCapacity: true) }
        subkeys[id] = key
        return key
    }

    /// Opens one frame. Any byte sequence either yields a frame or a ``WireError``.
    public mutating func open(_ buffer: UnsafeRawBufferPointer) throws(WireError) -> OpenedFrame {
        guard buffer.count >= 3 else { throw .tooShort(length: buffer.count) }
        var r = ByteReader(buffer)
        let (header, nonce) = try FrameHeader.decode(&r, names: &headerNames)
        let headerLength = r.offset
        guard r.remaining >= 16 else { throw .truncated(field: "seal tag", offset: headerLength) }
        let frameUnkeyed = header.flags.contains(.unkeyed)
        if frameUnkeyed != clusterKey.isNull { throw .keyMismatch(frameHasKey: !frameUnkeyed) }

        let key = subkey(collector: header.collectorID, epoch: header.epoch, version: header.version)
        let plaintext: Data
        do {
            // The box's combined form (nonce ‖ ciphertext ‖ tag), assembled in a buffer kept between frames:
            // `SealedBox(nonce:ciphertext:tag:)` concatenates `Data` with `+`, which grew and copied a 55 KB body
            // three times; `SealedBox(combined:)` copies it once.
            scratch.removeAll(keepingCapacity: true)
            scratch.append(contentsOf: nonce)
            scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[headerLength...]))
            let associated = UnsafeRawBufferPointer(rebasing: buffer[..<headerLength])
            if header.version >= 3 {
                plaintext = try AES.GCM.open(AES.GCM.SealedBox(combined: scratch), using: key, authenticating: associated)
            } else {
                plaintext = try ChaChaPoly.open(ChaChaPoly.SealedBox(combined: scratch), using: key, authenticating: associated)
            }
        } catch {
            throw .authenticationFailed
        }
        var tokens: [UInt64] = []
        let result: Result<Batch, WireError> = plaintext.withUnsafeBytes { body in
            Result { () throws(WireError) -> Batch in try Batch.decode(body, base: headerLength, identities: &identities, tokens: &tokens) }
        }
        return OpenedFrame(header: header, batch: try result.get(), identityTokens: tokens)
    }
}
