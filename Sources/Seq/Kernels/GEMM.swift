#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif
import CKernels
#if canImport(Glibc)
import Glibc
#endif

/// Single-precision matrix products: `C = op(A)·op(B)` (or `C += …`), row-major.
///
/// Six paths, by shape:
/// - a parameter's weight as `Bᵀ` times 9–80 rows (batched decoding; a recurrent model's time
///   steps in training): the weight's packed copy, made by the first such product and kept until
///   a parameter is written (`PackedWeights`);
/// - a parameter's weight as `Bᵀ` times 1–8 rows outside gradient recording (decoding one
///   sentence multiplies a 1×512 row by a 512×2048 matrix): the weight's copy in 64-column
///   k-major panels (`PackedWeights.panels`, float32 or, on AVX-512, bfloat16), whole panels
///   split over the worker team;
/// - other products of very few rows: the few-row kernels, which read the operands in place
///   (BLAS would pack them first), with their columns split over the worker team;
/// - larger products, on a CPU with AVX-512 (or with AVX2 and FMA, on a kept weight only): the
///   packed kernel of `parley_gemm.c`; outside
///   gradient recording, a parameter's weight as `Bᵀ` (an encoder's products over a batch) from
///   its copy packed once in that kernel's blocks (`PackedWeights.blocks`);
/// - otherwise BLAS (`cblas_sgemm`), on one thread per call, large products cut into bands over
///   the worker team.
public enum GEMM {
    /// Products with at most this many rows in `op(A)` use the row kernels instead of BLAS
    /// (beam search over one sentence multiplies 5 rows at a time).
    static let rowKernelLimit = 8
    /// Products with up to this many rows in the dot form (`B` transposed: a weight matrix
    /// `[out, in]`) use the AVX-512 kernel when the CPU has it (greedy search at batch 32, beam
    /// search over a share of 16 sentences: 80 rows). Measured on one thread against the packed
    /// kernel, which must pack the weight first: even at 64–80 rows (10.3 vs 14.2 ms for
    /// 80 × 8000 × 1024), behind from 96.
    static let avx512RowLimit = 80
    /// Row-kernel products with at least this many multiply-adds are split by columns over
    /// `threadCount` threads (a 256×256 weight times one row is 65,536: 4.5 µs on one core,
    /// 2.4 µs on two through the worker team).
    static let rowKernelSplitWork = 1 << 15
    /// Products with at least this many multiply-adds (and more rows than the row kernels take)
    /// use the packed AVX-512 kernel (`parley_gemm.c`) when the CPU has it.
    static let packedKernelMinimumWork = 1 << 12
    /// Packed-kernel products with at least this many multiply-adds are split into bands over
    /// `threadCount` threads (attention's per-head products stay whole).
    static let packedKernelSplitWork = 1 << 20
    /// The thread count given to `setThreadCount` (the kernels, BLAS's bands and `Parallel`), or to
    /// `withThreadCount` on this thread.
    static var threadCount: Int { Int(parley_pool_threads()) }
    /// The forms of the hand-written kernels: AVX-512, AVX2 with FMA, or none (BLAS and the
    /// portable Swift loops). The packed kernel's copies of weights are laid out the same for
    /// the two vector forms, so kept copies serve both.
    public enum KernelForm: String, CaseIterable, Sendable {
        case avx512 = "AVX-512", avx2 = "AVX2", portable

        /// Whether this CPU runs the form.
        public var isAvailable: Bool {
            switch self {
            case .avx512: parley_kernels_have_avx512() == 1
            case .avx2: parley_gemm_available() == 1
            case .portable: true
            }
        }
    }

    /// The forms this CPU runs, best first (`portable` last).
    public static let availableForms = KernelForm.allCases.filter(\.isAvailable)

    /// The form products and decoding steps use unless `withKernelForm` says otherwise: the best
    /// this CPU runs, with `PARLEY_NO_AVX512=1` and `PARLEY_NO_AVX2=1` in the environment passing
    /// over a form (to compare the forms on one machine).
    public static let defaultKernelForm: KernelForm = {
        func refused(_ name: String) -> Bool { getenv(name).map { String(cString: $0) } == "1" }
        if KernelForm.avx512.isAvailable && !refused("PARLEY_NO_AVX512") { return .avx512 }
        if KernelForm.avx2.isAvailable && !refused("PARLEY_NO_AVX2") { return .avx2 }
        return .portable
    }()

    /// The form chosen by `withKernelForm` for the running task (and the parts of its jobs on
    /// the worker team: `Parallel.run` carries it over), if any.
    @TaskLocal static var chosenKernelForm: KernelForm?

    /// The form in use here: `defaultKernelForm`, or the one `withKernelForm` chose.
    public static var kernelForm: KernelForm { chosenKernelForm ?? defaultKernelForm }

