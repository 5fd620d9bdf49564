import Testing

@testable import Librato

/// Independent checks of docs/librato-api.md's rules, used to verify the sanitiser's output.
enum Rules {
    static func nameByte(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || ".:-_".utf8.contains(b)
    }
    static func validName(_ s: String) -> Bool { (1...255).contains(s.utf8.count) && s.utf8.allSatisfy(nameByte) }
    static func validSource(_ s: String) -> Bool { validName(s) && s.lowercased() != "all" }
    static func validTagName(_ s: String) -> Bool { (1...64).contains(s.utf8.count) && s.utf8.allSatisfy(nameByte) }
    static func validTagValue(_ s: String) -> Bool {
        (1...255).contains(s.utf8.count) && s.utf8.allSatisfy { nameByte($0) || "?\\/ ".utf8.contains($0) }
    }
}

@Suite("Sanitiser")
struct SanitiserTests {
    static let hostile: [String] = [
        "my app/ü", "a b  c", "a/b\\c", "Müller", "日本語", "x日本y", "🐳 whale", "u\u{308}ber", "", " ", "all", "ALL",
        "tab\there", "new\nline", "quote\"s", "semi;colon,comma", "dots.and:colons-ok_", String(repeating: "x", count: 300),
        String(repeating: "ü", count: 300), String(repeating: "ß", count: 200), "?", "\\", "c:octoblu,meshblu:v2:web-1",
    ]

    @Test("metric names: runs of other characters become one _, Latin letters are transliterated")
    func metricNames() {
        #expect(Sanitiser.metricName("my app/ü") == "my_app_u")
        #expect(Sanitiser.metricName("a b  c") == "a_b_c")
        #expect(Sanitiser.metricName("a/b") == "a_b")
        #expect(Sanitiser.metricName("Müller-Straße") == "Muller-Strasse")
        #expect(Sanitiser.metricName("日本") == "_")
        #expect(Sanitiser.metricName("x日本y") == "x_y")
        #expect(Sanitiser.metricName("u\u{308}ber") == "uber")
        #expect(Sanitiser.metricName("docker.container.cpu.percent") == "docker.container.cpu.percent")
        #expect(Sanitiser.metricName("ok:name-1_x") == "ok:name-1_x")
        #expect(Sanitiser.metricName("trailing!") == "trailing_")
        #expect(Sanitiser.metricName("") == "unnamed")
    }

    @Test("names are cut at 255 characters, also after transliteration")
    func nameLength() {
        #expect(Sanitiser.metricName(String(repeating: "x", count: 300)) == String(repeating: "x", count: 255))
        #expect(Sanitiser.metricName(String(repeating: "ü", count: 300)) == String(repeating: "u", count: 255))
        #expect(Sanitiser.metricName(String(repeating: "ß", count: 200)).utf8.count == 255)
        #expect(Sanitiser.metricName(String(repeating: "x", count: 255)).utf8.count == 255)
    }

    @Test("sources: same charset, empty means none, `all` is renamed")
    func sources() {
        #expect(Sanitiser.source("my app/ü") == "my_app_u")
        #expect(Sanitiser.source("") == nil)
        #expect(Sanitiser.source(nil) == nil)
        #expect(Sanitiser.source("all") == "all_")
        #expect(Sanitiser.source("ALL") == "ALL_")
        #expect(Sanitiser.source("all.x") == "all.x")
        #expect(Sanitiser.source("c:octoblu,meshblu:v2:web-1") == "c:octoblu_meshblu:v2:web-1")
    }

    @Test("tag names: lower-cased, 64 characters, empty dropped")
    func tagNames() {
        #expect(Sanitiser.tagName("Com.Docker.Compose.Service") == "com.docker.compose.service")
        #expect(Sanitiser.tagName("my label") == "my_label")
        #expect(Sanitiser.tagName("") == nil)
        #expect(Sanitiser.tagName(String(repeating: "k", count: 100)) == String(repeating: "k", count: 64))
    }

    @Test("tag values keep space, slash, backslash and ?; other characters are replaced")
    func tagValues() {
        #expect(Sanitiser.tagValue("my app/ü") == "my app/u")
        #expect(Sanitiser.tagValue("a\\b?c") == "a\\b?c")
        #expect(Sanitiser.tagValue("x,y=z") == "x_y_z")
        #expect(Sanitiser.tagValue("") == nil)
        #expect(Sanitiser.tagValue(String(repeating: "v", count: 300))?.utf8.count == 255)
    }

