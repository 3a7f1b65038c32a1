import CKernels
import Dispatch
import Seq
import Testing

/// Every product path (few-row kernels, the packed kernel, kept copies of weights, BLAS) against a
/// double-precision reference, on each kernel form the CPU runs, with lengths that are and are
/// not multiples of the vector widths.
@Suite("Matrix products")
struct GEMMTests {
    typealias KernelForm = GEMM.KernelForm

    /// The kernel forms of the products this CPU runs: the AVX-512 kernels, the packed kernel on
    /// AVX2 (what a CPU without AVX-512 runs), and BLAS with the portable few-row loops.
    static let kernelForms = GEMM.availableForms

    /// Runs `body` on each of `forms`, its products on that form's kernels.
    static func forEachForm(_ forms: [KernelForm] = kernelForms, _ body: (KernelForm) throws -> Void) rethrows {
        for form in forms { try GEMM.withKernelForm(form) { try body(form) } }
    }

    static let shapes: [(m: Int, n: Int, k: Int)] = {
        var shapes: [(m: Int, n: Int, k: Int)] = []
        for m in [1, 2, 3, 4, 5, 6, 7, 8, 9] {
            for (n, k) in [(1, 1), (5, 15), (7, 16), (37, 17), (130, 64), (33, 100), (65, 256)] { shapes.append((m, n, k)) }
        }
        shapes.append((5, 8000 / 8 * 2 + 3, 256))   // splits its columns over the threads
        shapes.append((8, 1030, 130))
        // Up to the AVX-512 kernel's row limit: blocks of 8 rows against panels of 64 columns.
        shapes += [(17, 130, 100), (32, 200, 256), (48, 70, 33), (80, 45, 70)]
        return shapes
    }()

