/// Layer normalisation over the last axis with a learned gain and bias (Ba et al. 2016).
public final class LayerNorm: Layer {
    /// `[size]`, initially ones.
    public let weight: Parameter
    /// `[size]`, initially zeros.
    public let bias: Parameter
    public let epsilon: Float

    public init(size: Int, epsilon: Float = 1e-5) {
        weight = Parameter(Tensor(repeating: 1, shape: [size]))
        bias = Parameter(Tensor(zeros: [size]))
        self.epsilon = epsilon
    }

    /// `[…, size]` → `[…, size]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.layerNormalized(gain: weight.value, bias: bias.value, epsilon: epsilon)
    }

    public func visit(_ visitor: inout LayerVisitor) {
        visitor("weight", weight)
        visitor("bias", bias)
    }
}
