import ContainerMetrics
import Testing

@testable import Hub
@testable import WireFormat

/// The hub decodes each container's identity once, not in every frame, however large the fleet it is set to follow.
@Suite struct IngestIdentityTests {
    @Test(arguments: [1_000, 100_000])
    func everyFollowedContainersIdentityStaysInterned(containers: Int) throws {
        var interner = IdentityInterner(capacity: IngestService.identityCapacity(containers: containers))
        var decoded = 0
        for round in 0..<2 {
            for i in 0..<containers {
                let payload: [UInt8] = Array("container \(i)".utf8)
                _ = try payload.withUnsafeBytes { p throws(WireError) in
                    try interner.identity(for: p) { () throws(WireError) in
                        decoded += 1
                        return ContainerIdentity(id: "\(i)", name: "", image: "")
                    }
                }
            }
            #expect(decoded == containers, "round \(round): decoded only the first time")
        }
    }
}
