import Librato
import Testing

@testable import Hub

/// The order a budget serves a period in, from counts alone (the parts are built again when sent).
@Suite struct ServingOrderTests {
    func m(_ name: String, container: String? = nil) -> Measurement {
        var tags = ["cluster": "c"]
        if let container { tags["container"] = container }
        return Measurement(name: name, tags: tags, time: 60, value: .single(1))
    }

    /// Head: a host roll-up and the hub's own; two slices of two containers with CPU (rank 30) and network (rank 32).
    var parts: [[Measurement]] {
        [
            [m("docker.host.cpu.percent"), m("docker_librato.hub.samples")],
            [m("docker.container.network.rx.bytes", container: "a"), m("docker.container.cpu.percent", container: "a"),
             m("docker.container.network.rx.bytes", container: "b"), m("docker.container.cpu.percent", container: "b")],
            [m("docker.container.cpu.percent", container: "c"), m("docker.container.network.rx.bytes", container: "c")],
        ]
    }

    /// What a stable sort of everything by rank gives: the order the counts stand for.
    var sorted: [Measurement] {
        parts.joined().enumerated().sorted { (SeriesSelection.rank($0.element), $0.offset) < (SeriesSelection.rank($1.element), $1.offset) }.map(\.element)
    }

    func taken(_ order: ServingOrder, _ positions: Range<Int>) -> [Measurement] {
        order.take(positions).flatMap { ServingOrder.select(parts[$0.part], $0.ordinals) }
    }

    @Test func everyRangeOfPositionsIsTheSameMeasurementsAsASortedWholePeriod() {
        let order = ServingOrder(parts: parts)
        #expect(order.total == 8)
        for lo in 0...8 {
            for hi in lo...8 {
                #expect(Set(taken(order, lo..<hi)) == Set(sorted[lo..<hi]), "positions \(lo)..<\(hi)")
                #expect(taken(order, lo..<hi).count == hi - lo)
            }
        }
        #expect(taken(order, 0..<3).map(\.name) == ["docker_librato.hub.samples", "docker.host.cpu.percent", "docker.container.cpu.percent"])
    }

    @Test func consecutiveStepsTakeEachMeasurementOnce() {
        let order = ServingOrder(parts: parts)
        let steps = [0..<3, 3..<4, 4..<8]
        let all = steps.flatMap { taken(order, $0) }
        #expect(all.count == 8 && Set(all) == Set(parts.joined()))
    }

    @Test func partsWithNothingInTheRangeAreNotBuilt() {
        let order = ServingOrder(parts: parts)
        #expect(order.take(0..<2).map(\.part) == [0], "the head alone")
        #expect(order.take(2..<5).map(\.part) == [1, 2], "every container's CPU")
        #expect(order.take(8..<8).isEmpty)
    }

    @Test func theClassesOfACutAreCounted() {
        let order = ServingOrder(parts: parts)
        #expect(order.classes(0..<8) == ["self": 1, "host": 1, "container": 6])
        #expect(order.classes(5..<8) == ["container": 3])
        #expect(order.classes(1..<2) == ["host": 1])
    }
}
