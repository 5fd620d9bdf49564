import FoundationEssentials
import Testing

@testable import DockerEngine

@Suite struct SystemInfoTests {
    /// Podman 4.3's compatible `/info` (recorded, trimmed): `ID` is a new random UUID on every call, so the engine is
    /// identified by its host name and storage root instead — the hub keys containers by engine, and a collector
    /// that reconnects must not look like a new engine.
    @Test func podmanIsIdentifiedByHostAndStorageRoot() throws {
        func info(_ id: String) throws -> SystemInfo {
            let json = #"""
                {"ID":"\#(id)","Name":"vm","CgroupVersion":"1","CgroupDriver":"cgroupfs","NCPU":2,"MemTotal":25275990016,"ServerVersion":"4.3.1","DockerRootDir":"/var/lib/containers/storage","BuildahVersion":"1.28.2","OperatingSystem":"debian"}
                """#
            return try JSONDecoder().decode(SystemInfo.self, from: Data(json.utf8))
        }
        let first = try info("3b979052-e289-4969-9080-870b719927dd")
        let second = try info("87570224-8600-4a98-95c6-a530156cb6ac")
        #expect(first.isPodman)
        #expect(first.engineID == "podman:vm:/var/lib/containers/storage")
        #expect(second.engineID == first.engineID)
        #expect(first.cgroupVersion == "1" && first.cgroupDriver == "cgroupfs" && first.memTotal == 25_275_990_016)
    }

    /// dockerd's `/info` has no `BuildahVersion`: its `ID` is the engine's.
    @Test func dockerdKeepsItsID() throws {
        let json = #"{"ID":"ABCD:EFGH","Name":"host-1","CgroupVersion":"2","CgroupDriver":"systemd","ServerVersion":"20.10.24"}"#
        let info = try JSONDecoder().decode(SystemInfo.self, from: Data(json.utf8))
        #expect(!info.isPodman && info.engineID == "ABCD:EFGH")
    }
}
