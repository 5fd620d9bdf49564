/// Exponential backoff for reconnecting to dockerd: `initial`, doubling up to `maximum`, with up to `jitter`
/// (a fraction) subtracted at random so that collectors restarted together do not retry in lockstep.
/// Pure apart from the random source.
package struct Backoff: Sendable {
    /// The first delay.
    package let initial: Duration
    /// The cap: delays never grow beyond it.
    package let maximum: Duration
    /// Up to this fraction of a delay is taken off at random (0 … 1).
    package let jitter: Double
    /// Failures since the last ``reset()``.
    package private(set) var attempt = 0

    /// The collector's default: 0.5 s doubling up to 10 s, 20 % jitter.
    package init(initial: Duration = .milliseconds(500), maximum: Duration = .seconds(10), jitter: Double = 0.2) {
        self.initial = initial
        self.maximum = max(initial, maximum)
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The delay before the next attempt, without jitter: initial × 2^attempt, capped.
    package var nominalDelay: Duration {
        var delay = initial
        for _ in 0..<min(attempt, 40) {
            delay *= 2
            if delay >= maximum { return maximum }
        }
        return min(delay, maximum)
    }

    /// The delay to wait now; counts the attempt.
    package mutating func next() -> Duration {
        let nominal = nominalDelay
        attempt += 1
        guard jitter > 0 else { return nominal }
        return nominal * (1 - Double.random(in: 0...jitter))
    }

    /// Connected again: the next failure starts from ``initial``.
    package mutating func reset() {
        attempt = 0
    }
}
