#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `exp` accurate to about 2 ulp over the float range, written so loops over it vectorise.
///
/// Cody–Waite range reduction `x = n·ln2 + r` with `|r| ≤ ln2/2`, a degree-6 polynomial for
/// `e^r`, and the exponent bits set directly for `2^n`. libm's `expf` is a call per element.
@inline(__always)
func fastExp(_ x: Float) -> Float {
    let clamped = Swift.min(Swift.max(x, -87.33654), 88.0)
    // Adding 1.5·2²³ rounds to an integer held in the low mantissa bits (no trapping conversion,
    // so the loop vectorises).
    let shifted = clamped * 1.442695041 + 12_582_912
    let n = shifted - 12_582_912
    let r = clamped - n * 0.693145751953125 - n * 1.428606765330187e-06
    var p: Float = 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let exponent = Int32(bitPattern: shifted.bitPattern &- 0x4B40_0000) &+ 127
    let scale = Float(bitPattern: UInt32(bitPattern: exponent &<< 23))
    return x < -87.33654 ? 0 : p * scale
}

/// `fastExp` on 16 lanes at once, for reductions (a sum over scalar `fastExp` calls does not
/// vectorise: the compiler may not reorder the additions).
@inline(__always)
func fastExp(_ x: SIMD16<Float>) -> SIMD16<Float> {
    let low = SIMD16<Float>(repeating: -87.33654), high = SIMD16<Float>(repeating: 88)
    var clamped = x.replacing(with: low, where: x .< low)
    clamped.replace(with: high, where: clamped .> high)
    let magic = SIMD16<Float>(repeating: 12_582_912)
    let shifted = clamped * 1.442695041 + magic
    let n = shifted - magic
    let r = clamped - n * 0.693145751953125 - n * 1.428606765330187e-06
    var p = SIMD16<Float>(repeating: 1.0 / 720)
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let exponent = (unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
    let result = p * unsafeBitCast(exponent, to: SIMD16<Float>.self)
    return result.replacing(with: 0, where: x .< low)
}

/// `tanh` through `fastExp`, accurate to a few ulp, vectorisable.
@inline(__always)
func fastTanh(_ x: Float) -> Float {
    // tanh(x) = sign(x) · (1 − e^{−2|x|}) / (1 + e^{−2|x|}); small |x| uses the odd series to keep relative accuracy.
    let a = Swift.abs(x)
    if a < 0.0625 {
        let x2 = x * x
        return x * (1 + x2 * (-1.0 / 3 + x2 * (2.0 / 15 + x2 * (-17.0 / 315))))
    }
    let e = fastExp(-2 * a)
    let t = (1 - e) / (1 + e)
    return x < 0 ? -t : t
}

/// The logistic function `1 / (1 + e^{−x})`, vectorisable.
@inline(__always)
func fastSigmoid(_ x: Float) -> Float {
    1 / (1 + fastExp(-x))
}

/// `erf` from libm (used by the exact GELU).
@inline(__always)
func errorFunction(_ x: Float) -> Float { erff(x) }
