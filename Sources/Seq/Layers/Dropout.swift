/// Inverted dropout (Srivastava et al. 2014), active only in training.
///
/// `Layer.setTraining(_:)` switches every dropout of a model on or off; the generator is shared
/// with the rest of the model so that a seed reproduces a whole run.
public final class Dropout: Layer {
    public let probability: Float
    /// Whether elements are dropped (training) or passed through (evaluation).
    public var isActive = false
    /// Whether a call drops anything: active, with a probability above zero.
    public var dropsOut: Bool { isActive && probability > 0 }
    private let generator: RandomGenerator

    public init(probability: Float, generator: RandomGenerator) {
        precondition(probability >= 0 && probability < 1, "dropout probability \(probability) outside [0, 1)")
        self.probability = probability
        self.generator = generator
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        guard dropsOut else { return x }
        return x.dropout(probability: probability, generator: generator)
    }

    public func visit(_ visitor: inout LayerVisitor) {}
}
