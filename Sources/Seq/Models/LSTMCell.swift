/// The long short-term memory cell (Hochreiter & Schmidhuber 1997, with the forget gate of
/// Gers et al. 2000), all four gates from one fused product.
///
/// ```
/// [i; f; g; o] = W·x + b + U·h          (one [4H]-wide product each for x and h)
/// c′ = σ(f) ⊙ c + σ(i) ⊙ tanh(g)
/// h′ = σ(o) ⊙ tanh(c′)
/// ```
/// Parameters: `inputWeight` `[4·hiddenSize, inputSize]` (W), `hiddenWeight`
/// `[4·hiddenSize, hiddenSize]` (U), `bias` `[4·hiddenSize]` (b); the gate blocks are stacked in
/// the order input, forget, cell candidate, output — PyTorch's `nn.LSTM` order, with its two
/// biases `bias_ih + bias_hh` folded into one. The forget-gate block of the bias starts at 1
/// (Jozefowicz et al. 2015) so that early in training the cell remembers by default.
public final class LSTMCell: RecurrentCell {
    /// W, `[4·hiddenSize, inputSize]`, blocks i, f, g, o.
    public let inputWeight: Parameter
    /// U, `[4·hiddenSize, hiddenSize]`, blocks i, f, g, o.
    public let hiddenWeight: Parameter
    /// b, `[4·hiddenSize]`, blocks i, f, g, o; the f block starts at 1.
    public let bias: Parameter

    /// A cell with weights uniform in `±1/√hiddenSize`, zero bias except 1 on the forget gate.
    public init(inputSize: Int, hiddenSize: Int, generator: RandomGenerator) {
        precondition(inputSize > 0 && hiddenSize > 0, "cell sizes must be positive, got \(inputSize) → \(hiddenSize)")
        let initializer = recurrentWeightInitializer(hiddenSize: hiddenSize)
        inputWeight = Parameter(initializer.make([4 * hiddenSize, inputSize], generator: generator))
        hiddenWeight = Parameter(initializer.make([4 * hiddenSize, hiddenSize], generator: generator))
        var initialBias = [Float](repeating: 0, count: 4 * hiddenSize)
        for j in hiddenSize..<(2 * hiddenSize) { initialBias[j] = 1 }
        bias = Parameter(Tensor(shape: [4 * hiddenSize], scalars: initialBias))
    }

    public var inputSize: Int { inputWeight.shape[1] }
    public var hiddenSize: Int { hiddenWeight.shape[1] }
    public var hasMemoryCell: Bool { true }

    public func projectInput(_ input: Tensor) -> Tensor {
        Tensor.affine(input, weight: inputWeight.value, bias: bias.value)
    }

    public func step(projectedInput: Tensor, state: RecurrentState) -> RecurrentState {
        guard let cell = state.cell else { preconditionFailure("an LSTM state needs a memory cell") }
        // [batch, 4·hidden]
        let gates = Tensor.affine(state.hidden, weight: hiddenWeight.value, bias: projectedInput)
        let blocks = gates.chunked(4, axis: 1)  // each [batch, hidden]
        let input = blocks[0].sigmoid(), forget = blocks[1].sigmoid()
        let candidate = blocks[2].tanh(), output = blocks[3].sigmoid()
        let newCell = forget * cell + input * candidate
        return RecurrentState(hidden: output * newCell.tanh(), cell: newCell)
    }

    public func visit(_ visitor: inout LayerVisitor) {
        visitor("inputWeight", inputWeight)
        visitor("hiddenWeight", hiddenWeight)
        visitor("bias", bias)
    }
}