    /// Runs `body` with its products and decoding steps on `form`'s kernels (which the CPU must
    /// run), to check the forms against each other. The choice holds for `body`'s task alone: a
    /// global switch, which this replaced, let a test change the kernels under tests running
    /// beside it, and their sums in the last digits.
    public static func withKernelForm<Result>(_ form: KernelForm, _ body: () throws -> Result) rethrows -> Result {
        precondition(form.isAvailable, "this CPU does not run the \(form.rawValue) kernels")
        return try $chosenKernelForm.withValue(form, operation: body)
    }

    /// Whether the AVX-512 kernels are in use (`kernelForm`): the only form with the optimiser's
    /// vector kernel (`parley_adam_update`).
    public static var usesAVX512Kernels: Bool { kernelForm == .avx512 }

    /// `C[m×n] (+)= op(A)[m×k] · op(B)[k×n]`, all row-major; `A` is `[k×m]` when transposed, `B` is `[n×k]`.
    ///
    /// - Parameter weight: the storage `B` points to when it is a whole weight matrix `[n, k]`:
    ///   products of 9 to `avx512RowLimit` rows then use a packed copy of it kept for later
    ///   products (`PackedWeights`), and outside gradient recording, products of 1–8 rows its
    ///   panel copy and products of more rows its copy in the general kernel's blocks.
    /// - Parameter bias: `n` values added to every row of `C` (only with `accumulate` false). The
    ///   general AVX-512 kernel adds them as it stores its tiles; for the other kernels the rows
    ///   are laid under `C` first and the product added to them, which gives the same sums.
    public static func multiply(
        _ a: UnsafePointer<Float>, transposeA: Bool,
        _ b: UnsafePointer<Float>, transposeB: Bool,
        into c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int, accumulate: Bool = false, weight: TensorStorage? = nil,
        bias: UnsafePointer<Float>? = nil
    ) {
        precondition(bias == nil || !accumulate, "a product with a bias overwrites C")
        if m == 0 || n == 0 { return }
        /// For the kernels that take no bias: lays the bias (if any) under every row of `C`, and
        /// returns whether the kernel is then to add its product into `C`.
        func accumulateAfterLayingBias() -> Bool {
            guard let bias else { return accumulate }
            Parallel.forEachPart(units: m, costPerUnit: n) { part in
                for row in part { (c + row * n).update(from: bias, count: n) }
            }
            return true
        }
        if k == 0 {
            if !accumulateAfterLayingBias() { c.update(repeating: 0, count: m * n) }
            return
        }
        // On AVX2 the packed kernel serves the kept copies of weights outside recording
        // (decoding): there it saves BLAS packing them at every step (greedy search at batch 32
        // ran 1.6× faster on two Zen 3 cores), while on training's products, forward and
        // backward, OpenBLAS's AVX2 kernels measured 2–20 % faster than it.
        // The form, read once: the kernels' parts run on the worker team.
        let form = kernelForm, avx512: Int32 = form == .avx512 ? 1 : 0
        let packs = form == .avx512 || (form == .avx2 && !Autograd.isRecording)
        // `weight` when B is that whole weight, transposed, and the packed kernels that read its
        // kept copies are in use.
        let kept = weight.flatMap { transposeB && packs && $0.pointer == UnsafeMutablePointer(mutating: b) ? $0 : nil }
        if let kept, m > rowKernelLimit, m <= avx512RowLimit, let packed = PackedWeights.copy(of: kept, n: n, k: k) {
            let parts = m * n * k >= rowKernelSplitWork ? threadCount : 1
            parley_sgemm_packed_weights(transposeA ? 1 : 0, Int32(m), Int32(n), Int32(k), a, Int32(transposeA ? m : k),
                                        b, packed, c, Int32(n), accumulateAfterLayingBias() ? 1 : 0, Int32(parts), avx512)
            return
        }
        // On either form (`kept` is only set where a packed kernel is in use), from panels at
        // the parameter's `panelPrecision` (`PackedWeights.panels`).
        if let kept, !transposeA, m <= rowKernelLimit, !Autograd.isRecording,
           let panels = PackedWeights.panels(of: kept, n: n, k: k) {
            panelRows(a, panels, into: c, m: m, n: n, k: k, accumulate: accumulateAfterLayingBias(), form: form)
            return
        }
        // Packing a weight matrix costs OpenBLAS about as much as multiplying it by a few rows;
        // the AVX-512 dot kernel reads it in place, which wins up to a few dozen rows.
        if m <= rowKernelLimit || (transposeB && m <= avx512RowLimit && form == .avx512) {
            rowKernel(a, transposeA: transposeA, b, transposeB: transposeB, into: c, m: m, n: n, k: k,
                      accumulate: accumulateAfterLayingBias(), form: form)
            return
        }
        // On AVX2 only products on a kept weight: the backward pass runs outside recording too.
        // (`kept` is only set where `packs` holds.)
        if (form == .avx512 || kept != nil) && m * n * k >= packedKernelMinimumWork {
            // BLAS picks its kernels by CPU model (or OPENBLAS_CORETYPE) and may run AVX2 on a
            // core with AVX-512; the packed kernel measured 1.5–1.9× OpenBLAS's AVX2 kernels on
            // the training shapes. Without AVX-512 it saves BLAS's packing of kept weights and
            // its threads' waits.
            let parts = m * n * k >= packedKernelSplitWork ? threadCount : 1
            if let kept, !Autograd.isRecording, let blocks = PackedWeights.blocks(of: kept, n: n, k: k) {
                parley_sgemm_blocks(transposeA ? 1 : 0, Int32(m), Int32(n), Int32(k), a, Int32(transposeA ? m : k),
                                    b, blocks, c, Int32(n), accumulate ? 1 : 0, bias, Int32(parts), avx512)
            } else {
                parley_sgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, Int32(m), Int32(n), Int32(k),
                             a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n),
                             c, Int32(n), accumulate ? 1 : 0, bias, Int32(parts), avx512)
            }
            return
        }
        blas(a, transposeA: transposeA, b, transposeB: transposeB, into: c, m: m, n: n, k: k,
             beta: accumulateAfterLayingBias() ? 1 : 0)
    }

    /// BLAS runs on one thread per call (set once, here): a product large enough to split is
    /// cut into bands of `C` over the worker team, each band one BLAS call on its thread.
    /// OpenBLAS's own threads wait for work by spinning and yielding for about 0.1 s after each
    /// call, so between its products they took the cores from the team's jobs, and the team's
    /// waiting workers took them from its products (`__schedule` was 7 % of a Transformer
    /// training step on two Zen 3 cores).
    private static let blasOnOneThread: Void = {
        #if !canImport(Accelerate)
        openblas_set_num_threads(1)
        #endif
    }()

    #if !canImport(Accelerate)
    /// The most bands a large BLAS product is cut into: one per core (2–8), whatever the thread
    /// count in use. On two Zen 3 cores four bands were no faster than two (each band packs the
    /// other operand again).
    static let blasBands = Swift.max(2, Swift.min(8, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
    #endif

    /// `C = op(A)·op(B) + beta·C` through BLAS, split by rows or columns of `C` (the longer side)
    /// over the worker team when large.
    private static func blas(
        _ a: UnsafePointer<Float>, transposeA: Bool, _ b: UnsafePointer<Float>, transposeB: Bool,
        into c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, beta: Float
    ) {
        _ = blasOnOneThread
        let lda = Int32(transposeA ? m : k), ldb = Int32(transposeB ? k : n)
        let byRows = m >= n
        #if canImport(Accelerate)
        let parts = 1   // Accelerate shares out its own products
        #else
        // As many bands whatever the thread count: OpenBLAS's sums differ in their last digits
        // with the rows or columns a call is given, and training should give the same figures on
        // one thread as on two.
        let parts = m * n * k >= packedKernelSplitWork ? Swift.min(blasBands, Swift.max(1, (byRows ? m : n) / 64)) : 1
        #endif
        Parallel.forEachPart(units: byRows ? m : n, parts: parts) { _, band in
            let start = band.lowerBound
            let aBand = byRows ? (transposeA ? a + start : a + start * k) : a
            let bBand = byRows ? b : (transposeB ? b + start * k : b + start)
            cblas_sgemm(
                CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                Int32(byRows ? band.count : m), Int32(byRows ? n : band.count), Int32(k),
                1, aBand, lda, bBand, ldb, beta, c + (byRows ? start * n : start), Int32(n))
        }
    }

    /// `C (+)= A·Wᵀ` for 1–8 rows of `A` from the weight's 64-column panels, whole panels split
    /// over the worker team, on the AVX-512 kernel or the AVX2 one.
    private static func panelRows(
        _ a: UnsafePointer<Float>, _ panels: PackedWeights.Panels, into c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int, accumulate: Bool, form: KernelForm
    ) {
        let panelCount = (n + 63) / 64
        let parts = m * n * k >= rowKernelSplitWork ? Swift.min(threadCount, panelCount) : 1
        let kernel = form == .avx512 ? parley_panel_rows : parley_panel_rows_avx2
        Parallel.forEachPart(units: panelCount, parts: parts) { _, range in
            let status = kernel(a, Int32(k), panels.pointer, panels.format, Int32(n), Int32(k), Int32(range.lowerBound * 64),
                                Int32(Swift.min(n, range.upperBound * 64)), 0, Int32(k), c, Int32(n), Int32(m),
                                accumulate ? 1 : 0)
            assert(status == 0, "panels in format \(panels.format) refused")
        }
    }

    /// Few-row products: each output row is a sum of scaled rows of `B` (axpy form) or a set of
    /// dot products with rows of `B` (when `B` is transposed, its rows are contiguous).
    private static func rowKernel(
        _ a: UnsafePointer<Float>, transposeA: Bool,
        _ b: UnsafePointer<Float>, transposeB: Bool,
        into c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int, accumulate: Bool, form: KernelForm
    ) {
        @inline(__always) func aValue(_ i: Int, _ p: Int) -> Float { transposeA ? a[p * m + i] : a[i * k + p] }
        if transposeB {
            // Dot form: C[i, j] = A[i, :]·B[j, :]. Rows of B are read once (each against up to
            // four rows of A kept in registers); A (at most `rowKernelLimit` rows) stays in L1.
            var rows = a
            var gathered: UnsafeMutablePointer<Float>?
            if transposeA {
                // Gather the strided rows of A once.
                let buffer = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
                for i in 0..<m { for p in 0..<k { buffer[i * k + p] = a[p * m + i] } }
                gathered = buffer
                rows = UnsafePointer(buffer)
            }
            defer { gathered?.deallocate() }
            // One band of columns per thread (more bands measured no better).
            let parts = m * n * k >= rowKernelSplitWork ? Swift.max(1, Swift.min(threadCount, n / 32)) : 1
            let a = rows
            Parallel.forEachPart(units: n, parts: parts) { _, columns in
                dotRows(a, b, into: c, m: m, n: n, k: k, columns: columns, accumulate: accumulate, form: form)
            }
        } else {
            for i in 0..<m {
                let row = c + i * n
                if !accumulate { row.update(repeating: 0, count: n) }
                for p in 0..<k {
                    let scale = aValue(i, p)
                    if scale != 0 { Kernels.axpy(scale, b + p * n, row, count: n) }
                }
            }
        }
    }

    /// `C[i, j] (+)= A[i, :]·B[j, :]` for the given columns `j`; `A` is `[m×k]`, `B` is `[n×k]`.
    private static func dotRows(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int, columns: Range<Int>, accumulate: Bool, form: KernelForm
    ) {
        if form == .avx512 {
            // Register-blocked: up to 8 rows of A against 3–4 rows of B per block (see parley_kernels.c).
            parley_dot_rows_avx512(a, b + columns.lowerBound * k, c + columns.lowerBound,
                                   Int32(m), Int32(columns.count), Int32(k), Int32(n), accumulate ? 1 : 0)
            return
        }
        if form == .avx2 {
            // The same blocks on 8-float vectors: the loops below keep one accumulator chain per
            // output, which waits on the FMA latency (a batch-1 Transformer step spent 62 % of its
            // time in them on two Zen 3 cores).
            parley_dot_rows_avx2(a, b + columns.lowerBound * k, c + columns.lowerBound,
                                 Int32(m), Int32(columns.count), Int32(k), Int32(n), accumulate ? 1 : 0)
            return
        }
        @inline(__always) func store(_ value: Float, _ i: Int, _ j: Int) {
            c[i * n + j] = accumulate ? c[i * n + j] + value : value
        }
        for j in columns {
            let column = b + j * k
            var i = 0
            while i + 4 <= m {
                let d = Kernels.dot4(a + i * k, a + (i + 1) * k, a + (i + 2) * k, a + (i + 3) * k, column, count: k)
                store(d.0, i, j); store(d.1, i + 1, j); store(d.2, i + 2, j); store(d.3, i + 3, j)
                i += 4
            }
            while i < m {
                store(Kernels.dot(a + i * k, column, count: k), i, j)
                i += 1
            }
        }
    }

    /// Sets how many threads the worker team may use: the hand-written kernels, `Parallel`, and
    /// the bands BLAS products are cut into (OpenBLAS itself runs on one thread per call;
    /// Accelerate manages its own).
    public static func setThreadCount(_ count: Int) {
        parley_pool_set_threads(Int32(Swift.max(1, count)))
    }

    /// Runs `body` with the worker team (the hand-written kernels, `Parallel`, BLAS's bands) at
    /// `count` threads for the work `body` starts on this thread, and no other. For comparing
    /// splits: `setThreadCount` in one test changed how work split, and so the last digits of
    /// sums, in the tests running beside it.
    public static func withThreadCount<Result>(_ count: Int, _ body: () throws -> Result) rethrows -> Result {
        // `body` is synchronous, so it runs on this thread throughout.
        let previous = parley_pool_set_caller_threads(Int32(Swift.max(1, count)))
        defer { parley_pool_set_caller_threads(previous) }
        return try body()
    }
}
