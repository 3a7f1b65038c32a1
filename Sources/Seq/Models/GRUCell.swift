/// The gated recurrent unit (Cho et al. 2014, §2.3), in the variant of PyTorch's `nn.GRU` and
/// cuDNN, where the reset gate multiplies the recurrent product after the matrix product:
///
/// ```
/// r  = σ(W_r·x + b_r + U_r·h + c_r)
/// z  = σ(W_z·x + b_z + U_z·h + c_z)
/// n  = tanh(W_n·x + b_n + r ⊙ (U_n·h + c_n))
/// h′ = (1 − z) ⊙ n + z ⊙ h
/// ```
/// Parameters: `inputWeight` `[3·hiddenSize, inputSize]` (W), `hiddenWeight`
/// `[3·hiddenSize, hiddenSize]` (U), `bias` `[3·hiddenSize]` (b), `hiddenBias`
/// `[3·hiddenSize]` (c); blocks in the order r, z, n (PyTorch's `weight_ih`, `weight_hh`,
/// `bias_ih`, `bias_hh`). The separate `c_n` is what makes the reset gate act on a bias too.
public final class GRUCell: RecurrentCell {
    /// W, `[3·hiddenSize, inputSize]`, blocks r, z, n.
    public let inputWeight: Parameter
    /// U, `[3·hiddenSize, hiddenSize]`, blocks r, z, n.
    public let hiddenWeight: Parameter
    /// b, `[3·hiddenSize]`, added to the input product.
    public let bias: Parameter
    /// c, `[3·hiddenSize]`, added to the recurrent product (inside the reset gate for n).
    public let hiddenBias: Parameter

    /// A cell with weights uniform in `±1/√hiddenSize` and zero biases.
    public init(inputSize: Int, hiddenSize: Int, generator: RandomGenerator) {
        precondition(inputSize > 0 && hiddenSize > 0, "cell sizes must be positive, got \(inputSize) → \(hiddenSize)")
        let initializer = recurrentWeightInitializer(hiddenSize: hiddenSize)
        inputWeight = Parameter(initializer.make([3 * hiddenSize, inputSize], generator: generator))
        hiddenWeight = Parameter(initializer.make([3 * hiddenSize, hiddenSize], generator: generator))
        bias = Parameter(Tensor(zeros: [3 * hiddenSize]))
        hiddenBias = Parameter(Tensor(zeros: [3 * hiddenSize]))
    }

    public var inputSize: Int { inputWeight.shape[1] }
    public var hiddenSize: Int { hiddenWeight.shape[1] }
    public var hasMemoryCell: Bool { false }

    public func projectInput(_ input: Tensor) -> Tensor {
        Tensor.affine(input, weight: inputWeight.value, bias: bias.value)
    }

    public func step(projectedInput: Tensor, state: RecurrentState) -> RecurrentState {
        let h = state.hidden  // [batch, hidden]
        let x = projectedInput.chunked(3, axis: 1)  // W·x + b, blocks r, z, n
        let recurrent = Tensor.affine(h, weight: hiddenWeight.value, bias: hiddenBias.value).chunked(3, axis: 1)
        let reset = (x[0] + recurrent[0]).sigmoid()
        let update = (x[1] + recurrent[1]).sigmoid()
        let candidate = (x[2] + reset * recurrent[2]).tanh()
        // (1 − z)·n + z·h, written as n + z·(h − n): one multiplication fewer.
        return RecurrentState(hidden: candidate + update * (h - candidate))
    }

    public func visit(_ visitor: inout LayerVisitor) {
        visitor("inputWeight", inputWeight)
        visitor("hiddenWeight", hiddenWeight)
        visitor("bias", bias)
        visitor("hiddenBias", hiddenBias)
    }
}
