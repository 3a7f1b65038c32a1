/// The position-wise feed-forward block of a Transformer layer (Vaswani et al. 2017, §3.3):
///
///     FFN(x) = act(x·W₁ᵀ + b₁)·W₂ᵀ + b₂
///
/// with `act` ReLU (the paper) or GELU (Hendrycks & Gimpel 2016), applied to every position alike.
public final class PositionWiseFeedForward: Layer {
    /// `W₁`, `[innerSize, modelSize]`, with bias.
    public let hidden: Linear
    /// `W₂`, `[modelSize, innerSize]`, with bias.
    public let output: Linear
    public let activation: Activation

    public init(modelSize: Int, innerSize: Int, activation: Activation = .relu, generator: RandomGenerator) {
        precondition(modelSize > 0 && innerSize > 0, "feed-forward needs positive sizes")
        hidden = Linear(inputSize: modelSize, outputSize: innerSize, generator: generator)
        output = Linear(inputSize: innerSize, outputSize: modelSize, generator: generator)
        self.activation = activation
    }

    /// `[…, modelSize]` → `[…, modelSize]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let h = hidden(x)  // [..., inner]
        switch activation {
        case .relu: return output(h.relu())
        case .gelu: return output(h.gelu())
        }
    }

    public func visit(_ visitor: inout LayerVisitor) {
        visitor("hidden", hidden)
        visitor("output", output)
    }
}
