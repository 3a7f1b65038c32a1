/// A learned map from a bidirectional encoder's final states to a decoder's initial state.
///
/// `hidden = tanh(W_h·[h→_last; h←_first] + b_h)` (Bahdanau et al. 2015, appendix A.2.2, where
/// only the backward state is used; we read both directions). When the decoder has a memory cell
/// and `mapsMemoryCell` is set, `cell = W_c·[c→_last; c←_first] + b_c` (no squashing: memory
/// cells are unbounded); otherwise the memory cell starts at zero.
///
/// Parameter names: `hidden.weight` `[outputSize, inputSize]`, `hidden.bias`, and when mapped,
/// `cell.weight`, `cell.bias`.
public final class StateBridge: Layer {
    /// W_h, b_h.
    public let hidden: Linear
    /// W_c, b_c; `nil` when the decoder's memory cell starts at zero (or it has none).
    public let cell: Linear?
    /// Whether the decoder cell has a memory cell (an LSTM): it then gets one, mapped or zero.
    public let decoderHasMemoryCell: Bool

    /// - Parameters:
    ///   - inputSize: the width of `[forward; backward]` encoder state (twice its hidden size).
    ///   - outputSize: the decoder's hidden size.
    public init(inputSize: Int, outputSize: Int, decoderHasMemoryCell: Bool, mapsMemoryCell: Bool, generator: RandomGenerator) {
        hidden = Linear(inputSize: inputSize, outputSize: outputSize, generator: generator)
        cell = decoderHasMemoryCell && mapsMemoryCell ? Linear(inputSize: inputSize, outputSize: outputSize, generator: generator) : nil
        self.decoderHasMemoryCell = decoderHasMemoryCell
    }

    /// The decoder's initial state from the encoder's final forward and backward states `[batch, hidden]`.
    public func callAsFunction(forward: RecurrentState, backward: RecurrentState) -> RecurrentState {
        let h = hidden(Tensor.concatenate([forward.hidden, backward.hidden], axis: 1)).tanh()
        guard decoderHasMemoryCell else { return RecurrentState(hidden: h) }
        if let cell, let forwardCell = forward.cell, let backwardCell = backward.cell {
            return RecurrentState(hidden: h, cell: cell(Tensor.concatenate([forwardCell, backwardCell], axis: 1)))
        }
        return RecurrentState(hidden: h, cell: Tensor(zeros: h.shape))
    }

    public func visit(_ visitor: inout LayerVisitor) {
        visitor("hidden", hidden)
        visitor("cell", cell)
    }
}
