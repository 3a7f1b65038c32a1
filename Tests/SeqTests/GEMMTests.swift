import Seq
import Testing

/// The few-row kernels (decoding multiplies 1–8 rows by weight matrices) against a
/// double-precision reference, on both the AVX-512 kernel and the portable path, with lengths
/// that are and are not multiples of the vector width.
@Suite("Matrix products")
struct GEMMTests {
    static let shapes: [(m: Int, n: Int, k: Int)] = {
        var shapes: [(m: Int, n: Int, k: Int)] = []
        for m in [1, 2, 3, 4, 5, 6, 7, 8, 9] {
            for (n, k) in [(1, 1), (5, 15), (7, 16), (37, 17), (130, 64), (33, 100), (65, 256)] { shapes.append((m, n, k)) }
        }
        shapes.append((5, 8000 / 8 * 2 + 3, 256))   // splits its columns over the threads (≥ 2²⁰ multiply-adds)
        shapes.append((8, 1030, 130))
        // Up to the AVX-512 kernel's row limit: blocks of 8 rows against panels of 64 columns.
        shapes += [(17, 130, 100), (32, 200, 256), (48, 70, 33)]
        return shapes
    }()

    @Test("few-row products equal a double-precision reference on every kernel path")
    func fewRowProducts() {
        let paths = GEMM.usesAVX512Kernels ? [true, false] : [false]
        let original = GEMM.usesAVX512Kernels
        defer { GEMM.usesAVX512Kernels = original }
        let random = RandomGenerator(seed: 7)
        for usesAVX512 in paths {
            GEMM.usesAVX512Kernels = usesAVX512
            for (m, n, k) in Self.shapes {
                let a = (0..<(m * k)).map { _ in random.uniform(-1, 1) }
                let b = (0..<(n * k)).map { _ in random.uniform(-1, 1) }
                let start = (0..<(m * n)).map { _ in random.nextUnit() }
                for accumulate in [false, true] {
                    var c = start
                    a.withUnsafeBufferPointer { a in
                        b.withUnsafeBufferPointer { b in
                            c.withUnsafeMutableBufferPointer { c in
                                GEMM.multiply(a.baseAddress!, transposeA: false, b.baseAddress!, transposeB: true,
                                              into: c.baseAddress!, m: m, n: n, k: k, accumulate: accumulate)
                            }
                        }
                    }
                    var worst = 0.0
                    for i in 0..<m {
                        for j in 0..<n {
                            var expected = accumulate ? Double(start[i * n + j]) : 0
                            for p in 0..<k { expected += Double(a[i * k + p]) * Double(b[j * k + p]) }
                            worst = max(worst, abs(Double(c[i * n + j]) - expected) / (1 + abs(expected)))
                        }
                    }
                    #expect(worst < 1e-5, "m \(m) n \(n) k \(k) accumulate \(accumulate) AVX-512 \(usesAVX512): relative error \(worst)")
                }
            }
        }
    }
}
