/// An affine map `y = x·Wᵀ + b` over the last axis.
///
/// The weight is stored `[outputSize, inputSize]` (PyTorch's layout), so checkpoints exchange
/// with PyTorch without transposes.
public final class Linear: Layer {
    /// `[outputSize, inputSize]`.
    public let weight: Parameter
    /// `[outputSize]`, or `nil` for a map without bias.
    public let bias: Parameter?

    /// A layer with Xavier-uniform weights and zero bias unless told otherwise.
    public init(
        inputSize: Int, outputSize: Int, bias: Bool = true,
        weightInitializer: Initializer = .xavierUniform, generator: RandomGenerator
    ) {
        weight = Parameter(weightInitializer.make([outputSize, inputSize], generator: generator))
        self.bias = bias ? Parameter(Tensor(zeros: [outputSize])) : nil
    }

    public var inputSize: Int { weight.shape[1] }
    public var outputSize: Int { weight.shape[0] }

    /// `[…, inputSize]` → `[…, outputSize]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        guard let bias else { return Tensor.matmul(x, weight.value, transposeB: true) }
        return Tensor.affine(x, weight: weight.value, bias: bias.value)
    }

    public func visit(_ visitor: inout LayerVisitor) {
        visitor("weight", weight)
        visitor("bias", bias)
    }
}
