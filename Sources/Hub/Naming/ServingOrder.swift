import Librato

/// A period's measurements in the order an account's budget serves them (``SeriesSelection/rank(_:)``: the hub's own,
/// cluster roll-ups, host roll-ups, then per-container series by group; within a rank, part by part, each part in its
/// own order), known by counts alone. The parts (the head, then the slices of a period's containers) are built again
/// when sent, so a period over the budget is never held whole: at 100 k containers it is 2.7 M measurements, about
/// 1 GiB as values, and building it whole cost the hub a tenth of its CPU in copying and page faults. Pure.
struct ServingOrder {
    /// Per part, how many of its measurements have each rank.
    let counts: [[Int: Int]]
    /// Every position: the number of measurements in all parts.
    let total: Int
    /// The ranks present, ascending, each with its first position.
    private let rankStarts: [(rank: Int, start: Int)]

    init(counts: [[Int: Int]]) {
        self.counts = counts
        var byRank: [Int: Int] = [:]
        for part in counts { for (rank, n) in part { byRank[rank, default: 0] += n } }
        var start = 0
        var starts: [(Int, Int)] = []
        for (rank, n) in byRank.sorted(by: { $0.key < $1.key }) {
            starts.append((rank, start))
            start += n
        }
        rankStarts = starts
        total = start
    }

    /// The order of `parts` (each a list of measurements, in the order they are sent when nothing is cut).
    init(parts: [[Measurement]]) {
        self.init(counts: parts.map(Self.rankCounts))
    }

    /// How many of `measurements` have each rank.
    static func rankCounts(_ measurements: [Measurement]) -> [Int: Int] {
        var counts: [Int: Int] = [:]
        for m in measurements { counts[SeriesSelection.rank(m), default: 0] += 1 }
        return counts
    }

    /// The measurements at `positions`: for each part that has any (in part order), which of its measurements of each
    /// rank — as ordinals, the n-th measurement of that rank in the part counting from 0.
    func take(_ positions: Range<Int>) -> [(part: Int, ordinals: [Int: Range<Int>])] {
        var byPart: [Int: [Int: Range<Int>]] = [:]
        for (rank, rankStart) in rankStarts where rankStart < positions.upperBound {
            var start = rankStart
            for (p, part) in counts.enumerated() {
                let n = part[rank] ?? 0
                let lo = max(start, positions.lowerBound)
                let hi = min(start + n, positions.upperBound)
                if lo < hi { byPart[p, default: [:]][rank] = (lo - start)..<(hi - start) }
                start += n
                if start >= positions.upperBound { break }
            }
        }
        return byPart.sorted { $0.key < $1.key }.map { (part: $0.key, ordinals: $0.value) }
    }

    /// How many of `positions` fall in each class (``SeriesSelection/className(ofRank:)``).
    func classes(_ positions: Range<Int>) -> [String: Int] {
        var out: [String: Int] = [:]
        for (i, (rank, start)) in rankStarts.enumerated() {
            let end = i + 1 < rankStarts.count ? rankStarts[i + 1].start : total
            let n = min(end, positions.upperBound) - max(start, positions.lowerBound)
            if n > 0 { out[SeriesSelection.className(ofRank: rank), default: 0] += n }
        }
        return out
    }

    /// The measurements of one part that `ordinals` (from ``take(_:)``) selects, highest priority first (stable
    /// within a rank).
    static func select(_ measurements: [Measurement], _ ordinals: [Int: Range<Int>]) -> [Measurement] {
        var seen: [Int: Int] = [:]
        var picked: [Int: [Measurement]] = [:]
        for m in measurements {
            let rank = SeriesSelection.rank(m)
            guard let wanted = ordinals[rank] else { continue }
            let n = seen[rank, default: 0]
            seen[rank] = n + 1
            if wanted.contains(n) { picked[rank, default: []].append(m) }
        }
        return picked.sorted { $0.key < $1.key }.flatMap(\.value)
    }
}
