import CKernels
import Foundation

/// Weight matrices kept packed for products of a few dozen rows that recur.
///
/// A decoder multiplies the same weights by a few dozen rows at every step (a share of 16
/// sentences in greedy search, 80 hypotheses in beam search), and so does a recurrent model's
/// training step, once per time step for the batch. The few-row kernel reads a weight in place at
/// about 60 % of the FMA peak; the packed kernel runs at about 85 % but must pack the weight
/// first, which costs as much as multiplying it by 32 rows. So the first such product on a
/// parameter's weight packs it (`parley_pack_weights`) and keeps the copy with the weight's
/// storage; later products reuse it (`parley_sgemm_packed_weights`) until a write to any
/// parameter makes every copy stale. A translating process keeps one copy of each decoder weight
/// besides the weight; a training process re-makes the copies of its recurrent weights once per
/// optimiser step and uses each for every time step of the batch (a Bahdanau step of 64 pairs
/// multiplies the decoder's LSTM weights by 64 rows 20 times).
///
/// Products of more rows than that, outside gradient recording (an encoder over a batch of
/// sentences), read the weight from a third copy, `blocks(of:n:k:)`, laid out as the general
/// GEMM packs a transposed right operand per call (`parley_pack_blocks`): the threads of such a
/// product, split by rows, would otherwise each pack the whole weight at every call.
///
/// Products of one to eight rows (a sentence decoded alone, greedily or in a beam), including
/// the fused Transformer step's, read their weights from a second kind of copy,
/// `panels(of:n:k:)`: 64 columns per panel, k-major and 64-byte aligned, one contiguous run per
/// 64 output columns whichever columns or inner range a thread takes (`parley_pack_panels`).
///
/// The panels hold float32 weights, or for a parameter whose `panelPrecision` is `.bfloat16`
/// (`Layer.setPanelPrecision`) where the AVX-512 kernels or their AVX2 form run, each weight
/// rounded to the nearest bfloat16: half the bytes for a step to read, the arithmetic still
/// float32 (the product equals the float32 one with the rounded weights). Batch-1 decoding reads
/// every decoder weight once per step, so its speed is the speed of reading them (`WeightStream`).
///
/// The engine's own writers invalidate the copies: setting `Parameter.value` (checkpoint loading),
/// taking `Parameter.valueStorage` or `ParameterList.values` (the optimisers' steps). Code that
/// writes a parameter's elements through a pointer it kept from earlier calls `invalidate()`.
public enum PackedWeights {
    /// How a copy lays the weight out.
    enum Layout {
        /// 48-column panels of 128-deep slices, for the packed GEMM (`parley_pack_weights`).
        case tiles
        /// 64-column k-major panels, for the few-row broadcast kernel (`parley_pack_panels`).
        case panels
        /// 32-column panels of 256-deep slices, the blocks the general GEMM packs a transposed
        /// right operand into (`parley_pack_blocks`), for products of more rows (an encoder's).
        case blocks
    }

    /// How the panel copies hold a weight.
    public enum Precision: String, CaseIterable, Sendable {
        /// The weights as they are.
        case float32
        /// Each weight rounded to the nearest bfloat16 (8 bits of significand): half the bytes.
        case bfloat16

        var format: Int32 { Int32(self == .bfloat16 ? PARLEY_PANELS_BFLOAT16 : PARLEY_PANELS_FLOAT32) }
        /// What a panel copy holds per weight.
        public var bytesPerWeight: Int { self == .bfloat16 ? 2 : MemoryLayout<Float>.size }

        /// Whether decoding steps here read weights at this precision: bfloat16 panels are read by
        /// the panel kernel's AVX-512 and AVX2 forms; the portable loops read float32 weights.
        public var isSupported: Bool { self == .float32 || GEMM.kernelForm != .portable }
    }

    /// A weight's panel copy and the format it is in (`parley_panel_rows`).
    struct Panels {
        let pointer: UnsafeRawPointer
        let format: Int32
    }

    /// A packed copy and the generation of the weights it was made from.
    struct Copy {
        /// As allocated from the buffer pool (and given back to it).
        let pointer: UnsafeMutablePointer<Float>
        let capacity: Int
        /// Where the copy starts: `pointer`, or the first 64-byte boundary after it for panels.
        let start: UnsafeMutablePointer<Float>
        let layout: Layout
        let precision: Precision
        let n: Int
        let generation: Int
    }

