import Seq

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns one step's logits `[rows, vocabulary]` into what a search selects on, in place and once
/// per step: the log-normaliser `log Σ exp` of every row (so that `logit − normaliser` is the
/// log-probability, with no log-softmax tensor materialised), then `−∞` written over the ids the
/// search must never generate. The normaliser is taken over the whole vocabulary first, so
/// log-probabilities of the remaining ids are the model's, not renormalised.
struct StepScoring {
    /// Ids never generated (`<pad>`, `<s>`, and `<unk>` or `</s>` when asked), within the vocabulary.
    let forbidden: [Int]
    let vocabularySize: Int

    init(specialTokens: SpecialTokens, forbidsUnknown: Bool, forbidsEnd: Bool, vocabularySize: Int) {
        var ids = [specialTokens.padding, specialTokens.beginOfSentence]
        if forbidsUnknown { ids.append(specialTokens.unknown) }
        if forbidsEnd { ids.append(specialTokens.endOfSentence) }
        forbidden = Array(Set(ids.filter { (0..<vocabularySize).contains($0) })).sorted()
        self.vocabularySize = vocabularySize
    }

    /// Fills `normalizers[r]` for every row of `logits` and masks the forbidden ids.
    func prepare(_ logits: inout Tensor, normalizers: inout [Float]) {
        let width = vocabularySize, rows = logits.count / Swift.max(width, 1)
        precondition(logits.count == rows * width, "logits \(logits.shape) are not [rows, \(width)]")
        normalizers.removeAll(keepingCapacity: true)
        logits.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            for r in 0..<rows {
                let row = base + r * width
                normalizers.append(logSumExp(row, count: width))
                for id in forbidden { row[id] = -.infinity }
            }
        }
    }
}

/// `log Σᵢ exp(x[i])`, stably (the maximum is factored out), with an 8-wide polynomial `exp`.
func logSumExp(_ x: UnsafePointer<Float>, count: Int) -> Float {
    guard count > 0 else { return -.infinity }
    var i = 0
    var peak8 = SIMD8<Float>(repeating: -.infinity)
    while i + 8 <= count {
        let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
        peak8.replace(with: v, where: v .> peak8)
        i += 8
    }
    var peak = peak8.max()
    while i < count { peak = Swift.max(peak, x[i]); i += 1 }
    guard peak.isFinite else { return peak }
    i = 0
    var total8 = SIMD8<Float>(repeating: 0)
    let shift = SIMD8<Float>(repeating: peak)
    while i + 8 <= count {
        total8 += vectorExp(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self) - shift)
        i += 8
    }
    var total = total8.sum()
    while i < count { total += expf(x[i] - peak); i += 1 }
    return peak + logf(total)
}

/// `exp(x)` for `x ≤ 0` to about 2 ulp (Cephes' polynomial on a range reduced by ln 2); inputs
/// below −86 (results < 5·10⁻³⁸, negligible in a sum with a term equal to 1) are clamped there.
@inline(__always)
func vectorExp(_ input: SIMD8<Float>) -> SIMD8<Float> {
    let floor = SIMD8<Float>(repeating: -86)
    let x = input.replacing(with: floor, where: input .< floor)
    // Round x·log₂e to the nearest integer k by the 1.5·2²³ trick: k sits in the low mantissa bits.
    let magic = SIMD8<Float>(repeating: 12_582_912)
    let shifted = x * SIMD8(repeating: 1.442_695_04) + magic
    let k = shifted - magic
    let r = x - k * SIMD8(repeating: 0.693_359_375) - k * SIMD8(repeating: -2.121_944_4e-4)
    var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
    p = p * r + SIMD8(repeating: 1.398_199_950_7e-3)
    p = p * r + SIMD8(repeating: 8.333_451_907_3e-3)
    p = p * r + SIMD8(repeating: 4.166_579_589_4e-2)
    p = p * r + SIMD8(repeating: 1.666_666_545_9e-1)
    p = p * r + SIMD8(repeating: 5.000_000_120_1e-1)
    p = p * (r * r) + r + SIMD8(repeating: 1)
    // Multiply by 2^k: add k to the exponent field.
    let exponent = unsafeBitCast(shifted, to: SIMD8<UInt32>.self) &<< 23
    return unsafeBitCast(unsafeBitCast(p, to: SIMD8<UInt32>.self) &+ exponent, to: SIMD8<Float>.self)
}

/// The best `capacity` (score, index) pairs offered, highest score first; equal scores keep the
/// order they were offered in (lower index first when offered in index order). Partial
/// selection: each offer is one comparison against the current worst unless it enters.
struct TopCandidates {
    private(set) var scores: [Float] = []
    private(set) var indices: [Int] = []
    private(set) var capacity = 0
    /// The score an offer must beat to enter (−∞ until full, so −∞ never enters).
    private(set) var threshold: Float = -.infinity

    var count: Int { scores.count }

    /// Empties the list for a new selection of at most `capacity` entries (storage is kept).
    mutating func reset(capacity: Int) {
        scores.removeAll(keepingCapacity: true)
        indices.removeAll(keepingCapacity: true)
        if scores.capacity < capacity + 1 {
            scores.reserveCapacity(capacity + 1)
            indices.reserveCapacity(capacity + 1)
        }
        self.capacity = capacity
        threshold = -.infinity
    }

    @inline(__always)
    mutating func offer(_ score: Float, index: Int) {
        guard score > threshold else { return }
        insert(score, index: index)
    }

    private mutating func insert(_ score: Float, index: Int) {
        // After every entry with a score ≥ this one (stable for ties).
        var position = scores.count
        while position > 0 && scores[position - 1] < score { position -= 1 }
        scores.insert(score, at: position)
        indices.insert(index, at: position)
        if scores.count > capacity {
            scores.removeLast()
            indices.removeLast()
        }
        if scores.count == capacity { threshold = scores[capacity - 1] }
    }
}
