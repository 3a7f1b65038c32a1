#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Vectorised loops over raw buffers: the element-wise work under every tensor operation.
///
/// These loops are written so the compiler vectorises them (plain indexed loops over unsafe
/// pointers, or explicit `SIMD16` for reductions, which the compiler may not reorder itself).
enum Kernels {
    @inline(__always)
    static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { y[i] += x[i] }
    }

    /// `y += alpha * x`.
    @inline(__always)
    static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { y[i] += alpha * x[i] }
    }

    /// `y = y · scale + shift`, in place.
    @inline(__always)
    static func scaleAndShift(_ y: UnsafeMutablePointer<Float>, scale: Float, shift: Float, count: Int) {
        for i in 0..<count { y[i] = y[i] * scale + shift }
    }

    /// The dot product of two vectors, accumulated in 16 lanes.
    @inline(__always)
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD16<Float>()
        var i = 0
        while i + 16 <= count {
            let a = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            let b = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD16<Float>.self)
            lanes.addProduct(a, b)
            i += 16
        }
        var total = lanes.sum()
        while i < count {
            total += x[i] * y[i]
            i += 1
        }
        return total
    }

    /// Four dot products against one shared vector `y` (which is loaded once per block of 16).
    @inline(__always)
    static func dot4(
        _ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>, _ x2: UnsafePointer<Float>, _ x3: UnsafePointer<Float>,
        _ y: UnsafePointer<Float>, count: Int
    ) -> (Float, Float, Float, Float) {
        var l0 = SIMD16<Float>(), l1 = SIMD16<Float>(), l2 = SIMD16<Float>(), l3 = SIMD16<Float>()
        var i = 0
        while i + 16 <= count {
            let b = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD16<Float>.self)
            l0.addProduct(UnsafeRawPointer(x0 + i).loadUnaligned(as: SIMD16<Float>.self), b)
            l1.addProduct(UnsafeRawPointer(x1 + i).loadUnaligned(as: SIMD16<Float>.self), b)
            l2.addProduct(UnsafeRawPointer(x2 + i).loadUnaligned(as: SIMD16<Float>.self), b)
            l3.addProduct(UnsafeRawPointer(x3 + i).loadUnaligned(as: SIMD16<Float>.self), b)
            i += 16
        }
        var t0 = l0.sum(), t1 = l1.sum(), t2 = l2.sum(), t3 = l3.sum()
        while i < count {
            t0 += x0[i] * y[i]; t1 += x1[i] * y[i]; t2 += x2[i] * y[i]; t3 += x3[i] * y[i]
            i += 1
        }
        return (t0, t1, t2, t3)
    }

    /// The sum of a vector, accumulated in 16 lanes.
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD16<Float>()
        var i = 0
        while i + 16 <= count {
            lanes += UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            i += 16
        }
        var total = lanes.sum()
        while i < count {
            total += x[i]
            i += 1
        }
        return total
    }

    /// The sum of `x − shift` over a vector, accumulated in 16 lanes (subtracting first keeps the
    /// precision that `sum(x) − count·shift` would lose for large values).
    @inline(__always)
    static func shiftedSum(_ x: UnsafePointer<Float>, shift: Float, count: Int) -> Float {
        var lanes = SIMD16<Float>()
        let shifts = SIMD16<Float>(repeating: shift)
        var i = 0
        while i + 16 <= count {
            lanes += UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self) - shifts
            i += 16
        }
        var total = lanes.sum()
        while i < count {
            total += x[i] - shift
            i += 1
        }
        return total
    }

    /// The largest element of a non-empty vector.
    @inline(__always)
    static func maximum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD16<Float>(repeating: -.infinity)
        var i = 0
        while i + 16 <= count {
            // `pointwiseMax` is not specialised here and runs hundreds of times slower.
            let values = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            lanes.replace(with: values, where: values .> lanes)
            i += 16
        }
        var best = lanes.max()
        while i < count {
            best = Swift.max(best, x[i])
            i += 1
        }
        return best
    }

    /// Index of the largest element (the first one on ties).
    static func argmax(_ x: UnsafePointer<Float>, count: Int) -> Int {
        let best = maximum(x, count: count)
        for i in 0..<count where x[i] == best { return i }
        return 0
    }

    /// `log Σ exp(x[i])`, stably (the maximum is factored out); `−∞` for an empty or all-`−∞` row.
    static func logSumExp(_ x: UnsafePointer<Float>, count: Int) -> Float {
        let shift = maximum(x, count: count)
        guard shift.isFinite else { return shift }
        var lanes = SIMD16<Float>(repeating: 0)
        var i = 0
        while i + 16 <= count {
            let values = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            lanes += fastExp(values - shift)
            i += 16
        }
        var total = lanes.sum()
        while i < count { total += fastExp(x[i] - shift); i += 1 }
        return shift + logf(total)
    }

    /// Writes `exp(x - shift)` to `y` and returns the sum of what it wrote.
    @inline(__always)
    static func shiftedExp(_ x: UnsafePointer<Float>, shift: Float, into y: UnsafeMutablePointer<Float>, count: Int) -> Float {
        for i in 0..<count { y[i] = fastExp(x[i] - shift) }
        return sum(UnsafePointer(y), count: count)
    }
}
