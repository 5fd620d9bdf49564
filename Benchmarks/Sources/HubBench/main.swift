// Hub ingest and transport micro-benchmarks (release build; the numbers go to BENCHMARKS.md).
//   swift run -c release --package-path Benchmarks HubBench
//   swift run -c release --package-path Benchmarks HubBench --ab-prefetch [pairs]   (the prefetch hints on and off)
// Measures, on one core (the hub's ingest loop is one task):
//   1. a trivial nanomsg PUSH→PULL pair over TCP loopback, msg/s (the reference rate of the ingest target), and the same pair
//      received through NanoSocket.messages as the hub does;
//   2. open (AEAD) + decode of realistic frames: frames/s and samples/s;
//   3. full ingest: open + decode + dedupe + aggregate into periods (HubCore), periods closed as they end, samples/s
//      (HUB_BENCH_REPEAT runs, default 5: the median, and the best);
//   4. hub memory per live Librato series with ~100k series.
// A "sample" is one container's stats reading (27 values: cpu, memory, pids, block I/O, one interface).
import CHeapInfo
import ContainerMetrics
import Foundation  // Thread, for the raw nanomsg pair (benchmark only, not shipped)
import DockerLibratoTesting
import Glibc
@_spi(Benchmarks) import Hub
import Nanomsg
import WireFormat

func nowNs() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}


let key = try ClusterKey(text: String(repeating: "3c", count: 32))
let valuesPerSample = 27
/// `HubBench --profile-ingest`: only a short full-ingest run of each frame shape (30 rounds, no transport, no
/// memory run), for instruction counts that do not depend on what else the machine does:
///   valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*fullIngest*' .build/release/HubBench --profile-ingest
let profileIngest = CommandLine.arguments.contains("--profile-ingest")
/// `HUB_BENCH_REPEAT=n`: full ingest runs per frame shape (default 5, 1 with `--profile-ingest`); the median is the
/// figure reported.
let repeats = profileIngest ? 1 : max(1, getenv("HUB_BENCH_REPEAT").flatMap { Int(String(cString: $0)) } ?? 5)
/// `HubBench --ab-prefetch [pairs]`: full ingest with the hub's prefetch hints on and off, alternating in one process
/// (default 15 pairs per frame shape), and the median of each pair's ratio. This machine's speed swings by ×1.5–2
/// between runs of the same build, but little within one pair, so the paired ratio shows a 10 % change that
/// separate runs cannot.
let abPrefetch = CommandLine.arguments.firstIndex(of: "--ab-prefetch").map { i in
    i + 1 < CommandLine.arguments.count ? Int(CommandLine.arguments[i + 1]) ?? 15 : 15
}

