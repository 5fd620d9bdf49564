@_spi(Simulation) import Collector
import ContainerMetrics
import Testing

@Suite struct CgroupParsersTests {
    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func flatKeyedFiles() {
        let v1 = CgroupParsers.flatKeyed(bytes(Fixture.v1MemoryStat))
        #expect(v1["total_rss"] == 61_440)
        #expect(v1["total_cache"] == 1_081_344)
        #expect(v1["total_inactive_file"] == 1_048_576)
        #expect(v1["hierarchical_memory_limit"] == 9_223_372_036_854_771_712)
        let v2 = CgroupParsers.flatKeyed(bytes(Fixture.v2MemoryStat))
        #expect(v2["anon"] == 52_428_800)
        #expect(v2["file"] == 16_777_216)
        #expect(v2["inactive_file"] == 8_388_608)
        #expect(CgroupParsers.flatKeyed(bytes(Fixture.v1OOMControl))["oom_kill"] == 2)
        #expect(CgroupParsers.flatKeyed(bytes(Fixture.v2MemoryEvents))["oom_kill"] == 1)
        #expect(CgroupParsers.flatKeyed(bytes(Fixture.v2CPUStat))["throttled_usec"] == 123_456)
        #expect(CgroupParsers.flatKeyed(bytes("junk\nkey notanumber\nok 5\n")) == ["ok": 5])
    }

    @Test func singleValues() {
        #expect(CgroupParsers.singleValue(bytes("4734409170\n")) == 4_734_409_170)
        #expect(CgroupParsers.singleValue(bytes("max\n")) == .max)
        #expect(CgroupParsers.singleValue(bytes("")) == nil)
        #expect(CgroupParsers.singleValue(bytes("-1\n")) == nil)
        #expect(CgroupParsers.singleValue(bytes("99999999999999999999999\n")) == nil)  // overflow
    }

    @Test func blkioV1SumsReadAndWriteOverDevices() {
        #expect(CgroupParsers.blkioV1(bytes(Fixture.v1BlkioBytes)) == (4_196, 8_192))
        #expect(CgroupParsers.blkioV1(bytes(Fixture.v1BlkioOps)) == (6, 2))
        #expect(CgroupParsers.blkioV1(bytes("Total 0\n")) == (0, 0))
    }

    @Test func ioStatV2SumsDevices() {
        #expect(
            CgroupParsers.ioStatV2(bytes(Fixture.v2IOStat))
                == StatsSample.BlockIO(readBytes: 1_049_088, writeBytes: 2_097_152, readOps: 41, writeOps: 80)
        )
        #expect(CgroupParsers.ioStatV2([]) == StatsSample.BlockIO(readBytes: 0, writeBytes: 0, readOps: 0, writeOps: 0))
    }

    @Test func procStatAsDockerdReadsIt() throws {
        let (systemNs, cpus) = try #require(CgroupParsers.procStat(bytes(Fixture.procStat)))
        #expect(systemNs == Fixture.procStatSystemNs)
        #expect(cpus == 2)
        #expect(CgroupParsers.procStat(bytes("cpu  1 2 3\n")) == nil)
        #expect(CgroupParsers.procStat(bytes("intr 1 2\n")) == nil)
    }

    @Test func netDevPerInterface() {
        let all = CgroupParsers.netDev(bytes(Fixture.netDev), includeLoopback: true)
        #expect(
            all == [
                StatsSample.NetworkCounters(
                    interface: "eth0",
                    rxBytes: 1_234_567,
                    rxPackets: 8_910,
                    rxErrors: 1,
                    rxDropped: 2,
                    txBytes: 7_654_321,
                    txPackets: 1_098,
                    txErrors: 4,
                    txDropped: 5
                ),
                StatsSample.NetworkCounters(interface: "lo", rxBytes: 336, rxPackets: 4, txBytes: 336, txPackets: 4),
            ]
        )
        #expect(CgroupParsers.netDev(bytes(Fixture.netDev)).map(\.interface) == ["eth0"])
    }

    @Test func procCgroupPaths() {
        let v1 = "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n0::/docker/abc\n"
        #expect(CgroupParsers.procCgroupPath(bytes(v1), controller: "memory") == "/docker/abc")
        #expect(CgroupParsers.procCgroupPath(bytes(v1), controller: "cpuacct") == "/docker/abc")
        #expect(CgroupParsers.procCgroupPath(bytes("0::/system.slice/docker-abc.scope\n"), controller: nil) == "/system.slice/docker-abc.scope")
        #expect(CgroupParsers.procCgroupPath(bytes("0::/x\n"), controller: "memory") == nil)
    }

    @Test func memTotal() {
        #expect(CgroupParsers.memTotal(bytes(Fixture.meminfo)) == 24_684_092 * 1024)
    }
}
