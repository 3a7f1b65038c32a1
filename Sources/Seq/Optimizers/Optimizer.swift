/// A rule that updates a model's parameters from their gradients, one step at a time.
///
/// An optimiser works on a `ParameterList`: every parameter value and gradient lives in one
/// flat buffer, and the optimiser keeps its own state (momentum, moment estimates) in flat
/// buffers of the same length and layout. A concrete optimiser writes only its update rule
/// for a contiguous range of that vector (`step()`); naming, saving and restoring its state by
/// parameter name come from this protocol.
///
/// A training step is: `backward()`, optionally `parameters.clipGradientNorm(_:)`, set
/// `learningRate` (see `LearningRateScheduler`), `step()`, then `parameters.zeroGradients()`.
public protocol Optimizer: AnyObject {
    /// The parameters this optimiser updates.
    var parameters: ParameterList { get }
    /// The learning rate used by the next `step()`.
    var learningRate: Float { get set }
    /// The number of steps taken so far (Adam's bias correction depends on it).
    var stepCount: Int { get set }
    /// The flat state buffers, each as long as `parameters.values`, with the suffix naming
    /// their per-parameter slices in a checkpoint (`"adam.m"` gives `<parameter>.adam.m`).
    var stateBuffers: [(suffix: String, storage: TensorStorage)] { get }
    /// Updates every parameter from its gradient and increments `stepCount`.
    func step()
}

extension Optimizer {
    /// The optimiser's state as named tensors: for every parameter `p` and buffer suffix `s`, a
    /// copy of `p`'s slice named `p.s`, with `p`'s shape. The step count is `stepCount`.
    public func state() -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for (suffix, storage) in stateBuffers {
            for (name, parameter, offset) in parameters.entries {
                let copy = TensorStorage(count: parameter.count)
                copy.pointer.update(from: storage.pointer + offset, count: parameter.count)
                result["\(name).\(suffix)"] = Tensor(shape: parameter.shape, storage: copy)
            }
        }
        return result
    }

    /// Restores the state saved by `state()`.
    ///
    /// Every expected tensor must be present with its parameter's shape; nothing is changed
    /// unless all are. Tensors with other names are ignored (they belong to the model or to
    /// another optimiser). Throws `CheckpointError` naming the first missing or misshapen tensor.
    public func load(state: [String: Tensor]) throws {
        var updates: [(destination: UnsafeMutablePointer<Float>, source: Tensor)] = []
        for (suffix, storage) in stateBuffers {
            for (name, parameter, offset) in parameters.entries {
                let key = "\(name).\(suffix)"
                guard let tensor = state[key] else { throw CheckpointError(.missingTensor(key)) }
                guard tensor.shape == parameter.shape else {
                    throw CheckpointError(.shapeMismatch(key, expected: parameter.shape, found: tensor.shape))
                }
                updates.append((storage.pointer + offset, tensor))
            }
        }
        for (destination, source) in updates {
            source.withUnsafeBufferPointer { destination.update(from: $0.baseAddress!, count: $0.count) }
        }
    }

    /// Sets every state buffer to zero and the step count to 0, as after construction.
    public func resetState() {
        for (_, storage) in stateBuffers { storage.pointer.update(repeating: 0, count: storage.count) }
        stepCount = 0
    }
}

/// How an optimiser shrinks weights towards zero.
public enum WeightDecay: Equatable, Sendable {
    /// No decay.
    case none
    /// L2 regularisation: `rate · θ` is added to the gradient before the update rule sees it
    /// (with Adam, the decay is then rescaled by the moment estimates).
    case l2(Float)
    /// Decoupled decay (Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization",
    /// Algorithm 2): `θ ← θ − learningRate · rate · θ`, applied beside the update rule.
    case decoupled(Float)

    /// The rate, 0 for `.none`.
    public var rate: Float {
        switch self {
        case .none: 0
        case .l2(let rate), .decoupled(let rate): rate
        }
    }
}

/// Contiguous ranges of the flat parameter vector that are decayed or not.
///
/// Parameters are adjacent in the flat buffer, so neighbouring parameters with the same choice
/// merge into one range and the update rule runs over long runs of memory.
struct DecaySegments {
    /// `(range, decays)` covering `0..<parameters.count` in order.
    let segments: [(range: Range<Int>, decays: Bool)]

    init(_ parameters: ParameterList, decays: (String) -> Bool) {
        var segments: [(range: Range<Int>, decays: Bool)] = []
        for (name, parameter, offset) in parameters.entries where parameter.count > 0 {
            let decayed = decays(name)
            let range = offset..<(offset + parameter.count)
            if let last = segments.last, last.decays == decayed, last.range.upperBound == offset {
                segments[segments.count - 1].range = last.range.lowerBound..<range.upperBound
            } else {
                segments.append((range, decayed))
            }
        }
        self.segments = segments
    }
}
