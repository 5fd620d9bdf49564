import ContainerMetrics
import Foundation
import Librato
import Testing

@_spi(Benchmarks) @testable import Hub

@Suite("naming: seed mode reproduces the original's payload; default names")
struct NamingTests {
    struct CapturedGauge {
        var name: String
        var source: String
        var keys: Set<String>
        var value: Double?
        var count: Int?
        var sum, min, max, sumSquares: Double?
    }

    static func capture(_ file: String) throws -> [CapturedGauge] {
        // The project's own JSON parser: exact numbers (JSONSerialization rounds some decimals on Linux).
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(file)")
        let json = try JSONValue.parse(Array(try Data(contentsOf: url)))
        return json["body"]!["gauges"]!.arrayValue!.map { g in
            CapturedGauge(
                name: g["name"]!.stringValue!, source: g["source"]!.stringValue!, keys: Set(g.objectMembers!.map(\.key)),
                value: g["value"]?.doubleValue, count: g["count"]?.intValue, sum: g["sum"]?.doubleValue, min: g["min"]?.doubleValue,
                max: g["max"]?.doubleValue, sumSquares: g["sum_squares"]?.doubleValue)
        }
    }

    /// Rebuilds the period the original summarised, container by container, from the captured numbers.
    static func period(from captured: [CapturedGauge]) -> ClosedPeriod {
        let gaugeFor: [String: ContainerGauge] = [
            "docker-container-pcpu": .cpuPercent, "docker-container-memory": .memoryRSS, "docker-container-memory_usage": .memoryUsage,
            "docker-container-memory_limit": .memoryLimit, "docker-container-memory_cached": .memoryCache,
        ]
        var containers: [String: ContainerPeriod] = [:]
        for g in captured {
            let parts = g.source.split(separator: ":")
            let name = String(parts[2])
            // The capture ran `local/busybox`: the original drops the first path part, so IMAGE `busybox` in its
            // source means a reference with one more part in front.
            var c = containers[name] ?? ContainerPeriod(
                identity: ContainerIdentity(id: name, name: name, image: "local/\(parts[1])"), cluster: String(parts[0]), host: "h",
                engineID: "e")
            var stat = GaugeStat()
            if let v = g.value {
                stat.add(v)
            } else {
                stat.count = g.count!
                stat.sum = g.sum!
                stat.min = g.min!
                stat.max = g.max!
                stat.sumSquares = g.sumSquares!
            }
            c.gauges[gaugeFor[g.name]!.rawValue] = stat
            containers[name] = c
        }
        return ClosedPeriod(start: 1_795_574_220_000, containers: Array(containers.values))
    }

