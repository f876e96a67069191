/// A small deterministic generator (SplitMix64): the same seed gives the same jitter, losses and
/// noise on every run (`--seed N`).
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    /// An independent stream for one purpose (`stream` 1: network, 2: timing, 3: noise, ...).
    public init(seed: UInt64, stream: UInt64) {
        var mixer = SeededRandom(seed: seed ^ (stream &* 0x9E37_79B9_7F4A_7C15))
        state = mixer.next()
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A duration drawn uniformly from `range`.
    mutating func duration(in range: ClosedRange<Duration>) -> Duration {
        let low = range.lowerBound / .nanoseconds(1)
        let high = range.upperBound / .nanoseconds(1)
        guard high > low else { return range.lowerBound }
        let span = UInt64(high - low)
        return .nanoseconds(Int64(low + Double(next() % (span + 1))))
    }

    /// `true` with probability `p`.
    mutating func chance(_ p: Double) -> Bool {
        guard p > 0 else { return false }
        return Double(next() >> 11) / Double(1 << 53) < p
    }
}