    private static let lock = NSLock()
    /// Advanced by every write to any parameter; copies from an earlier generation are stale.
    nonisolated(unsafe) private static var generation = 0
    /// Advanced with `generation` and whenever a copy is released to make another: a pointer into
    /// a copy taken at one epoch stays valid while the epoch is the same.
    nonisolated(unsafe) private static var epoch = 0

    /// Marks every packed copy stale (they are re-made on next use).
    public static func invalidate() {
        lock.lock()
        generation &+= 1
        epoch &+= 1
        lock.unlock()
    }

    /// The current epoch: copies (`panels(of:n:k:)` and the others) returned since it began are
    /// still in place, and will be until it changes. For a caller that keeps pointers into copies
    /// across calls (the fused Transformer step's description of its weights).
    static var currentEpoch: Int {
        lock.lock()
        defer { lock.unlock() }
        return epoch
    }

    /// The packed copy of `weight` seen as `[n, k]`, made now if it has none from this generation;
    /// `nil` when `weight` is not a parameter's.
    static func copy(of weight: TensorStorage, n: Int, k: Int) -> UnsafePointer<Float>? {
        copy(of: weight, n: n, k: k, layout: .tiles, precision: .float32)
    }

    /// The copy of `weight` seen as `[n, k]` in the general GEMM's blocks, made now if it has none
    /// from this generation; `nil` when `weight` is not a parameter's.
    static func blocks(of weight: TensorStorage, n: Int, k: Int) -> UnsafePointer<Float>? {
        copy(of: weight, n: n, k: k, layout: .blocks, precision: .float32)
    }

    /// The copy of `weight` seen as `[n, k]` in 64-column panels at `panelPrecision(of:)`, made
    /// now if it has none from this generation; `nil` when `weight` is not a parameter's.
    static func panels(of weight: TensorStorage, n: Int, k: Int) -> Panels? {
        let precision = panelPrecision(of: weight)
        return copy(of: weight, n: n, k: k, layout: .panels, precision: precision)
            .map { Panels(pointer: UnsafeRawPointer($0), format: precision.format) }
    }

    /// The precision `weight`'s panel copy is made in: its parameter's `panelPrecision` where a
    /// panel kernel runs (`Precision.isSupported`), else float32.
    static func panelPrecision(of weight: TensorStorage) -> Precision {
        weight.panelPrecision.isSupported ? weight.panelPrecision : .float32
    }

    private static func copy(
        of weight: TensorStorage, n: Int, k: Int, layout: Layout, precision: Precision
    ) -> UnsafePointer<Float>? {
        guard weight.isWeight, n * k == weight.count else { return nil }
        lock.lock()
        defer { lock.unlock() }
        if let copy = weight.packedCopies.first(where: { $0.layout == layout }) {
            if copy.generation == generation && copy.n == n && copy.precision == precision { return UnsafePointer(copy.start) }
            weight.releasePackedCopy(layout)
            epoch &+= 1
        }
        let count = switch layout {
        case .tiles: parley_packed_weights_count(Int32(n), Int32(k))
        case .panels: parley_panels_count(Int32(n), Int32(k), precision.format)
        case .blocks: parley_blocks_count(Int32(n), Int32(k))
        }
        // Panels and blocks start on a 64-byte boundary, so that no vector load of them splits
        // cache lines (the general kernel ran 2× slower on 16-byte aligned blocks).
        let aligned = layout != .tiles
        let alignment = aligned ? 16 : 0   // 4-byte words of slack to reach a 64-byte boundary
        let (pointer, capacity) = BufferPool.allocate(count + alignment)
        let misalignment = Int(bitPattern: pointer) % 64 / MemoryLayout<Float>.size
        let start = !aligned || misalignment == 0 ? pointer : pointer + (16 - misalignment)
        switch layout {
        case .tiles: parley_pack_weights(weight.pointer, Int32(n), Int32(k), start)
        case .panels: parley_pack_panels(weight.pointer, Int32(n), Int32(k), precision.format, start)
        case .blocks: parley_pack_blocks(weight.pointer, Int32(n), Int32(k), start)
        }
        weight.packedCopies.append(Copy(pointer: pointer, capacity: capacity, start: start, layout: layout,
                                        precision: precision, n: n, generation: generation))
        return UnsafePointer(start)
    }
}
