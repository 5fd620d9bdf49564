@_spi(Simulation) import Collector
import DockerLibratoTesting
import Testing

@Suite struct GlobTests {
    @Test(arguments: [
        ("web-*", "web-1", true), ("web-*", "web-", true), ("web-*", "api-1", false), ("*", "", true),
        ("*/nginx:*", "library/nginx:1.25", true), ("*/nginx:*", "nginx:1.25", false), ("a?c", "abc", true),
        ("a?c", "ac", false), ("[ab]x", "bx", true), ("[ab]x", "cx", false), ("[!ab]x", "cx", true),
        ("[a-c]1", "b1", true), ("[a-c]1", "d1", false), ("a*b*c", "axxbyyc", true), ("a*b*c", "axxbyy", false),
        ("[unclosed", "[unclosed", true), ("**x", "abcx", true), ("exact", "exact", true), ("exact", "exactly", false),
    ])
    func matches(pattern: String, text: String, expected: Bool) {
        #expect(Glob(pattern).matches(text) == expected, "\(pattern) ~ \(text)")
    }
}

@Suite struct ContainerMatcherTests {
    func matcher(_ filters: ContainerFilters) throws -> ContainerMatcher { try ContainerMatcher(filters) }

    @Test func emptyFiltersFollowEverything() throws {
        #expect(ContainerMatcher.all.matches(name: "anything", image: "x", labels: [:]))
    }

    @Test func includeAndExcludeNames() throws {
        let m = try matcher(ContainerFilters(includeNames: ["web-*", "/^api-[0-9]+$/"], excludeNames: ["*-canary"]))
        #expect(m.matches(name: "web-1", image: "i", labels: [:]))
        #expect(m.matches(name: "/web-1", image: "i", labels: [:]), "Docker's leading slash is ignored")
        #expect(m.matches(name: "api-12", image: "i", labels: [:]))
        #expect(!m.matches(name: "api-x", image: "i", labels: [:]))
        #expect(!m.matches(name: "web-canary", image: "i", labels: [:]))
        #expect(!m.matches(name: "db", image: "i", labels: [:]))
    }

    @Test func regexSearchesUnlessAnchored() throws {
        let m = try matcher(ContainerFilters(includeNames: ["/worker/"]))
        #expect(m.matches(name: "bg-worker-3", image: "", labels: [:]))
        #expect(!m.matches(name: "web", image: "", labels: [:]))
    }

    @Test func images() throws {
        let m = try matcher(ContainerFilters(includeImages: ["busybox:latest", "*/nginx:*"], excludeImages: ["*:debug"]))
        #expect(m.matches(name: "a", image: "busybox", labels: [:]), "an untagged image matches as :latest")
        #expect(m.matches(name: "a", image: "busybox:latest", labels: [:]))
        #expect(m.matches(name: "a", image: "library/nginx:1.25", labels: [:]))
        #expect(!m.matches(name: "a", image: "library/nginx:debug", labels: [:]))
        #expect(!m.matches(name: "a", image: "redis", labels: [:]))
        let registry = try matcher(ContainerFilters(includeImages: ["localhost:5000/app"]))
        #expect(registry.matches(name: "a", image: "localhost:5000/app", labels: [:]))
    }

    @Test func labels() throws {
        let m = try matcher(
            ContainerFilters(includeLabels: ["metrics", "tier=web*", "team=/^(a|b)$/"], excludeLabels: ["metrics=off"])
        )
        #expect(m.matches(name: "x", image: "i", labels: ["metrics": "on"]))
        #expect(m.matches(name: "x", image: "i", labels: ["tier": "web-frontend"]))
        #expect(m.matches(name: "x", image: "i", labels: ["team": "b"]))
        #expect(!m.matches(name: "x", image: "i", labels: ["team": "c"]))
        #expect(!m.matches(name: "x", image: "i", labels: ["metrics": "off"]))
        #expect(!m.matches(name: "x", image: "i", labels: [:]))
        let empty = try matcher(ContainerFilters(includeLabels: ["k="]))
        #expect(empty.matches(name: "x", image: "i", labels: ["k": ""]))
        #expect(!empty.matches(name: "x", image: "i", labels: ["k": "v"]))
    }

