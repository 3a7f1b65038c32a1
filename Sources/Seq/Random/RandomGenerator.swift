#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A seeded pseudo-random generator (xoshiro256**, Blackman & Vigna 2018), shared by reference
/// so that initialisers, dropout and shuffling draw from one reproducible stream.
///
/// Its `state` can be saved in a checkpoint and restored to continue the same stream.
public final class RandomGenerator: RandomNumberGenerator {
    /// The four words of generator state.
    public var state: [UInt64] {
        get { [s0, s1, s2, s3] }
        set {
            precondition(newValue.count == 4, "generator state has four words")
            (s0, s1, s2, s3) = (newValue[0], newValue[1], newValue[2], newValue[3])
        }
    }
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// A generator whose stream is determined by `seed` (expanded with SplitMix64).
    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    public func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// A float uniformly in `[0, 1)` with 24 random bits.
    @inline(__always)
    public func nextUnit() -> Float { Float(next() >> 40) * (1.0 / 16_777_216) }

    /// The `index`-th float of a stream named by `key` (one `next()`), uniformly in `[0, 1)` with
    /// 24 random bits: the SplitMix64 finaliser of `key + index·γ`. Any element can be drawn
    /// on its own, so threads can fill shares of a large tensor and get the same values as one
    /// thread would.
    @inline(__always)
    public static func unit(key: UInt64, index: Int) -> Float {
        var z = key &+ UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Float(z >> 40) * (1.0 / 16_777_216)
    }

    /// A float uniformly in `[low, high)`.
    public func uniform(_ low: Float, _ high: Float) -> Float { low + (high - low) * nextUnit() }

    /// A standard normal sample (Box–Muller).
    public func normal() -> Float {
        let u1 = Swift.max(Double(next() >> 11) * 0x1p-53, .leastNonzeroMagnitude)
        let u2 = Double(next() >> 11) * 0x1p-53
        return Float((-2 * log(u1)).squareRoot() * cos(2 * .pi * u2))
    }
}


extension Tensor {
    /// A tensor with elements uniform in `[low, high)`.
    public static func uniform(_ shape: [Int], low: Float, high: Float, generator: RandomGenerator) -> Tensor {
        var result = Tensor(uninitialized: shape)
        let y = result.storage.pointer
        for i in 0..<result.count { y[i] = generator.uniform(low, high) }
        result.node = nil
        return result
    }

    /// A tensor with normal elements of the given mean and standard deviation.
    public static func normal(_ shape: [Int], mean: Float = 0, standardDeviation: Float = 1, generator: RandomGenerator) -> Tensor {
        var result = Tensor(uninitialized: shape)
        let y = result.storage.pointer
        for i in 0..<result.count { y[i] = mean + standardDeviation * generator.normal() }
        result.node = nil
        return result
    }
}
