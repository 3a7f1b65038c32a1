import CKernels
import Foundation

/// Weight matrices kept packed for decoding's products of a few dozen rows.
///
/// A decoder multiplies the same weights by a few dozen rows at every step (a share of 16
/// sentences in greedy search, 80 hypotheses in beam search). The few-row kernel reads a weight in
/// place at about 60 % of the FMA peak; the packed kernel runs at about 85 % but must pack the
/// weight first, which costs as much as multiplying it by 32 rows. So the first such product on a
/// parameter's weight, outside gradient recording, packs it (`parley_pack_weights`) and keeps the
/// copy with the weight's storage; later products reuse it (`parley_sgemm_packed_weights`) until
/// a write to any parameter makes every copy stale. Training records gradients and never uses
/// them; a translating process keeps one copy of each decoder weight besides the weight.
///
/// The engine's own writers invalidate the copies: setting `Parameter.value` (checkpoint loading),
/// taking `Parameter.valueStorage` or `ParameterList.values` (the optimisers' steps). Code that
/// writes a parameter's elements through a pointer it kept from earlier calls `invalidate()`.
public enum PackedWeights {
    /// A packed copy and the generation of the weights it was made from.
    struct Copy {
        let pointer: UnsafeMutablePointer<Float>
        let capacity: Int
        let n: Int
        let generation: Int
    }

    private static let lock = NSLock()
    /// Advanced by every write to any parameter; copies from an earlier generation are stale.
    nonisolated(unsafe) private static var generation = 0

    /// Marks every packed copy stale (they are re-made on next use).
    public static func invalidate() {
        lock.lock()
        generation &+= 1
        lock.unlock()
    }

    /// The packed copy of `weight` seen as `[n, k]`, made now if it has none from this generation;
    /// `nil` when `weight` is not a parameter's.
    static func copy(of weight: TensorStorage, n: Int, k: Int) -> UnsafePointer<Float>? {
        guard weight.isWeight, n * k == weight.count else { return nil }
        lock.lock()
        defer { lock.unlock() }
        if let copy = weight.packedCopy, copy.generation == generation, copy.n == n { return UnsafePointer(copy.pointer) }
        weight.releasePackedCopy()
        let (pointer, capacity) = BufferPool.allocate(parley_packed_weights_count(Int32(n), Int32(k)))
        parley_pack_weights(weight.pointer, Int32(n), Int32(k), pointer)
        weight.packedCopy = Copy(pointer: pointer, capacity: capacity, n: n, generation: generation)
        return UnsafePointer(pointer)
    }
}
