/// Splits encoded measurement elements into request-sized batches: at most `maxCount` elements and a body
/// strictly smaller than `maxBytes` (prefix, elements, commas and suffix included). Order is kept.
public struct Batcher: Sendable, Hashable {
    /// Most elements per request (300 legacy, 1000 tagged by default).
    public var maxCount: Int
    /// Bodies stay strictly below this many bytes (1,000,000 by default: Librato recommends under 1 MB).
    public var maxBytes: Int
    /// Framing bytes of the API's body (`{"gauges":[` + `]}`).
    public var overhead: Int

    /// A batcher for `api` with the given limits.
    public init(api: LibratoAPI, maxCount: Int? = nil, maxBytes: Int = 1_000_000) {
        self.maxCount = max(1, maxCount ?? api.maxMeasurementsPerRequest)
        self.maxBytes = maxBytes
        self.overhead = PayloadEncoder.bodyPrefix(for: api).count + PayloadEncoder.bodySuffix.count
    }

    /// Index ranges into `sizes` (the byte length of each element), one per batch. An element too large for any
    /// body still gets a batch of its own, so nothing is silently lost (Librato then judges it).
    public func batches(sizes: [Int]) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var start = 0
        var bytes = overhead
        for (i, size) in sizes.enumerated() {
            let count = i - start
            let added = size + (count > 0 ? 1 : 0)
            if count > 0, count >= maxCount || bytes + added >= maxBytes {
                result.append(start..<i)
                start = i
                bytes = overhead + size
            } else {
                bytes += added
            }
        }
        if start < sizes.count { result.append(start..<sizes.count) }
        return result
    }
}
