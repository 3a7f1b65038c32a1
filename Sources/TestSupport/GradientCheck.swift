import Seq

/// The outcome of comparing analytic gradients with central differences.
public struct GradientCheckResult: CustomStringConvertible {
    /// The largest `|analytic − numeric| / (absoluteTolerance + relativeTolerance·|numeric|)`; ≤ 1 passes.
    public var worstRatio: Double = 0
    /// Where the worst ratio was found.
    public var worst = ""
    /// How many partial derivatives were compared.
    public var compared = 0

    public var passed: Bool { worstRatio <= 1 && compared > 0 }
    public var description: String { "compared \(compared) partials; worst ratio \(worstRatio) at \(worst)" }
}

/// Checks the gradients that `backward()` gives for `function` against central differences.
///
/// The output of `function` is reduced to a scalar with fixed pseudo-random weights (so every
/// output element's gradient matters); that reduction and the differences are done in `Double`.
/// The function is evaluated in `Float`, so the step is fairly large.
///
/// - Parameters:
///   - inputs: the point at which to differentiate; each becomes a parameter.
///   - function: maps the inputs to any tensor; must be deterministic.
public func checkGradients(
    _ inputs: [Tensor],
    step: Float = 1e-2,
    absoluteTolerance: Double = 2e-3,
    relativeTolerance: Double = 2e-2,
    _ function: ([Tensor]) -> Tensor
) -> GradientCheckResult {
    let parameters = inputs.map { Parameter($0) }
    // Fixed weights for the scalar reduction.
    let probe = withoutGradients { function(inputs) }
    let generator = RandomGenerator(seed: 1234)
    let weights = (0..<probe.count).map { _ in Double(generator.uniform(0.5, 1.5)) * (generator.nextUnit() < 0.5 ? -1 : 1) }
    func reduce(_ output: Tensor) -> Double {
        zip(output.scalars, weights).reduce(0) { $0 + Double($1.0) * $1.1 }
    }

    let output = function(parameters.map(\.value))
    let weighted = (output * Tensor(shape: output.shape, scalars: weights.map(Float.init))).sum()
    weighted.backward()

    var result = GradientCheckResult()
    for (p, parameter) in parameters.enumerated() {
        let analytic = parameter.gradient.scalars
        let base = inputs[p].scalars
        for i in 0..<base.count {
            func evaluate(_ delta: Float) -> Double {
                var shifted = base
                shifted[i] += delta
                var point = inputs
                point[p] = Tensor(shape: inputs[p].shape, scalars: shifted)
                return withoutGradients { reduce(function(point)) }
            }
            let numeric = (evaluate(step) - evaluate(-step)) / (2 * Double(step))
            let error = abs(Double(analytic[i]) - numeric)
            let ratio = error / (absoluteTolerance + relativeTolerance * abs(numeric))
            result.compared += 1
            if ratio > result.worstRatio {
                result.worstRatio = ratio
                result.worst = "input \(p) element \(i): analytic \(analytic[i]), numeric \(numeric)"
            }
        }
    }
    return result
}

/// Whether two arrays agree element-wise to `|a − b| ≤ absolute + relative·|b|`.
public func isClose(_ a: [Float], _ b: [Float], relative: Float = 1e-5, absolute: Float = 1e-6) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= absolute + relative * abs($1) }
}

/// The largest element-wise absolute difference of two equally long arrays.
public func maximumDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "arrays of \(a.count) and \(b.count) elements")
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

/// A tensor of the given shape with reproducible values uniform in `range`.
public func randomTensor(_ shape: [Int], in range: ClosedRange<Float> = -1...1, seed: UInt64) -> Tensor {
    Tensor.uniform(shape, low: range.lowerBound, high: range.upperBound, generator: RandomGenerator(seed: seed))
}
