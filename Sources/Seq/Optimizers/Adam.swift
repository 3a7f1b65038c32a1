import CKernels
import Foundation

/// Adam: adaptive moment estimation with bias correction (Kingma & Ba 2015, "Adam: A Method for
/// Stochastic Optimization", Algorithm 1).
///
/// With gradient `g`, step `t` (1 for the first update) and learning rate `η`:
///
///     m ← β₁·m + (1 − β₁)·g          v ← β₂·v + (1 − β₂)·g²
///     θ ← θ − η · m̂ / (√v̂ + ε)       where m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ)
///
/// Weight decay is `.l2` (added to `g`, so the moments rescale it) or `.decoupled` (AdamW, see
/// `AdamW`), for the parameters `decays` selects. State in a checkpoint: `<parameter>.adam.m`,
/// `<parameter>.adam.v`, and `stepCount`.
public class Adam: Optimizer {
    public let parameters: ParameterList
    public var learningRate: Float
    public var stepCount = 0
    /// The decay rate of the first-moment estimate.
    public let beta1: Float
    /// The decay rate of the second-moment estimate.
    public let beta2: Float
    /// Added to `√v̂` so that the step stays finite.
    public let epsilon: Float
    /// The weight decay applied to the selected parameters.
    public let weightDecay: WeightDecay
    private let segments: DecaySegments
    private let m: TensorStorage
    private let v: TensorStorage

    /// An optimiser over `parameters`; `decays` picks by dotted name which parameters get weight
    /// decay (default: all; e.g. `{ !$0.hasSuffix(".bias") }` spares biases).
    public init(
        parameters: ParameterList, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
        epsilon: Float = 1e-8, weightDecay: WeightDecay = .none, decays: (String) -> Bool = { _ in true }
    ) {
        precondition(learningRate >= 0, "negative learning rate \(learningRate)")
        precondition(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "betas (\(beta1), \(beta2)) outside [0, 1)")
        precondition(epsilon >= 0, "negative epsilon")
        precondition(weightDecay.rate >= 0, "negative weight decay")
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.segments = DecaySegments(parameters, decays: decays)
        self.m = TensorStorage(count: parameters.count)
        self.v = TensorStorage(count: parameters.count)
    }

    public var stateBuffers: [(suffix: String, storage: TensorStorage)] {
        [("adam.m", m), ("adam.v", v)]
    }

    public func step() {
        stepCount += 1
        // Bias corrections in Double: 1 − β₂ᵗ is tiny for small t and loses digits in Float.
        let t = Double(stepCount)
        let correction1 = Float(1 - pow(Double(beta1), t))
        let correction2 = Float(1 - pow(Double(beta2), t))
        for (range, decays) in segments.segments {
            update(range, weightDecay: decays ? weightDecay : .none, correction1: correction1, correction2: correction2)
        }
    }

    /// The update rule over one contiguous range of the flat vector.
    private func update(_ range: Range<Int>, weightDecay: WeightDecay, correction1: Float, correction2: Float) {
        let theta = parameters.values.pointer, g = parameters.gradients.pointer
        let m = m.pointer, v = v.pointer
        let (b1, b2, eps, eta) = (beta1, beta2, epsilon, learningRate)
        let l2: Float = if case .l2(let rate) = weightDecay { rate } else { 0 }
        let shrink: Float = if case .decoupled(let rate) = weightDecay { 1 - eta * rate } else { 1 }
        let stepSize = eta / correction1
        let inverseRootCorrection2 = 1 / correction2.squareRoot()
        let first = range.lowerBound
        let usesAVX512 = GEMM.usesAVX512Kernels
        Parallel.forEachPart(units: range.count, costPerUnit: 4) { part in
            let start = first + part.lowerBound
            // With AVX-512, the C kernel: the square roots below compile to one scalar
            // instruction per lane. Same operations, same order, same bits.
            if usesAVX512 && parley_adam_update(theta + start, g + start, m + start, v + start, part.count, b1, b2, eps, l2,
                                                shrink, stepSize, inverseRootCorrection2) == 0 { return }
            // Sixteen lanes at a time: the four pointers may alias as far as the compiler knows,
            // so it leaves the scalar loop scalar, and a square root and a division per element
            // took longer than reading the four vectors (35 ms of a 500 ms Transformer step on
            // two Zen 4 cores). The same operations in the same order: the same bits.
            typealias Lanes = SIMD16<Float>
            @inline(__always) func load(_ p: UnsafeMutablePointer<Float>, _ i: Int) -> Lanes {
                UnsafeRawPointer(p + i).loadUnaligned(as: Lanes.self)
            }
            @inline(__always) func store(_ x: Lanes, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
                UnsafeMutableRawPointer(p + i).storeBytes(of: x, as: Lanes.self)
            }
            var i = first + part.lowerBound
            let end = first + part.upperBound
            while i + Lanes.scalarCount <= end {
                let weights = load(theta, i)
                let gradient = load(g, i) + l2 * weights
                let mean = b1 * load(m, i) + (1 - b1) * gradient
                let variance = b2 * load(v, i) + (1 - b2) * gradient * gradient
                let denominator = variance.squareRoot() * inverseRootCorrection2 + eps
                store(mean, m, i)
                store(variance, v, i)
                store(shrink * weights - stepSize * mean / denominator, theta, i)
                i += Lanes.scalarCount
            }
            while i < end {
                let gradient = g[i] + l2 * theta[i]
                m[i] = b1 * m[i] + (1 - b1) * gradient
                v[i] = b2 * v[i] + (1 - b2) * gradient * gradient
                let denominator = v[i].squareRoot() * inverseRootCorrection2 + eps
                theta[i] = shrink * theta[i] - stepSize * m[i] / denominator
                i += 1
            }
        }
    }
}

/// AdamW: Adam with decoupled weight decay (Loshchilov & Hutter 2019, "Decoupled Weight Decay
/// Regularization", Algorithm 2, with the decay scaled by the learning rate as in PyTorch).
///
/// Each step first shrinks the selected weights, `θ ← θ − η·λ·θ`, then takes the plain Adam step,
/// so the decay is not rescaled by the moment estimates as L2 regularisation would be. Its state
/// has the same names as `Adam`'s.
public final class AdamW: Adam {
    /// An optimiser over `parameters` with decoupled decay `weightDecay` for the parameters
    /// `decays` selects by dotted name (default: all).
    public init(
        parameters: ParameterList, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
        epsilon: Float = 1e-8, weightDecay: Float = 0.01, decays: (String) -> Bool = { _ in true }
    ) {
        super.init(
            parameters: parameters, learningRate: learningRate, beta1: beta1, beta2: beta2,
            epsilon: epsilon, weightDecay: .decoupled(weightDecay), decays: decays)
    }
}