    @Test(arguments: ["seed-post-single-samples.json", "seed-post-aggregated.json"])
    func seedPayloadMatchesTheOriginalFieldByField(file: String) throws {
        let captured = try Self.capture(file)
        let period = Self.period(from: captured)
        let measurements = NamingScheme(mode: .seed, periodSeconds: 30).measurements(for: period)
        let body = PayloadEncoder.body(entries: measurements.map { PayloadEncoder.entry($0, for: .legacy) }, for: .legacy)
        let ours = try JSONValue.parse(body)["gauges"]!.arrayValue!
        #expect(ours.count == captured.count)
        for c in captured {
            let mine = ours.filter { $0["name"]?.stringValue == c.name && $0["source"]?.stringValue == c.source }
            #expect(mine.count == 1, "\(c.name) \(c.source)")
            guard let m = mine.first else { continue }
            // Same fields as the original, plus measure_time (the period start) so that a replay lands on the same point.
            let keys = Set(m.objectMembers!.map(\.key))
            #expect(keys == c.keys.union(["measure_time"]), "\(c.name) \(c.source): \(keys.sorted())")
            #expect(m["measure_time"]?.intValue == 1_795_574_220)
            if let v = c.value { #expect(m["value"]?.doubleValue == v) }
            if let n = c.count {
                #expect(m["count"]?.intValue == n)
                #expect(m["sum"]?.doubleValue == c.sum)
                #expect(m["min"]?.doubleValue == c.min)
                #expect(m["max"]?.doubleValue == c.max)
                #expect(m["sum_squares"]?.doubleValue == c.sumSquares)
            }
        }
    }

    /// One container of `image` in a period, named by the seed scheme.
    static func seed(image: String, cluster: String = "c", name: String = "web-1", api: LibratoAPI = .legacy) -> Librato.Measurement {
        var c = ContainerPeriod(identity: ContainerIdentity(id: "x", name: name, image: image), cluster: cluster, host: "h", engineID: "e")
        c.gauges[ContainerGauge.cpuPercent.rawValue].add(1)
        return NamingScheme(mode: .seed, periodSeconds: 60, api: api).measurements(for: ClosedPeriod(start: 60_000, containers: [c]))[0]
    }

    /// The seed source for every form of image reference, against the original's `getSourceName`
    /// (`_.tail(image.split('@')[0].split('/'))` in a template literal). Where the original's value is valid for
    /// Librato it is sent as is; where not, the nearest valid one (docs/metrics.md, "Naming `seed`").
    @Test(arguments: [
        // official image: one part, so the original's IMAGE is empty — `c::web-1` is a valid source, sent as is
        ("nginx:1.25", "", "c::web-1"),
        // official image without a tag
        ("busybox", "", "c::web-1"),
        // user/app:tag: the part after the user, tag included
        ("octoblu/meshblu:v2", "meshblu:v2", "c:meshblu:v2:web-1"),
        // tag-less user image (the capture's `local/busybox`)
        ("local/busybox", "busybox", "c:busybox:web-1"),
        // registry:port/team/app:tag: the original joins `team` and `app:tag` with `,`, which Librato rejects → `_`
        ("registry.example.com:5000/team/app:1.2", "team,app:1.2", "c:team_app:1.2:web-1"),
        // @sha256 digest: removed before splitting
        ("octoblu/meshblu@sha256:" + String(repeating: "ab", count: 32), "meshblu", "c:meshblu:web-1"),
        ("gcr.io/team/app:v2@sha256:" + String(repeating: "cd", count: 32), "team,app:v2", "c:team_app:v2:web-1"),
        // an image ID (the image was untagged or the container started by ID): one part, so empty
        ("sha256:" + String(repeating: "ef", count: 32), "", "c::web-1"),
        // upper case (a tag or a registry host may hold it; sources allow it): kept, as the original sends it
        ("octoblu/meshblu:V2-RC", "meshblu:V2-RC", "c:meshblu:V2-RC:web-1"),
        ("Registry.Example.com:5000/app:V1", "app:V1", "c:app:V1:web-1"),
    ])
    func seedSourceForEachImageForm(image: String, originalPart: String, source: String) throws {
        #expect(SeedNames.originalImagePart(image) == originalPart)
        let m = Self.seed(image: image)
        #expect(m.source == source)
        // Where the original's source is valid it is exactly the original's; and what we send passes the sanitiser
        // (and the fake's rules) unchanged, so it is never counted as renamed.
        let original = SeedNames.originalSource(cluster: "c", image: image, name: "web-1")
        #expect(original.contains(",") || m.source == original)
        guard case .valid(let clean, let notes) = Sanitiser.measurement(m, for: .legacy) else { throw SeedError.rejected }
        #expect(clean.source == source && notes.isClean)
    }

    enum SeedError: Error { case rejected }

    @Test func seedSourcesAreCutAt255AndKeepOtherPartsAsTheOriginal() {
        let long = Self.seed(image: "r/" + String(repeating: "a", count: 300))
        #expect(long.source == String(("c:" + String(repeating: "a", count: 300)).prefix(255)))
        // Several path parts after the registry: every `,` becomes `_`.
        #expect(Self.seed(image: "r:5000/a/b/c:t").source == "c:a_b_c:t:web-1")
        // A cluster name the original would have sent unchecked is made valid by the same rule.
        #expect(Self.seed(image: "u/app", cluster: "my cluster").source == "my_cluster:app:web-1")
    }

    @Test func seedImageTagFollowsTheSourceAndIsLeftOutWhenEmpty() {
        #expect(Self.seed(image: "registry:5000/team/app:tag", api: .tagged).tags == ["cluster": "c", "container": "web-1", "image": "team_app:tag"])
        #expect(Self.seed(image: "nginx:1.25", api: .tagged).tags == ["cluster": "c", "container": "web-1"])
    }

    @Test func defaultNamesSourcesTagsAndRollups() {
        var web = ContainerPeriod(
            identity: ContainerIdentity(id: "x", name: "web-1", image: "nginx", labels: ["com.docker.compose.service": "web"]), cluster: "prod",
            host: "node-1", engineID: "e")
        web.gauges[ContainerGauge.cpuPercent.rawValue].add(10)
        web.gauges[ContainerGauge.cpuPercent.rawValue].add(30)
        web.samples = 2
        web.add(.stdoutLines, 5)
        web.add(.stdoutBytes, 50)
        web.events = [LifecycleEvent(timeNano: 61_000_000_000, action: "restart")]
        web.l2met[L2metKey(kind: .count, name: "jobs.done", unit: "")] = L2metAggregate(L2metToken(kind: .count, name: "jobs.done", value: 3))
        let m = NamingScheme(mode: .standard, periodSeconds: 60, api: .tagged).measurements(for: ClosedPeriod(start: 60_000, containers: [web]))
        let cpu = m.first { $0.name == "docker.container.cpu.percent" }!
        #expect(cpu.source == "prod:node-1:web-1")
        #expect(cpu.tags == ["cluster": "prod", "host": "node-1", "container": "web-1", "image": "nginx", "compose_service": "web"])
        #expect(cpu.time == 60)
        #expect(cpu.value == .summary(Summary(count: 2, sum: 40, min: 10, max: 30, sumSquares: 1000, last: 30)))
        #expect(cpu.attributes?.displayUnitsShort == "%")
        #expect(m.first { $0.name == "docker.container.logs.stdout.lines" }?.value == .single(5))
        #expect(m.first { $0.name == "docker.container.logs.stderr.lines" }?.value == .single(0))
        #expect(m.first { $0.name == "docker.container.events.restart" }?.value == .single(1))
        #expect(m.first { $0.name == "jobs.done" }?.value == .single(3))
        #expect(m.first { $0.name == "docker.cluster.containers.running" && $0.source == "prod" }?.value == .single(1))
        #expect(m.first { $0.name == "docker.host.cpu.percent" && $0.source == "prod:node-1" }?.value == .single(20))
        #expect(m.first { $0.name == "docker.cluster.containers.by_service" }?.source == "prod:web")
        #expect(m.first { $0.name == "docker.cluster.events.restart" }?.value == .single(1))
        // The legacy API gets no attributes (their place in a POST is unconfirmed).
        let legacy = NamingScheme(mode: .standard, periodSeconds: 60, api: .legacy).measurements(for: ClosedPeriod(start: 60_000, containers: [web]))
        #expect(legacy.allSatisfy { $0.attributes == nil })
    }

    /// The period's inline storage is sized by hand: one slot per gauge and per counter, no more.
    @Test func aPeriodHoldsExactlyOneSlotPerGaugeAndPerCounter() {
        let p = ContainerPeriod(identity: ContainerIdentity(id: "x", name: "web-1", image: "nginx"), cluster: "prod", host: "node-1", engineID: "e")
        #expect(p.gauges.count == ContainerGauge.allCases.count)
        #expect(p.counters.count == ContainerCounter.allCases.count)
    }

    @Test func theUpperBoundOfAContainersMeasurementsHoldsAndIsReachedByAFullOne() {
        var full = ContainerPeriod(identity: ContainerIdentity(id: "x", name: "web-1", image: "nginx"), cluster: "prod", host: "node-1", engineID: "e")
        for g in ContainerGauge.allCases { full.add(g, 1) }
        for k in ContainerCounter.allCases { full.add(k, 1) }
        full.samples = 1
        for i in 0..<3 { full.interfaces.append(.init(interface: "eth\(i)", rxBytes: 1, rxPackets: 1, txBytes: 1, txPackets: 1)) }
        full.status = ContainerStatus(time: 70_000, state: .running, health: .healthy, startedAt: 10_000)
        full.events = [LifecycleEvent(timeNano: 61_000_000_000, action: "restart"), LifecycleEvent(timeNano: 62_000_000_000, action: "die")]
        full.l2met[L2metKey(kind: .count, name: "jobs.done", unit: "")] = L2metAggregate(L2metToken(kind: .count, name: "jobs.done", value: 3))
        var bare = ContainerPeriod(identity: full.identity, cluster: "prod", host: "node-1", engineID: "e")
        bare.add(.cpuPercent, 1)
        bare.samples = 1
        let naming = NamingScheme(mode: .standard, periodSeconds: 60)
        for c in [full, bare] {
            let made = naming.containerMeasurements([c], periodStart: 60_000).count
            #expect(ContainerNames.upperBound(c) >= made && naming.containerMeasurementsBound([c]) >= made)
        }
        #expect(naming.containerMeasurementsBound([full]) == naming.containerMeasurements([full], periodStart: 60_000).count, "tight for a full one")
        let seed = NamingScheme(mode: .seed, periodSeconds: 60)
        #expect(seed.containerMeasurementsBound([full, bare]) >= seed.containerMeasurements([full, bare], periodStart: 60_000).count)
    }

    @Test func restartLoopsBecomeOneAnnotation() {
        var web = ContainerPeriod(identity: ContainerIdentity(id: "x", name: "web-1", image: "nginx"), cluster: "prod", host: "node-1", engineID: "e")
        for i in 0..<40 {
            web.events.append(LifecycleEvent(timeNano: Int64(60 + i) * 1_000_000_000, action: "die", exitCode: 1))
            web.events.append(LifecycleEvent(timeNano: Int64(60 + i) * 1_000_000_000 + 1, action: "start"))
        }
        let a = NamingScheme(mode: .standard, periodSeconds: 60).annotations(for: ClosedPeriod(start: 60_000, containers: [web]))
        #expect(a.count == 2)
        #expect(a.map(\.title).sorted() == ["web-1: die (exit 1) ×40", "web-1: start ×40"])
        #expect(a.allSatisfy { $0.stream == "docker-librato.prod" && $0.startTime == 60 && $0.endTime == 99 })
    }
}
