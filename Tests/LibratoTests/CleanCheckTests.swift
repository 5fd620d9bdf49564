import Testing

@testable import Librato

/// The encoder writes a measurement as it is when ``Sanitiser/CleanCheck`` says sanitising would change nothing: it
/// must say so exactly when ``Sanitiser/measurement(_:for:)`` returns the same measurement with nothing noted.
@Suite struct CleanCheckTests {
    static let strings = SanitiserTests.hostile + ["docker.container.cpu.percent", "c:host-1:web-1", "all_", "x"]
    static let numbers: [Double] = [0, 1, -2.5, 1e-130, -1e-127, 1e126, 1e127, -1e130, .nan, .infinity, 6.02e23]

    func agrees(_ m: Measurement, _ api: LibratoAPI, _ check: inout Sanitiser.CleanCheck) -> Bool {
        let unchanged: Bool
        switch Sanitiser.measurement(m, for: api) {
        case .valid(let clean, let notes): unchanged = notes.isClean && clean == m
        case .rejected: unchanged = false
        }
        return check.isClean(m, for: api) == unchanged
    }

    @Test(arguments: [LibratoAPI.legacy, .tagged])
    func saysCleanExactlyWhenSanitisingChangesNothing(api: LibratoAPI) {
        var check = Sanitiser.CleanCheck()
        var cases: [Measurement] = []
        for s in Self.strings {
            cases.append(Measurement(name: s, source: "c:h:w", tags: ["host": "h"], time: 60, value: .single(1)))
            cases.append(Measurement(name: "n", source: s, tags: ["host": "h"], time: 60, value: .single(1)))
            cases.append(Measurement(name: "n", source: "c:h:w", tags: ["host": s], time: 60, value: .single(1)))
            cases.append(Measurement(name: "n", source: "c:h:w", tags: [s: "v"], time: 60, value: .single(1)))
        }
        for x in Self.numbers {
            cases.append(Measurement(name: "n", source: "s", tags: ["a": "b"], time: 60, value: .single(x)))
            cases.append(Measurement(name: "n", source: "s", tags: ["a": "b"], time: 60, value: .summary(Summary(count: 2, sum: 1, min: x, max: 1, sumSquares: 1, last: 1))))
            cases.append(Measurement(name: "n", source: "s", tags: ["a": "b"], time: 60, value: .summary(Summary(count: 2, sum: x))))
            cases.append(Measurement(name: "n", source: "s", tags: ["a": "b"], time: 60, value: .single(1), attributes: MetricAttributes(displayMax: x)))
        }
        cases.append(Measurement(name: "n", source: "s", tags: ["a": "b"], time: 0, value: .single(1)))
        cases.append(Measurement(name: "n", source: "s", tags: ["a": "b"], time: 60, value: .single(1), attributes: MetricAttributes()))
        cases.append(Measurement(name: "n", source: "s", tags: ["a": "b"], time: 60, value: .single(1), attributes: MetricAttributes(displayUnitsShort: "B")))
        cases.append(Measurement(name: "n", source: "s", tags: ["a": "b"], time: 60, value: .single(1), period: 0))
        cases.append(Measurement(name: "n", source: "s", tags: ["a": "b"], time: 60, value: .single(1), period: 60))
        cases.append(Measurement(name: "n", source: "s", tags: [:], time: 60, value: .single(1)))
        cases.append(Measurement(name: "n", source: nil, tags: [:], time: 60, value: .single(1)))
        cases.append(Measurement(name: "n", source: "s", tags: ["a": "b"], time: 60, value: .summary(Summary(count: 0, sum: 0))))
        cases.append(Measurement(name: "n", tags: Dictionary(uniqueKeysWithValues: (0..<51).map { ("t\($0)", "v") }), time: 60, value: .single(1)))
        for m in cases {
            let ok = agrees(m, api, &check)
            #expect(ok, "\(m)")
        }
        // Its memory of the last clean source and tags does not make a later, different one pass.
        var warm = Sanitiser.CleanCheck()
        let clean = Measurement(name: "n", source: "c:h:w", tags: ["host": "h"], time: 60, value: .single(1))
        let first = warm.isClean(clean, for: api)
        #expect(first)
        for m in cases {
            let ok = agrees(m, api, &warm)
            #expect(ok, "after a clean one: \(m)")
        }
    }
}
