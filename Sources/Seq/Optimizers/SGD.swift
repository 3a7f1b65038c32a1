/// Stochastic gradient descent with optional (heavy-ball or Nesterov) momentum.
///
/// With gradient `g`, momentum `μ` and learning rate `η` (PyTorch's formulation, Sutskever et al.
/// 2013, "On the importance of initialization and momentum in deep learning", §2):
///
///     v ← μ·v + g          θ ← θ − η·v              (heavy ball)
///     v ← μ·v + g          θ ← θ − η·(g + μ·v)      (Nesterov)
///
/// With `μ = 0` this is plain gradient descent and keeps no state. Weight decay is `.l2`
/// (added to `g`) or `.decoupled` (`θ ← θ − η·rate·θ`), for the parameters `decays` selects.
/// State in a checkpoint: `<parameter>.sgd.momentum`.
public final class SGD: Optimizer {
    public let parameters: ParameterList
    public var learningRate: Float
    public var stepCount = 0
    /// The momentum coefficient `μ`, in `[0, 1)`.
    public let momentum: Float
    /// Whether the update looks ahead along the momentum (Nesterov).
    public let nesterov: Bool
    /// The weight decay applied to the selected parameters.
    public let weightDecay: WeightDecay
    private let segments: DecaySegments
    private let velocity: TensorStorage?

    /// An optimiser over `parameters`; `decays` picks by dotted name which parameters get weight
    /// decay (default: all; e.g. `{ !$0.hasSuffix(".bias") }` spares biases).
    public init(
        parameters: ParameterList, learningRate: Float, momentum: Float = 0, nesterov: Bool = false,
        weightDecay: WeightDecay = .none, decays: (String) -> Bool = { _ in true }
    ) {
        precondition(learningRate >= 0, "negative learning rate \(learningRate)")
        precondition(momentum >= 0 && momentum < 1, "momentum \(momentum) outside [0, 1)")
        precondition(!nesterov || momentum > 0, "Nesterov momentum needs momentum > 0")
        precondition(weightDecay.rate >= 0, "negative weight decay")
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.segments = DecaySegments(parameters, decays: decays)
        self.velocity = momentum > 0 ? TensorStorage(count: parameters.count) : nil
    }

    public var stateBuffers: [(suffix: String, storage: TensorStorage)] {
        velocity.map { [("sgd.momentum", $0)] } ?? []
    }

    public func step() {
        for (range, decays) in segments.segments {
            update(range, weightDecay: decays ? weightDecay : .none)
        }
        stepCount += 1
    }

    /// The update rule over one contiguous range of the flat vector.
    private func update(_ range: Range<Int>, weightDecay: WeightDecay) {
        let theta = parameters.values.pointer, g = parameters.gradients.pointer
        let eta = learningRate, mu = momentum
        let l2: Float = if case .l2(let rate) = weightDecay { rate } else { 0 }
        let shrink: Float = if case .decoupled(let rate) = weightDecay { 1 - eta * rate } else { 1 }
        guard let v = velocity?.pointer else {
            for i in range { theta[i] = shrink * theta[i] - eta * (g[i] + l2 * theta[i]) }
            return
        }
        if nesterov {
            for i in range {
                let gradient = g[i] + l2 * theta[i]
                v[i] = mu * v[i] + gradient
                theta[i] = shrink * theta[i] - eta * (gradient + mu * v[i])
            }
        } else {
            for i in range {
                v[i] = mu * v[i] + g[i] + l2 * theta[i]
                theta[i] = shrink * theta[i] - eta * v[i]
            }
        }
    }
}
