#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The element-wise functions of one argument.
enum UnaryFunction {
    case negate, tanh, sigmoid, relu, gelu, exp, log, sqrt
}

extension Tensor {
    /// Applies `function` to every element, recording its derivative.
    func map(_ function: UnaryFunction) -> Tensor {
        var result = Tensor(uninitialized: shape)
        let x = storage.pointer, y = result.storage.pointer
        Parallel.forEachPart(units: count) { part in
            switch function {
            case .negate: for i in part { y[i] = -x[i] }
            case .tanh: for i in part { y[i] = fastTanh(x[i]) }
            case .sigmoid: for i in part { y[i] = fastSigmoid(x[i]) }
            case .relu: for i in part { y[i] = Swift.max(x[i], 0) }
            case .gelu: for i in part { y[i] = 0.5 * x[i] * (1 + errorFunction(x[i] * 0.70710678118654752)) }
            case .exp: for i in part { y[i] = fastExp(x[i]) }
            case .log: for i in part { y[i] = logf(x[i]) }
            case .sqrt: for i in part { y[i] = x[i].squareRoot() }
            }
        }
        guard Tensor.tracks(self) else { return result }
        let input = detached(), output = result.detached()
        result = result.recorded(from: [self]) { g in
            [Tensor.derivative(of: function, input: input, output: output, gradient: g)]
        }
        return result
    }

    /// `gradient · f′(input)`, with `output = f(input)` at hand for functions whose derivative uses it.
    private static func derivative(of function: UnaryFunction, input: Tensor, output: Tensor, gradient: Tensor) -> Tensor {
        var result = Tensor(uninitialized: input.shape)
        let g = gradient.storage.pointer, x = input.storage.pointer, y = output.storage.pointer
        let d = result.storage.pointer
        Parallel.forEachPart(units: input.count) { part in
            switch function {
            case .negate: for i in part { d[i] = -g[i] }
            case .tanh: for i in part { d[i] = g[i] * (1 - y[i] * y[i]) }
            case .sigmoid: for i in part { d[i] = g[i] * y[i] * (1 - y[i]) }
            case .relu: for i in part { d[i] = x[i] > 0 ? g[i] : 0 }
            case .gelu:
                // d/dx [x·Φ(x)] = Φ(x) + x·φ(x)
                for i in part {
                    let cdf = 0.5 * (1 + errorFunction(x[i] * 0.70710678118654752))
                    let pdf = 0.3989422804014327 * fastExp(-0.5 * x[i] * x[i])
                    d[i] = g[i] * (cdf + x[i] * pdf)
                }
            case .exp: for i in part { d[i] = g[i] * y[i] }
            case .log: for i in part { d[i] = g[i] / x[i] }
            case .sqrt: for i in part { d[i] = g[i] * 0.5 / y[i] }
            }
        }
        return result
    }

    /// Hyperbolic tangent, element-wise.
    public func tanh() -> Tensor { map(.tanh) }
    /// The logistic sigmoid `1 / (1 + e^{−x})`, element-wise.
    public func sigmoid() -> Tensor { map(.sigmoid) }
    /// `max(x, 0)`, element-wise.
    public func relu() -> Tensor { map(.relu) }
    /// The exact Gaussian error linear unit `x·Φ(x)` (Hendrycks & Gimpel 2016), element-wise.
    public func gelu() -> Tensor { map(.gelu) }
    /// `e^x`, element-wise.
    public func exp() -> Tensor { map(.exp) }
    /// The natural logarithm, element-wise.
    public func log() -> Tensor { map(.log) }
    /// The square root, element-wise.
    public func sqrt() -> Tensor { map(.sqrt) }
}
