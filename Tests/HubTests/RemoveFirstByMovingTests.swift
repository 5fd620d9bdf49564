import Testing

@testable import Hub

/// `removeFirstByMoving()`, which closing a period uses to take a container's oldest open period out of its state
/// without copying it (HubCore+Periods.swift).
@Suite("hub: the first element moved out of an array")
struct RemoveFirstByMovingTests {
    final class Box {
        let n: Int
        init(_ n: Int) { self.n = n }
    }

    @Test(arguments: 1...4)
    func takesTheFirstAndKeepsTheRestInOrder(count: Int) {
        var a = (0..<count).map { Box($0) }
        let first = a.removeFirstByMoving()
        #expect(first.n == 0)
        #expect(a.map(\.n) == Array(1..<count))
    }

    /// Moved, not copied: the element taken out and those left each have one owner, and nothing outlives the array.
    @Test func movesWithoutCopyingOrLeaking() {
        weak var taken: Box?
        weak var kept: Box?
        do {
            var a = [Box(0), Box(1), Box(2)]
            taken = a[0]
            kept = a[2]
            var first = a.removeFirstByMoving()
            #expect(isKnownUniquelyReferenced(&first))
            #expect(isKnownUniquelyReferenced(&a[0]) && isKnownUniquelyReferenced(&a[1]))
            #expect(a.count == 2 && first.n == 0)
        }
        #expect(taken == nil && kept == nil)
    }
}