    /// `c (+)= op(a)·op(b)` through `GEMM.multiply`, starting from `start` (or NaN when not
    /// accumulating, so that an unwritten element shows), and its largest relative error against
    /// a double-precision reference. `op(a)` is m×k and `op(b)` k×n, as `GEMM.multiply` takes them.
    /// With `weight`, `b` is that parameter's value (`[n, k]`, `B` transposed) and the product runs
    /// outside gradient recording, as decoding's products do: on its packed copy.
    static func productError(
        _ a: [Float], _ b: [Float], m: Int, n: Int, k: Int,
        transposeA: Bool = false, transposeB: Bool = true, accumulatingOnto start: [Float]? = nil,
        weight: Parameter? = nil
    ) -> Double {
        var c = start ?? [Float](repeating: .nan, count: m * n)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    if let weight {
                        let storage = weight.value.storage
                        withoutGradients {
                            GEMM.multiply(a.baseAddress!, transposeA: transposeA, storage.pointer, transposeB: true,
                                          into: c.baseAddress!, m: m, n: n, k: k, accumulate: start != nil, weight: storage)
                        }
                    } else {
                        // Outside gradient recording, where every kernel form takes products (on
                        // AVX2 the packed kernel leaves recorded ones to BLAS).
                        withoutGradients {
                            GEMM.multiply(a.baseAddress!, transposeA: transposeA, b.baseAddress!, transposeB: transposeB,
                                          into: c.baseAddress!, m: m, n: n, k: k, accumulate: start != nil)
                        }
                    }
                }
            }
        }
        return c.withUnsafeBufferPointer { c in
            referenceError(c.baseAddress!, a, b, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, start: start)
        }
    }

    /// The largest relative error of the product `c` (`[m×n]`, `start` added when given) against
    /// a double-precision product of `a` and `b`, over the rows in `rows` (all by default);
    /// infinity if any checked element is NaN.
    static func referenceError(
        _ c: UnsafePointer<Float>, _ a: [Float], _ b: [Float], m: Int, n: Int, k: Int,
        transposeA: Bool, transposeB: Bool, start: [Float]?, rows: StrideTo<Int>? = nil
    ) -> Double {
        var worst = 0.0
        for i in rows ?? stride(from: 0, to: m, by: 1) {
            for j in 0..<n {
                var expected = start.map { Double($0[i * n + j]) } ?? 0
                for p in 0..<k {
                    let x = transposeA ? a[p * m + i] : a[i * k + p]
                    let y = transposeB ? b[j * k + p] : b[p * n + j]
                    expected += Double(x) * Double(y)
                }
                let error = abs(Double(c[i * n + j]) - expected) / (1 + abs(expected))
                if error.isNaN { return .infinity }   // (`max` would pass a NaN over)
                worst = max(worst, error)
            }
        }
        return worst
    }

    @Test("products split over 1–4 threads, and from many callers at once, cover every column once")
    func splitProducts() {
        let random = RandomGenerator(seed: 11)
        let m = 5, n = 1_001, k = 200
        let a = (0..<(m * k)).map { _ in random.uniform(-1, 1) }
        let b = (0..<(n * k)).map { _ in random.uniform(-1, 1) }
        // Growing the team, then shrinking it (idle workers must still acknowledge every job).
        for threads in [1, 2, 3, 4, 2] {
            GEMM.withThreadCount(threads) {
                for rows in [1, m] {
                    let error = Self.productError(Array(a.prefix(rows * k)), b, m: rows, n: n, k: k)
                    #expect(error < 1e-5, "\(threads) threads, \(rows) rows: relative error \(error)")
                }
            }
        }
        // Callers that find the team busy run their parts themselves (few-row kernel, and the
        // packed kernel with its per-thread packing buffers).
        let tall = (0..<(64 * k)).map { _ in random.uniform(-1, 1) }
        let errors = UnsafeMutableBufferPointer<Double>.allocate(capacity: 8)
        defer { errors.deallocate() }
        DispatchQueue.concurrentPerform(iterations: errors.count) { caller in
            var worst = 0.0
            for round in 0..<20 {
                let error = round % 2 == 0 ? Self.productError(a, b, m: m, n: n, k: k) : Self.productError(tall, b, m: 64, n: n, k: k)
                worst = max(worst, error)
            }
            errors[caller] = worst
        }
        #expect(errors.allSatisfy { $0 < 1e-5 }, "concurrent callers: relative errors \(Array(errors))")
    }

    @Test("products of every transpose and size equal a double-precision reference, packed kernel (AVX-512 and AVX2) and BLAS")
    func packedProducts() {
        let random = RandomGenerator(seed: 13)
        // Ragged against the 12×32 tile and the 256-deep slices; bands split over the team both
        // by rows (tall) and by columns (wide); one deeper than a slice to accumulate across slices.
        let shapes: [(m: Int, n: Int, k: Int)] = [(9, 33, 7), (13, 31, 40), (50, 70, 300), (130, 20, 65), (25, 700, 257), (300, 97, 128)]
        Self.forEachForm { form in
            for (m, n, k) in shapes {
                for transposeA in [false, true] {
                    for transposeB in [false, true] {
                        let a = (0..<(m * k)).map { _ in random.uniform(-1, 1) }
                        let b = (0..<(n * k)).map { _ in random.uniform(-1, 1) }
                        let start = (0..<(m * n)).map { _ in random.uniform(-1, 1) }
                        for onto in [nil, start] {
                            let error = Self.productError(a, b, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, accumulatingOnto: onto)
                            #expect(error < 2e-5, "\(m)×\(n)×\(k) transposeA \(transposeA) transposeB \(transposeB) accumulate \(onto != nil) \(form): relative error \(error)")
                        }
                    }
                }
            }
        }
    }

    @Test("products too large to stay in cache (stored past the caches) equal a double-precision reference, on aligned and unaligned rows, written and accumulated",
          .enabled(if: KernelForm.avx512.isAvailable, "without AVX-512 such products go to BLAS (biasedProducts streams on AVX2, from a kept weight)"))
    func largeProducts() throws {
        let random = RandomGenerator(seed: 17)
        // 140 × 30,017 floats is just over 16 MiB; both sides ragged against the 12×32 tile.
        let m = 140, n = 30_017, k = 24
        let a = (0..<(m * k)).map { _ in random.uniform(-1, 1) }
        let b = (0..<(n * k)).map { _ in random.uniform(-1, 1) }
        let start = (0..<(m * n)).map { _ in random.uniform(-1, 1) }
        let raw = UnsafeMutableRawPointer.allocate(byteCount: (m * n + 16) * MemoryLayout<Float>.stride, alignment: 64)
        defer { raw.deallocate() }
        let buffer = raw.bindMemory(to: Float.self, capacity: m * n + 16)
        try GEMM.withKernelForm(.avx512) {
            try checkLargeProducts(a, b, start, into: buffer, m: m, n: n, k: k, form: .avx512)
        }
    }

    /// `largeProducts` on one kernel form.
    func checkLargeProducts(_ a: [Float], _ b: [Float], _ start: [Float], into buffer: UnsafeMutablePointer<Float>,
                            m: Int, n: Int, k: Int, form: KernelForm) throws {
        for (transposeA, transposeB) in [(false, true), (true, false)] {
            // Offset 0: every row of C starts on a cache line (n·4 bytes is not a multiple of 64,
            // so later rows do not: both store paths run); offset 1: none does at the start.
            for offset in [0, 1] {
                for accumulate in [false, true] {
                    let c = buffer + offset
                    if accumulate { c.update(from: start, count: m * n) } else { c.update(repeating: .nan, count: m * n) }
                    a.withUnsafeBufferPointer { a in
                        b.withUnsafeBufferPointer { b in
                            withoutGradients {
                                GEMM.multiply(a.baseAddress!, transposeA: transposeA, b.baseAddress!, transposeB: transposeB,
                                              into: c, m: m, n: n, k: k, accumulate: accumulate)
                            }
                        }
                    }
                    // Every third row: rows of every alignment, a third of the cost.
                    let worst = Self.referenceError(c, a, b, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB,
                                                    start: accumulate ? start : nil, rows: stride(from: 0, to: m, by: 3))
                    #expect(worst < 2e-5,
                            "\(form) transposeA \(transposeA) transposeB \(transposeB) offset \(offset) accumulate \(accumulate): relative error \(worst)")
                }
            }
        }
    }

    @Test("few-row products equal a double-precision reference on every kernel path")
    func fewRowProducts() {
        let random = RandomGenerator(seed: 7)
        Self.forEachForm { form in
            for (m, n, k) in Self.shapes {
                let a = (0..<(m * k)).map { _ in random.uniform(-1, 1) }
                let b = (0..<(n * k)).map { _ in random.uniform(-1, 1) }
                let start = (0..<(m * n)).map { _ in random.nextUnit() }
                for onto in [nil, start] {
                    let error = Self.productError(a, b, m: m, n: n, k: k, accumulatingOnto: onto)
                    #expect(error < 1e-5, "m \(m) n \(n) k \(k) accumulate \(onto != nil) \(form): relative error \(error)")
                }
            }
        }
    }

    @Test("products with a weight kept packed for decoding (1–8 rows on panels, 9–80 on tiles, more on blocks) equal a double-precision reference")
    func packedWeightProducts() {
        let random = RandomGenerator(seed: 17)
        // 1–8 rows on the 64-column panels (columns ragged against them, split over the threads
        // or not); 9–80 rows (ragged against the 8-row tile), columns ragged against the 48-wide
        // tiles, depths across several 128-deep slices; more rows on the general kernel's blocks:
        // split by rows or by columns (bands starting inside the copy), columns ragged against
        // its 32-wide panels and across its 4096-wide blocks, depths across its 256-deep slices.
        let shapes: [(m: Int, n: Int, k: Int)] = [
            (1, 1, 1), (1, 130, 300), (3, 65, 17), (5, 1030, 130), (8, 200, 256),
            (9, 1, 1), (16, 47, 33), (23, 48, 128), (48, 97, 129), (80, 130, 300), (12, 8000 / 50, 256),
            (81, 33, 17), (300, 70, 600), (96, 1500, 257), (90, 4200, 12), (130, 8000 / 50, 256)]
        Self.forEachForm(Self.kernelForms.filter { $0 != .portable }) { form in
            checkPackedWeightProducts(shapes, random, form: form)
        }
    }

    /// `packedWeightProducts` on one kernel form.
    func checkPackedWeightProducts(_ shapes: [(m: Int, n: Int, k: Int)], _ random: RandomGenerator, form: KernelForm) {
        for (m, n, k) in shapes {
            for transposeA in [false, true] {
                let a = (0..<(m * k)).map { _ in random.uniform(-1, 1) }
                let b = (0..<(n * k)).map { _ in random.uniform(-1, 1) }
                let weight = Parameter(Tensor(shape: [n, k], scalars: b))
                let start = (0..<(m * n)).map { _ in random.uniform(-1, 1) }
                for onto in [nil, start] {
                    // Twice: the first product packs the weight, the second reuses the copy.
                    for use in 1...2 {
                        let error = Self.productError(a, b, m: m, n: n, k: k, transposeA: transposeA, accumulatingOnto: onto, weight: weight)
                        #expect(error < 2e-5, "\(form) \(m)×\(n)×\(k) transposeA \(transposeA) accumulate \(onto != nil) use \(use): relative error \(error)")
                    }
                }
            }
        }
    }

    @Test("a product with a bias equals the product added onto rows of the bias, bit for bit, on every kernel path, and a double-precision reference")
    func biasedProducts() {
        let random = RandomGenerator(seed: 23)
        // The general kernel (split by rows and by columns, ragged tiles, several 256-deep
        // slices, products large enough to be stored past the caches), BLAS (little work),
        // the few-row kernels, and with a kept weight its panels, tiles and blocks; and k = 0.
        let shapes: [(m: Int, n: Int, k: Int)] = [
            (1, 130, 300), (5, 1030, 130), (9, 5, 15), (16, 47, 33), (80, 130, 300),
            (81, 33, 17), (300, 70, 600), (96, 1500, 257), (1280, 3300, 40), (7, 9, 0), (200, 9, 0)]
        Self.forEachForm { form in
            checkBiasedProducts(shapes, random, form: form)
        }
    }

    /// `biasedProducts` on one kernel form.
    func checkBiasedProducts(_ shapes: [(m: Int, n: Int, k: Int)], _ random: RandomGenerator, form: KernelForm) {
        for (m, n, k) in shapes {
            for transposeA in [false, true] {
                for kept in [false, true] {
                    let a = (0..<(m * k)).map { _ in random.uniform(-1, 1) }
                    let b = (0..<(n * k)).map { _ in random.uniform(-1, 1) }
                    let bias = (0..<n).map { _ in random.uniform(-1, 1) }
                    let weight = Parameter(Tensor(shape: [n, k], scalars: b))
                    let biasRows = (0..<(m * n)).map { bias[$0 % n] }
                    func product(withBias: Bool) -> [Float] {
                        var c = withBias ? [Float](repeating: .nan, count: m * n) : biasRows
                        a.withUnsafeBufferPointer { a in
                            b.withUnsafeBufferPointer { b in
                                c.withUnsafeMutableBufferPointer { c in
                                    bias.withUnsafeBufferPointer { bias in
                                        let operand = kept ? UnsafePointer(weight.value.storage.pointer) : b.baseAddress!
                                        withoutGradients {
                                            GEMM.multiply(a.baseAddress!, transposeA: transposeA, operand, transposeB: true,
                                                          into: c.baseAddress!, m: m, n: n, k: k, accumulate: !withBias,
                                                          weight: kept ? weight.value.storage : nil,
                                                          bias: withBias ? bias.baseAddress! : nil)
                                        }
                                    }
                                }
                            }
                        }
                        return c
                    }
                    let biased = product(withBias: true), laid = product(withBias: false)
                    let label = "\(form) \(m)×\(n)×\(k) transposeA \(transposeA) kept \(kept)"
                    #expect(biased.elementsEqual(laid) { $0.bitPattern == $1.bitPattern }, "\(label): differs from the product onto laid rows")
                    let error = biased.withUnsafeBufferPointer {
                        Self.referenceError($0.baseAddress!, a, b, m: m, n: n, k: k, transposeA: transposeA, transposeB: true,
                                            start: biasRows)
                    }
                    #expect(error < 2e-5, "\(label): relative error \(error)")
                }
            }
        }
    }

    /// The bfloat16 nearest `x` (ties to even), as a float.
    static func bfloat16Rounded(_ x: Float) -> Float {
        let bits = x.bitPattern
        return Float(bitPattern: ((bits &+ 0x7fff &+ ((bits >> 16) & 1)) >> 16) << 16)
    }

    /// The panel kernel's forms this CPU runs, AVX-512 and AVX2, each called directly.
    static var panelForms: [(form: KernelForm, kernel: PanelKernel)] {
        (KernelForm.avx512.isAvailable ? [(.avx512, parley_panel_rows)] : [])
            + (KernelForm.avx2.isAvailable ? [(.avx2, parley_panel_rows_avx2)] : [])
    }

    typealias PanelKernel = @convention(c) (
        UnsafePointer<Float>?, Int32, UnsafeRawPointer?, Int32, Int32, Int32, Int32, Int32, Int32, Int32,
        UnsafeMutablePointer<Float>?, Int32, Int32, Int32) -> Int32

    @Test("few-row products on weights in 64-column panels equal a double-precision reference, any column and inner range, AVX-512 and AVX2",
          .enabled(if: KernelForm.avx2.isAvailable, "the panel kernel needs AVX-512 or AVX2 (which every CPU with AVX-512 has)"),
          arguments: [PackedWeights.Precision.float32, .bfloat16])
    func panelProducts(precision: PackedWeights.Precision) throws {
        let format = Int32(precision == .bfloat16 ? PARLEY_PANELS_BFLOAT16 : PARLEY_PANELS_FLOAT32)
        for (form, kernel) in Self.panelForms {
            checkPanelProducts(precision, format: format, kernel: kernel, form: form)
        }
    }

    /// `panelProducts` on one form of the kernel.
    func checkPanelProducts(_ precision: PackedWeights.Precision, format: Int32, kernel: PanelKernel, form: KernelForm) {
        let random = RandomGenerator(seed: 29)
        // Columns ragged against the panels and the 16-lane vectors; 1–8 rows (seven and eight
        // take two passes); ranges that start and end inside a panel, and parts of the inner
        // dimension (how the fused step shares a product out by heads or hidden units), odd and
        // even (bfloat16 panels pair inner positions, so parts start at even ones).
        for (n, k) in [(1, 1), (50, 7), (64, 64), (130, 301), (200, 256)] {
            let w = (0..<(n * k)).map { _ in random.uniform(-1, 1) }
            // The weights the products use: bfloat16 panels hold each one rounded.
            let used = precision == .bfloat16 ? w.map(Self.bfloat16Rounded) : w
            var panels = [Float](repeating: .nan, count: parley_panels_count(Int32(n), Int32(k), format))
            parley_pack_panels(w, Int32(n), Int32(k), format, &panels)
            // For bfloat16, the float32 panels of the rounded weights: the same sums in the same order.
            var roundedPanels = [Float](repeating: .nan, count: parley_panels_count(Int32(n), Int32(k), 0))
            parley_pack_panels(used, Int32(n), Int32(k), 0, &roundedPanels)
            for rows in 1...8 {
                let a = (0..<(rows * k)).map { _ in random.uniform(-1, 1) }
                for (low, high) in [(0, n), (n / 3, 2 * n / 3 + 1)] {
                    for (kLow, kHigh) in [(0, k), (k / 4 / 2 * 2, 3 * k / 4 + 1)] {
                        for accumulate in [false, true] {
                            let start = (0..<(rows * n)).map { _ in random.uniform(-1, 1) }
                            var c = start, reference = start
                            let status = kernel(a, Int32(k), panels, format, Int32(n), Int32(k), Int32(low), Int32(high),
                                                Int32(kLow), Int32(kHigh), &c, Int32(n), Int32(rows), accumulate ? 1 : 0)
                            #expect(status == 0)
                            _ = kernel(a, Int32(k), roundedPanels, 0, Int32(n), Int32(k), Int32(low), Int32(high),
                                       Int32(kLow), Int32(kHigh), &reference, Int32(n), Int32(rows), accumulate ? 1 : 0)
                            var worst = 0.0
                            for i in 0..<rows {
                                for j in 0..<n {
                                    var expected = Double(start[i * n + j])
                                    if (low..<high).contains(j) {
                                        if !accumulate { expected = 0 }
                                        for p in kLow..<kHigh { expected += Double(a[i * k + p]) * Double(used[j * k + p]) }
                                    }
                                    worst = max(worst, abs(Double(c[i * n + j]) - expected))
                                }
                            }
                            #expect(worst < 1e-4, "\(form) \(rows)×\(n)×\(k), columns \(low)..<\(high), inner \(kLow)..<\(kHigh), accumulate \(accumulate): \(worst)")
                            #expect(c == reference, "\(form) \(precision): not the float32 kernel's sums on the rounded weights")
                        }
                    }
                }
            }
        }
        if precision == .bfloat16 {
            // An inner range from an odd position would split a pair: refused, output untouched.
            var c: [Float] = [7]
            #expect(kernel([1, 1], 2, [Float](repeating: 1, count: 64), format, 1, 2, 0, 1, 1, 2, &c, 1, 1, 0) == -1)
            #expect(c == [7])
        }
    }

    @Test("a bfloat16 parameter's products of 1–8 rows use its rounded weights on the panel kernel's forms, larger ones and the portable form's its float32 value")
    func bfloat16Parameter() throws {
        let random = RandomGenerator(seed: 31)
        let n = 130, k = 77
        let b = (0..<(n * k)).map { _ in random.uniform(-1, 1) }, rounded = b.map(Self.bfloat16Rounded)
        // The portable form has no panel kernel: its products read the float32 value.
        Self.forEachForm { form in
            let weight = Parameter(Tensor(shape: [n, k], scalars: b))
            weight.panelPrecision = .bfloat16
            for m in [1, 5, 8, 9, 16] {
                let a = (0..<(m * k)).map { _ in random.uniform(-1, 1) }
                let onRounded = Self.productError(a, rounded, m: m, n: n, k: k, weight: weight)
                let onExact = Self.productError(a, b, m: m, n: n, k: k, weight: weight)
                if m <= 8 && form != .portable {
                    #expect(onRounded < 2e-5 && onExact > 1e-4, "\(m) rows: \(onRounded) from the rounded weights, \(onExact) from the exact")
                } else {
                    #expect(onExact < 2e-5, "\(form), \(m) rows: \(onExact) from the exact weights")
                }
            }
            // Back to float32: the panel copy is made again.
            weight.panelPrecision = .float32
            let a = (0..<k).map { _ in random.uniform(-1, 1) }
            #expect(Self.productError(a, b, m: 1, n: n, k: k, weight: weight) < 2e-5)
        }
    }

    @Test("a weight's packed copy is re-made after every kind of write to a parameter, in decoding and in training",
          arguments: [(1, false), (16, false), (16, true), (120, false), (120, true)])
    func packedWeightInvalidation(rows: Int, recording: Bool) {
        let inputs = 40, outputs = 30
        let random = RandomGenerator(seed: 23)
        let x = Tensor(shape: [rows, inputs], scalars: (0..<(rows * inputs)).map { _ in random.uniform(-1, 1) })
        let weight = Parameter(Tensor(shape: [outputs, inputs], scalars: (0..<(outputs * inputs)).map { _ in random.uniform(-1, 1) }))
        let bias = Parameter(Tensor(zeros: [outputs]))
        /// The largest difference between the product (on the packed copy; recorded for gradients
        /// as a training step's, or not as decoding's) and a double-precision one from the
        /// parameters' current elements.
        func error() -> Double {
            let product = { Tensor.affine(x, weight: weight.value, bias: bias.value) }
            let decoded = (recording ? product() : withoutGradients(product)).scalars
            let w = weight.value.scalars, xs = x.scalars, b = bias.value.scalars
            var worst = 0.0
            for i in 0..<rows {
                for j in 0..<outputs {
                    var expected = Double(b[j])
                    for p in 0..<inputs { expected += Double(xs[i * inputs + p]) * Double(w[j * inputs + p]) }
                    worst = max(worst, abs(Double(decoded[i * outputs + j]) - expected))
                }
            }
            return worst
        }
        #expect(error() < 1e-4, "first use")
        weight.value = Tensor(shape: [outputs, inputs], scalars: (0..<(outputs * inputs)).map { _ in random.uniform(-1, 1) })
        #expect(error() < 1e-4, "after setting the value (as checkpoint loading does)")
        let list = ParameterList(named: [("weight", weight), ("bias", bias)])
        #expect(error() < 1e-4, "after moving into flat buffers")
        let adam = Adam(parameters: list, learningRate: 0.1)
        for step in 1...3 {
            // As a training step: the recorded product's gradients, then the update.
            Tensor.affine(x, weight: weight.value, bias: bias.value).sum().backward()
            adam.step()
            list.zeroGradients()
            #expect(error() < 1e-4, "after optimiser step \(step)")
        }
        weight.valueStorage.pointer[3] += 1
        #expect(error() < 1e-4, "after a write through valueStorage")
        let kept = weight.value.storage.pointer
        kept[5] -= 1
        PackedWeights.invalidate()
        #expect(error() < 1e-4, "after a write through a kept pointer and invalidate()")
    }
}
