/// A small seeded pseudo-random generator (SplitMix64, Steele, Lea & Flood 2014) used by the
/// corpus generators.
///
/// Only integer arithmetic is used and every draw goes through `below(_:)`, so a seed gives the
/// same stream on every platform and Swift version (unlike `randomElement(using:)`, whose
/// consumption of the generator is an implementation detail of the standard library).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose stream is determined by `seed`.
    public init(seed: UInt64) { state = seed }

    /// A generator for item `index` of the stream named by `seed`, independent of other indices.
    public init(seed: UInt64, index: Int) {
        var mixer = SplitMix64(seed: seed ^ 0x5851_F42D_4C95_7F2D)
        state = mixer.next() ^ (UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15)
        _ = next()
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// An integer uniformly in `0..<bound` (Lemire's multiply-high, bias below 2⁻³²).
    public mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "below(_:) needs a positive bound")
        return Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// True with probability `percent` / 100.
    public mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    /// One element of a non-empty array.
    public mutating func pick<Element>(_ elements: [Element]) -> Element {
        precondition(!elements.isEmpty, "pick(_:) needs a non-empty array")
        return elements[below(elements.count)]
    }

    /// An index chosen with probability proportional to `weights`.
    public mutating func pick(weights: [Int]) -> Int {
        let total = weights.reduce(0, +)
        precondition(total > 0, "pick(weights:) needs a positive total weight")
        var r = below(total)
        for (i, w) in weights.enumerated() {
            if r < w { return i }
            r -= w
        }
        return weights.count - 1
    }
}
