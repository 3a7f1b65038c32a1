import Seq

/// Checks the gradients that `backward()` gives every parameter of `layer` against central
/// differences, for `function` (which runs the layer) reduced to a scalar with fixed
/// pseudo-random weights.
///
/// `checkGradients` covers a function's inputs; a layer's own parameters need their values
/// perturbed in place, which this does (restoring each value afterwards).
public func checkParameterGradients(
    of layer: Layer,
    step: Float = 1e-2,
    absoluteTolerance: Double = 2e-3,
    relativeTolerance: Double = 2e-2,
    _ function: () -> Tensor
) -> GradientCheckResult {
    let probe = withoutGradients { function() }
    let generator = RandomGenerator(seed: 4321)
    let weights = (0..<probe.count).map { _ in Double(generator.uniform(0.5, 1.5)) * (generator.nextUnit() < 0.5 ? -1 : 1) }
    func reduce(_ output: Tensor) -> Double {
        zip(output.scalars, weights).reduce(0) { $0 + Double($1.0) * $1.1 }
    }

    layer.zeroGradients()
    let output = function()
    (output * Tensor(shape: output.shape, scalars: weights.map(Float.init))).sum().backward()

    var result = GradientCheckResult()
    for (name, parameter) in layer.namedParameters {
        let analytic = parameter.gradient.scalars
        let base = parameter.value.scalars
        for i in 0..<base.count {
            func evaluate(_ delta: Float) -> Double {
                var shifted = base
                shifted[i] += delta
                parameter.value = Tensor(shape: parameter.shape, scalars: shifted)
                return withoutGradients { reduce(function()) }
            }
            let numeric = (evaluate(step) - evaluate(-step)) / (2 * Double(step))
            parameter.value = Tensor(shape: parameter.shape, scalars: base)
            let ratio = abs(Double(analytic[i]) - numeric) / (absoluteTolerance + relativeTolerance * abs(numeric))
            result.compared += 1
            if ratio > result.worstRatio {
                result.worstRatio = ratio
                result.worst = "\(name)[\(i)]: analytic \(analytic[i]), numeric \(numeric)"
            }
        }
    }
    layer.zeroGradients()
    return result
}
