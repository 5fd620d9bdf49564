// Hub ingest and transport micro-benchmarks (release build, one run, printed as a table for BENCHMARKS.md).
//   swift run -c release --package-path Benchmarks hub-bench
// Measures, on one core:
//   1. open (AEAD) + decode of realistic frames: frames/s and values/s;
//   2. full ingest: open + decode + dedupe + aggregate into periods (HubCore), values/s;
//   3. a trivial nanomsg PUSH→PULL pair over TCP loopback, msg/s, for the ratio in DESIGN §9;
//   4. hub memory per live Librato series with ~100k series.
// "values" = individual numbers in stats samples (what Librato eventually receives per period, aggregated).
import ContainerMetrics
import DockerLibratoTesting
import Glibc
import Hub
import Nanomsg
import WireFormat

func nowNs() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

func rssBytes() -> Int {
    // /proc/self/statm: size resident … in pages
    let fd = open("/proc/self/statm", O_RDONLY)
    defer { close(fd) }
    var buf = [UInt8](repeating: 0, count: 256)
    let n = read(fd, &buf, buf.count)
    let fields = String(decoding: buf[..<max(n, 0)], as: UTF8.self).split(separator: " ")
    return (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
}

let key = try ClusterKey(text: String(repeating: "3c", count: 32))
let containersPerFrame = 7
let collectors = 20

/// A realistic frame: 7 containers (id, name, image, 2 labels), one stats sample each with cpu, memory, oom, pids,
/// block I/O and one interface = 27 values, i.e. 189 values per frame.
func makeFrames(count: Int, collector: CollectorID, containerBase: Int, t0: Int64) -> [[UInt8]] {
    let sealer = FrameSealer(key: key)
    var frames: [[UInt8]] = []
    for i in 0..<count {
        var batch = Batch()
        let t = t0 + Int64(i / 10) * 10_000
        for c in 0..<containersPerFrame {
            let n = containerBase + (i % 10) * containersPerFrame + c
            let id = String(repeating: String(n % 10), count: 52) + String(1_000_000_000_000 + n)
            let identity = ContainerIdentity(
                id: id, name: "svc-\(n)", image: "registry.example.com/team/app:1.2.\(n % 5)",
                labels: ["com.docker.compose.project": "shop", "com.docker.compose.service": "svc\(n % 9)"], startedAt: 1_000_000_000)
            let k = UInt64(i / 10 + 1)
            let s = StatsSample(
                time: t,
                cpu: .init(totalNs: k * 3_000_000_000, userNs: k * 2_000_000_000, kernelNs: k * 1_000_000_000, systemNs: k * 20_000_000_000, onlineCPUs: 2, periods: k * 100, throttledPeriods: k, throttledNs: k * 1000),
                memory: .init(usage: 300 << 20, limit: 2 << 30, rss: 200 << 20, cache: 100 << 20, inactiveFile: 50 << 20, oomKills: 0),
                pids: 12, blockIO: .init(readBytes: k * 4096, writeBytes: k * 8192, readOps: k, writeOps: k * 2),
                networks: [.init(interface: "eth0", rxBytes: k * 100_000, rxPackets: k * 100, txBytes: k * 50_000, txPackets: k * 80)])
            batch.stats.append(ContainerRecord(container: batch.index(of: identity), s))
        }
        let header = FrameHeader(collectorID: collector, epoch: 1, sequence: UInt64(i + 1), sendTime: t, engineID: "ENGINE-\(containerBase)", cluster: "bench", host: "host-\(containerBase)")
        frames.append(sealer.seal(header, batch))
    }
    return frames
}

let framesPerCollector = 2_000
let t0: Int64 = 1_800_000_000_000
var all: [[[UInt8]]] = []
for c in 0..<collectors {
    all.append(makeFrames(count: framesPerCollector, collector: CollectorID(high: 1, low: UInt64(c + 1)), containerBase: c * 100, t0: t0))
}
let interleaved: [[UInt8]] = (0..<framesPerCollector).flatMap { i in all.map { $0[i] } }
let valuesPerFrame = containersPerFrame * 27
let frameBytes = interleaved.map(\.count).reduce(0, +) / interleaved.count

// 1. open + decode
var opener = FrameOpener(key: key)
var checksum = 0
var start = nowNs()
for f in interleaved {
    let opened = try opener.open(f)
    checksum &+= opened.batch.stats.count
}
var elapsed = Double(nowNs() - start) / 1e9
let decodeFrames = Double(interleaved.count) / elapsed
print("open+decode: \(interleaved.count) frames of ~\(frameBytes) B (\(valuesPerFrame) values): \(Int(decodeFrames)) frames/s, \(Int(decodeFrames * Double(valuesPerFrame))) values/s")

// 2. open + decode + dedupe + aggregate
var core = HubCore(configuration: HubConfiguration(periodMs: 60_000, startupGraceMs: 0), now: t0)
opener = FrameOpener(key: key)
start = nowNs()
for f in interleaved {
    core.ingest(try opener.open(f), now: t0)
}
elapsed = Double(nowNs() - start) / 1e9
let ingestFrames = Double(interleaved.count) / elapsed
let ingestValues = ingestFrames * Double(valuesPerFrame)
print("full ingest (open, decode, dedupe, aggregate): \(Int(ingestFrames)) frames/s, \(Int(ingestValues)) values/s; applied \(core.counters.samplesApplied) samples")

// 3. trivial nanomsg PUSH→PULL, 100-byte messages, TCP loopback
let address = FreePort.tcpAddress()
let pull = try NanoSocket(.pull)
try pull.bind(address)
let push = try NanoSocket(.push)
try push.connect(address)
let messages = 500_000
let payload = [UInt8](repeating: 7, count: 100)
let sender = Task {
    var sent = 0
    while sent < messages {
        if try push.trySend(payload) { sent += 1 } else { _ = try await push.waitUntilSendable(timeout: .seconds(1)) }
    }
}
var received = 0
start = nowNs()
while received < messages {
    _ = try await pull.receive()
    received += 1
}
elapsed = Double(nowNs() - start) / 1e9
try await sender.value
let rawRate = Double(messages) / elapsed
print("nanomsg PUSH→PULL (100 B, tcp loopback): \(Int(rawRate)) msg/s")
func r2(_ x: Double) -> String { "\((x * 100).rounded() / 100)" }
print("ratios: ingest values/s ÷ raw msg/s = \(r2(ingestValues / rawRate)) (target ≥ 0.5); ingest values/s ÷ 1M = \(r2(ingestValues / 1e6)) (target ≥ 1); frames/s ÷ raw msg/s = \(r2(ingestFrames / rawRate))")
push.close()
pull.close()

// 4. memory per live series: ~2,900 containers × ~35 Librato series ≈ 100k series in one open period.
let before = rssBytes()
var big = HubCore(configuration: HubConfiguration(periodMs: 60_000, startupGraceMs: 0, maxContainers: 100_000), now: t0)
var bigOpener = FrameOpener(key: key)
var series = 0
for c in 0..<41 {
    let frames = makeFrames(count: 20, collector: CollectorID(high: 2, low: UInt64(c + 1)), containerBase: 10_000 + c * 100, t0: t0)
    for f in frames { big.ingest(try bigOpener.open(f), now: t0) }
}
let after = rssBytes()
let periods = big.stateFile()
series = periods.containers.count * 35
print("memory: \(periods.containers.count) containers ≈ \(series) live series: \(after - before) bytes RSS growth, \((after - before) / max(series, 1)) B per series (target ≤ 300)")
print("checksum \(checksum)")