    @Test func everyIncludeListMustMatch() throws {
        let m = try matcher(ContainerFilters(includeNames: ["web-*"], includeLabels: ["env=prod"]))
        #expect(m.matches(name: "web-1", image: "i", labels: ["env": "prod"]))
        #expect(!m.matches(name: "web-1", image: "i", labels: ["env": "dev"]))
        #expect(!m.matches(name: "db", image: "i", labels: ["env": "prod"]))
    }

    @Test func malformedPatternsAreRefused() {
        #expect(throws: ContainerFilterError.self) { try ContainerMatcher(ContainerFilters(includeNames: ["/([/"])) }
        #expect(throws: ContainerFilterError.emptyLabelKey(pattern: "=x")) { try ContainerMatcher(ContainerFilters(excludeLabels: ["=x"])) }
    }
}

@Suite struct OwnContainerTests {
    let id = "3bef930c60db4eee03a1dcf2c7610e6b65f92cd5bd63535e4bd13b798431c359"

    @Test func cgroupV1Paths() {
        #expect(OwnContainer.containerID(inCgroup: "12:memory:/docker/\(id)\n11:cpu:/docker/\(id)\n") == id)
        #expect(OwnContainer.containerID(inCgroup: "1:name=systemd:/system.slice/docker-\(id).scope\n") == id)
        #expect(OwnContainer.containerID(inCgroup: "4:memory:/process_api/a2876fd5ee3250b697ee7b5d12951d3c\n0::/\n") == nil)
        #expect(OwnContainer.containerID(inCgroup: "0::/\n") == nil)
    }

    @Test func mountinfo() {
        let text = """
            600 550 0:52 / / rw,relatime - overlay overlay rw
            610 600 254:1 /var/lib/docker/containers/\(id)/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/vda rw
            611 600 254:1 /var/lib/docker/containers/\(id)/hostname /etc/hostname rw,relatime - ext4 /dev/vda rw
            """
        #expect(OwnContainer.containerID(inMountinfo: text) == id)
        #expect(OwnContainer.containerID(inMountinfo: "22 1 0:21 / /proc rw - proc proc rw\n") == nil)
    }

    @Test func matching() {
        #expect(OwnContainer(id: id).matches(id))
        #expect(!OwnContainer(id: id).matches(String(id.reversed())))
        #expect(OwnContainer(hostnamePrefix: String(id.prefix(12))).matches(id))
        #expect(!OwnContainer.none.matches(id))
    }

    @Test func detectFromProcOrHostname() throws {
        let inContainer = try FixtureDirectory("own-proc", files: ["self/cgroup": "3:memory:/docker/\(id)\n", "self/mountinfo": ""])
        defer { inContainer.remove() }
        let plain = try FixtureDirectory("own-plain", files: ["self/cgroup": "0::/\n", "self/mountinfo": "22 1 0:21 / /proc rw - proc proc rw\n"])
        defer { plain.remove() }
        #expect(OwnContainer.detect(procRoots: [plain.path, inContainer.path], hostname: "web") == OwnContainer(id: id))
        #expect(OwnContainer.detect(procRoots: [plain.path], hostname: String(id.prefix(12))) == OwnContainer(hostnamePrefix: String(id.prefix(12))))
        #expect(OwnContainer.detect(procRoots: [plain.path], hostname: "web-01") == .none)
    }
}

@Suite struct BackoffTests {
    @Test func doublesUpToTheCapAndResets() {
        var b = Backoff(initial: .milliseconds(500), maximum: .seconds(10), jitter: 0)
        let delays = (0..<8).map { _ in b.next() }
        #expect(delays == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(10), .seconds(10), .seconds(10)])
        b.reset()
        #expect(b.next() == .milliseconds(500))
    }

    @Test func jitterOnlyShortens() {
        var b = Backoff(initial: .seconds(1), maximum: .seconds(4), jitter: 0.2)
        for expected in [Duration.seconds(1), .seconds(2), .seconds(4), .seconds(4)] {
            let d = b.next()
            #expect(d <= expected && d >= expected * 0.8)
        }
    }
}