    @Test("tag sets: collisions after lower-casing and more than 50 tags are dropped and counted")
    func tagSets() {
        let (collided, dropped) = Sanitiser.tags(["Env": "a", "env": "b", "empty": "", "": "x"])
        #expect(collided == ["env": "a"])
        #expect(dropped == 3)
        let many = Dictionary(uniqueKeysWithValues: (0..<60).map { (String(format3($0)), "v") })
        let (kept, overflow) = Sanitiser.tags(many)
        #expect(kept.count == 50)
        #expect(overflow == 10)
        #expect(kept["t000"] != nil && kept["t059"] == nil)
    }

    @Test("every hostile input comes out valid for its field", arguments: hostile)
    func hostileInputsBecomeValid(_ input: String) {
        #expect(Rules.validName(Sanitiser.metricName(input)))
        if let s = Sanitiser.source(input) { #expect(Rules.validSource(s)) }
        if let n = Sanitiser.tagName(input) { #expect(Rules.validTagName(n)) }
        if let v = Sanitiser.tagValue(input) { #expect(Rules.validTagValue(v)) }
    }

    @Test("numbers: non-finite and exponent > 126 dropped, tiny ones sent as 0")
    func numbers() {
        #expect(Sanitiser.number(.nan) == nil)
        #expect(Sanitiser.number(.infinity) == nil)
        #expect(Sanitiser.number(-.infinity) == nil)
        #expect(Sanitiser.number(1e127) == nil)
        #expect(Sanitiser.number(-2e200) == nil)
        #expect(Sanitiser.number(9.99e126) == 9.99e126)
        #expect(Sanitiser.number(1e-200) == 0)
        #expect(Sanitiser.number(-5.25) == -5.25)
        #expect(Sanitiser.number(0) == 0)
    }

    @Test("measurements: unusable main values are rejected, unusable optional fields dropped and counted")
    func measurements() throws {
        let t = 1_700_000_000
        #expect(isRejected(Sanitiser.measurement(Measurement(name: "x", time: t, value: .single(.nan)), for: .legacy)))
        #expect(isRejected(Sanitiser.measurement(Measurement(name: "x", time: t, value: .summary(Summary(count: 0, sum: 1))), for: .legacy)))
        #expect(isRejected(Sanitiser.measurement(Measurement(name: "x", time: t, value: .summary(Summary(count: 2, sum: .infinity))), for: .legacy)))
        #expect(isRejected(Sanitiser.measurement(Measurement(name: "x", time: 0, value: .single(1)), for: .legacy)))

        let summary = Summary(count: 2, sum: 3, min: .nan, max: 2, sumSquares: .infinity, last: 1)
        guard case .valid(let m, let notes) = Sanitiser.measurement(
            Measurement(name: "my app/ü", source: "all", time: t, value: .summary(summary), period: -5), for: .legacy)
        else { Issue.record("rejected"); return }
        #expect(m.name == "my_app_u")
        #expect(m.source == "all_")
        #expect(m.value == .summary(Summary(count: 2, sum: 3, min: nil, max: 2, sumSquares: nil, last: 1)))
        #expect(m.period == nil)
        #expect(notes.renamed)
        #expect(notes.droppedFields == 3)
    }

    @Test("tagged measurements need tags: a source becomes the `source` tag, nothing at all is rejected")
    func taggedNeedsTags() {
        let t = 1_700_000_000
        guard case .valid(let m, _) = Sanitiser.measurement(Measurement(name: "x", source: "web 1", time: t, value: .single(1)), for: .tagged)
        else { Issue.record("rejected"); return }
        #expect(m.tags == ["source": "web_1"])
        #expect(isRejected(Sanitiser.measurement(Measurement(name: "x", time: t, value: .single(1)), for: .tagged)))
        #expect(!isRejected(Sanitiser.measurement(Measurement(name: "x", time: t, value: .single(1)), for: .legacy)))
    }

    private func isRejected(_ r: SanitiseResult) -> Bool {
        if case .rejected = r { return true }
        return false
    }

    private func format3(_ i: Int) -> String {
        let s = String(i)
        return "t" + String(repeating: "0", count: 3 - s.count) + s
    }
}
