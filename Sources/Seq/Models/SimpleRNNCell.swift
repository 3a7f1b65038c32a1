/// The Elman recurrent cell: `h′ = tanh(W·x + b + U·h)` (Elman 1990).
///
/// Parameters: `inputWeight` `[hiddenSize, inputSize]` (W), `hiddenWeight`
/// `[hiddenSize, hiddenSize]` (U), `bias` `[hiddenSize]` (b).
public final class SimpleRNNCell: RecurrentCell {
    /// W, `[hiddenSize, inputSize]`.
    public let inputWeight: Parameter
    /// U, `[hiddenSize, hiddenSize]`.
    public let hiddenWeight: Parameter
    /// b, `[hiddenSize]`.
    public let bias: Parameter

    /// A cell with weights uniform in `±1/√hiddenSize` and zero bias.
    public init(inputSize: Int, hiddenSize: Int, generator: RandomGenerator) {
        precondition(inputSize > 0 && hiddenSize > 0, "cell sizes must be positive, got \(inputSize) → \(hiddenSize)")
        let initializer = recurrentWeightInitializer(hiddenSize: hiddenSize)
        inputWeight = Parameter(initializer.make([hiddenSize, inputSize], generator: generator))
        hiddenWeight = Parameter(initializer.make([hiddenSize, hiddenSize], generator: generator))
        bias = Parameter(Tensor(zeros: [hiddenSize]))
    }

    public var inputSize: Int { inputWeight.shape[1] }
    public var hiddenSize: Int { hiddenWeight.shape[1] }
    public var hasMemoryCell: Bool { false }

    public func projectInput(_ input: Tensor) -> Tensor {
        Tensor.affine(input, weight: inputWeight.value, bias: bias.value)
    }

    public func step(projectedInput: Tensor, state: RecurrentState) -> RecurrentState {
        // [batch, hidden]
        let preactivation = Tensor.affine(state.hidden, weight: hiddenWeight.value, bias: projectedInput)
        return RecurrentState(hidden: preactivation.tanh())
    }

    public func visit(_ visitor: inout LayerVisitor) {
        visitor("inputWeight", inputWeight)
        visitor("hiddenWeight", hiddenWeight)
        visitor("bias", bias)
    }
}