/// A realistic frame: `containers` containers (64-hex id, name, image, the two compose labels), one stats sample
/// each with cpu, memory, oom, pids, block I/O and one interface = 27 values. A collector sends one frame per second
/// (or per 256 KiB), so a host with 100–200 containers at a 10 s interval sends frames of ~100–200 samples.
/// Each collector follows 200 containers: with `containers` < 200 per frame, one stats round (10 s of sample time)
/// spans 200 / `containers` consecutive frames.
func makeFrames(count: Int, containers: Int, collector: CollectorID, containerBase: Int, t0: Int64) -> [[UInt8]] {
    let sealer = FrameSealer(key: key)
    let framesPerRound = max(1, 200 / containers)
    var frames: [[UInt8]] = []
    for i in 0..<count {
        var batch = Batch()
        let round = i / framesPerRound
        let t = t0 + Int64(round) * 10_000
        for c in 0..<containers {
            let n = containerBase + (i % framesPerRound) * containers + c
            let id = String(repeating: String(n % 10), count: 52) + String(1_000_000_000_000 + n)
            let identity = ContainerIdentity(
                id: id, name: "svc-\(n)", image: "registry.example.com/team/app:1.2.\(n % 5)",
                labels: ["com.docker.compose.project": "shop", "com.docker.compose.service": "svc\(n % 9)"], startedAt: 1_000_000_000)
            let k = UInt64(round + 1)
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

func r2(_ x: Double) -> String { "\((x * 100).rounded() / 100)" }
func k(_ x: Double) -> String { x >= 1e6 ? "\(r2(x / 1e6)) M" : "\(Int(x / 1000)) k" }

// 1. trivial nanomsg PUSH→PULL: 100-byte messages over TCP loopback, the sender a tight non-blocking loop on its own
// thread. Received either by a tight non-blocking loop too (what nanomsg itself can move; no Swift concurrency in the
// way) or the way the hub receives: the `messages` async sequence (NN_RCVFD readiness + NN_DONTWAIT draining).
enum Receiver { case tightLoop, asyncSequence }

func pushPullRate(messages: Int, receiver: Receiver) async throws -> Double {
    let address = FreePort.tcpAddress()
    let pull = try NanoSocket(.pull)
    try pull.bind(address)
    let push = try NanoSocket(.push)
    try push.connect(address)
    let payload = [UInt8](repeating: 7, count: 100)
    let sender = Thread {
        var sent = 0
        while sent < messages { if (try? push.trySend(payload)) == true { sent += 1 } else { sched_yield() } }
    }
    var received = 0
    let start = nowNs()
    sender.start()
    switch receiver {
    case .tightLoop:
        while received < messages { if (try? pull.tryReceive()) != nil { received += 1 } else { sched_yield() } }
    case .asyncSequence:
        for try await _ in pull.messages {
            received += 1
            if received == messages { break }
        }
    }
    let rate = Double(messages) / (Double(nowNs() - start) / 1e9)
    push.close()
    pull.close()
    return rate
}

// HUB_BENCH_INGEST_ONLY=1 skips the transport runs (for profiling the ingest alone).
let ingestOnly = getenv("HUB_BENCH_INGEST_ONLY") != nil || profileIngest || abPrefetch != nil
var raw = Double.nan
if !ingestOnly {
    let loops = try await pushPullRate(messages: 1_000_000, receiver: .tightLoop)
    print("nanomsg PUSH→PULL (100 B, tcp loopback, tight loops): \(k(loops)) msg/s")
    let asyncRaw = try await pushPullRate(messages: 1_000_000, receiver: .asyncSequence)
    print("nanomsg PUSH→PULL received through NanoSocket.messages (the hub's path): \(k(asyncRaw)) msg/s")
    raw = max(loops, asyncRaw)  // the ratio below is taken against the faster of the two (the stricter reference)
}

let t0: Int64 = 1_800_000_000_000

/// Opens and ingests `frames` as the hub runs: the clock follows the frames, periods close once their end + grace has
/// passed and are delivered at once (the submission itself is not ingest), so each container has one or two open
/// periods.
@inline(never)
func fullIngest(_ frames: [[UInt8]], collectors: Int, framesPerRound: Int, opener: inout FrameOpener, prefetch: Bool = true) throws -> HubCore {
    var configuration = HubConfiguration(periodMs: 60_000, startupGraceMs: 0)
    configuration.prefetchHints = prefetch
    var core = HubCore(configuration: configuration, now: t0)
    for (n, f) in frames.enumerated() {
        let now = t0 + Int64(n / collectors / framesPerRound) * 10_000
        core.ingest(try opener.open(f), now: now)
        if core.closeDuePeriods(now: now) > 0 {
            while let p = core.oldestPendingStart { core.delivered(periodStart: p) }
        }
    }
    return core
}

// 2. open + decode, and 3. full ingest (open, decode, dedupe, ownership, deltas, aggregation into periods),
// 20 collectors interleaved, for two frame shapes.
// HUB_BENCH_SHAPES=10 (or 200, or 200,10) runs only those frame shapes (for profiling one of them).
let shapes = getenv("HUB_BENCH_SHAPES").map { String(cString: $0).split(separator: ",").compactMap { Int($0) } } ?? [200, 10]
for containers in shapes {
    let collectors = 20
    let framesPerCollector = (profileIngest ? 30 : 60) * max(1, 200 / containers)  // 60 rounds = 10 min of sample time
    var all: [[[UInt8]]] = []
    for c in 0..<collectors {
        all.append(makeFrames(count: framesPerCollector, containers: containers, collector: CollectorID(high: 1, low: UInt64(c + 1)), containerBase: c * 1000, t0: t0))
    }
    let interleaved: [[UInt8]] = (0..<framesPerCollector).flatMap { i in all.map { $0[i] } }
    if let pairs = abPrefetch {
        var on: [Double] = []
        var ratios: [Double] = []
        for _ in 0..<pairs {
            var rates: [Double] = []
            for prefetch in [true, false] {
                var opener = FrameOpener(key: key)
                let start = nowNs()
                _ = try fullIngest(interleaved, collectors: collectors, framesPerRound: max(1, 200 / containers), opener: &opener, prefetch: prefetch)
                rates.append(Double(interleaved.count * containers) / (Double(nowNs() - start) / 1e9))
            }
            on.append(rates[0])
            ratios.append(rates[0] / rates[1])
        }
        on.sort()
        ratios.sort()
        print("frames of \(containers) samples, \(pairs) pairs: full ingest with prefetch hints \(k(on[0]))–\(k(on[pairs - 1])) samples/s (median \(k(on[pairs / 2]))); on ÷ off per pair: median \(r2(ratios[pairs / 2])), \(r2(ratios[0]))–\(r2(ratios[pairs - 1]))")
        continue
    }
    let frameBytes = interleaved.map(\.count).reduce(0, +) / interleaved.count
    let samplesPerFrame = Double(containers)

    var opener = FrameOpener(key: key)
    var checksum = 0
    var start = nowNs()
    for f in interleaved { checksum &+= try opener.open(f).batch.stats.count }
    let decodeFrames = Double(interleaved.count) / (Double(nowNs() - start) / 1e9)

    // Repeated (each from a fresh hub and opener), median and best reported: this machine's speed swings by ×1.5
    // between runs seconds apart (BENCHMARKS.md), and one ingest takes a quarter of a second.
    var rates: [Double] = []
    var core: HubCore!
    for _ in 0..<repeats {
        opener = FrameOpener(key: key)
        start = nowNs()
        core = try fullIngest(interleaved, collectors: collectors, framesPerRound: max(1, 200 / containers), opener: &opener)
        rates.append(Double(interleaved.count) / (Double(nowNs() - start) / 1e9))
    }
    let runs = rates.map { k($0 * samplesPerFrame) }.joined(separator: ", ")
    rates.sort()
    let ingestFrames = rates[rates.count / 2]
    let ingestSamples = ingestFrames * samplesPerFrame
    precondition(checksum == interleaved.count * containers && core.counters[.samplesApplied] > 0)

    print("frames of \(containers) samples (~\(frameBytes) B), \(interleaved.count) frames from \(collectors) collectors:")
    print("  open+decode: \(k(decodeFrames)) frames/s, \(k(decodeFrames * samplesPerFrame)) samples/s (\(k(decodeFrames * samplesPerFrame * Double(valuesPerSample))) values/s)")
    print("  full ingest: \(k(ingestFrames)) frames/s, \(k(ingestSamples)) samples/s (\(k(ingestSamples * Double(valuesPerSample))) values/s); \(core.counters[.samplesApplied]) samples applied")
    print("  full ingest, \(repeats) runs: median \(k(ingestSamples)), best \(k(rates[rates.count - 1] * samplesPerFrame)) samples/s (\(runs))")
    print("  ratios: ingest samples/s ÷ 1 M = \(r2(ingestSamples / 1e6)) (target ≥ 1); ingest samples/s ÷ raw msg/s = \(r2(ingestSamples / raw)) (target ≥ 0.5)")
}

if profileIngest || abPrefetch != nil { exit(0) }

// 4. memory per live series: 143 collectors × 200 containers × ~35 Librato series ≈ 1 M series, 3 stats rounds in
// one open period. Measured as heap in use (mallinfo2) with the frames made beforehand and kept alive.
let memoryFrames = (0..<143).map { c in
    makeFrames(count: 6, containers: 100, collector: CollectorID(high: 2, low: UInt64(c + 1)), containerBase: 1_000_000 + c * 1000, t0: t0)
}
func heapInUse() -> Int { Int(heap_in_use()) }
let before = heapInUse()
var big = HubCore(configuration: HubConfiguration(periodMs: 60_000, startupGraceMs: 0, maxContainers: 1_000_000), now: t0)
var bigOpener = FrameOpener(key: key)
for frames in memoryFrames { for f in frames { big.ingest(try bigOpener.open(f), now: t0) } }
let after = heapInUse()
let containerCount = big.liveContainers
let series = containerCount * 35
print("memory: \(containerCount) containers ≈ \(series) live series: \((after - before) / 1024) KiB heap, \((after - before) / max(series, 1)) B per series (target ≤ 300)")
withExtendedLifetime(memoryFrames) {}
