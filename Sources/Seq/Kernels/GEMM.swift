#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// Single-precision matrix products: `C = op(A)·op(B)` (or `C += …`), row-major.
///
/// Large products go to BLAS (`cblas_sgemm`). Products with very few rows — decoding one
/// sentence multiplies a 1×512 row by a 512×2048 matrix — go to hand-vectorised loops on the
/// calling thread: through threaded sgemm such shapes spend most of their time waking threads.
public enum GEMM {
    /// Products with at most this many rows in `op(A)` use the row kernels instead of BLAS.
    static let rowKernelLimit = 4

    /// `C[m×n] (+)= op(A)[m×k] · op(B)[k×n]`, all row-major; `A` is `[k×m]` when transposed, `B` is `[n×k]`.
    public static func multiply(
        _ a: UnsafePointer<Float>, transposeA: Bool,
        _ b: UnsafePointer<Float>, transposeB: Bool,
        into c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int, accumulate: Bool = false
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            if !accumulate { c.update(repeating: 0, count: m * n) }
            return
        }
        if m <= rowKernelLimit {
            rowKernel(a, transposeA: transposeA, b, transposeB: transposeB, into: c, m: m, n: n, k: k, accumulate: accumulate)
            return
        }
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k),
            1, a, Int32(transposeA ? m : k),
            b, Int32(transposeB ? k : n),
            accumulate ? 1 : 0, c, Int32(n))
    }

    /// Few-row products: each output row is a sum of scaled rows of `B` (axpy form) or a set of
    /// dot products with rows of `B` (when `B` is transposed, its rows are contiguous).
    private static func rowKernel(
        _ a: UnsafePointer<Float>, transposeA: Bool,
        _ b: UnsafePointer<Float>, transposeB: Bool,
        into c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int, accumulate: Bool
    ) {
        @inline(__always) func aValue(_ i: Int, _ p: Int) -> Float { transposeA ? a[p * m + i] : a[i * k + p] }
        if transposeB {
            for i in 0..<m {
                let row = c + i * n
                if transposeA {
                    // Gather the strided row of A once.
                    let gathered = UnsafeMutablePointer<Float>.allocate(capacity: k)
                    defer { gathered.deallocate() }
                    for p in 0..<k { gathered[p] = a[p * m + i] }
                    for j in 0..<n {
                        let d = Kernels.dot(gathered, b + j * k, count: k)
                        row[j] = accumulate ? row[j] + d : d
                    }
                } else {
                    for j in 0..<n {
                        let d = Kernels.dot(a + i * k, b + j * k, count: k)
                        row[j] = accumulate ? row[j] + d : d
                    }
                }
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

    /// Sets how many threads BLAS may use (OpenBLAS only; Accelerate manages its own).
    public static func setThreadCount(_ count: Int) {
        #if !canImport(Accelerate)
        openblas_set_num_threads(Int32(count))
        #endif
    }
}
