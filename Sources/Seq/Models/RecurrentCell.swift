/// The state a recurrent cell carries from one time step to the next.
///
/// Every cell has a hidden vector (its output); an LSTM also has a memory cell.
public struct RecurrentState {
    /// `[batch, hiddenSize]`: the cell's output at this step.
    public var hidden: Tensor
    /// `[batch, hiddenSize]`: the LSTM memory cell; `nil` for cells without one.
    public var cell: Tensor?

    public init(hidden: Tensor, cell: Tensor? = nil) {
        self.hidden = hidden
        self.cell = cell
    }

    /// The batch size.
    public var batchSize: Int { hidden.shape[0] }

    /// Each entry where `keep[b]` is 1 from `self`, and where it is 0 from `other`, exactly.
    ///
    /// `keep` is `[batch, 1]` of zeros and ones. Written `keep·a + (1−keep)·b` so that a kept value
    /// is reproduced bit for bit (1·a + 0·b = a), which `b + keep·(a − b)` would not guarantee.
    func blended(with other: RecurrentState, keep: Tensor) -> RecurrentState {
        let drop = 1 - keep
        let hidden = keep * self.hidden + drop * other.hidden
        var cell: Tensor? = nil
        if let mine = self.cell, let theirs = other.cell { cell = keep * mine + drop * theirs }
        return RecurrentState(hidden: hidden, cell: cell)
    }
}

/// One step of a recurrence: `state′ = cell(x, state)`, for interchangeable cell types
/// (`SimpleRNNCell`, `LSTMCell`, `GRUCell`) driven by one unroller, `Recurrent`.
///
/// A step is split in two so that the unroller can multiply the inputs of all time steps by the
/// input weights in one product (`projectInput`) and only the recurrent product stays inside the
/// time loop (`step`).
///
/// Weight layout, shared by every cell (PyTorch's `nn.RNN`/`nn.LSTM`/`nn.GRU` layout, so weights
/// exchange without transposes): `inputWeight` is `[gates·hiddenSize, inputSize]`, `hiddenWeight`
/// is `[gates·hiddenSize, hiddenSize]`, and the gate blocks are stacked along the first axis.
public protocol RecurrentCell: Layer {
    /// The width of each input vector.
    var inputSize: Int { get }
    /// The width of the hidden state (and of the output).
    var hiddenSize: Int { get }
    /// Whether the state carries an LSTM memory cell.
    var hasMemoryCell: Bool { get }

    /// `x·Wᵀ + b`: `[…, inputSize]` → `[…, gates·hiddenSize]`, for any leading axes.
    func projectInput(_ input: Tensor) -> Tensor

    /// One step from an input already passed through `projectInput`.
    ///
    /// - Parameters:
    ///   - projectedInput: `[batch, gates·hiddenSize]`.
    ///   - state: the state after the previous step, `[batch, hiddenSize]` tensors.
    /// - Returns: the new state.
    func step(projectedInput: Tensor, state: RecurrentState) -> RecurrentState
}

extension RecurrentCell {
    /// The all-zero state for `batchSize` sequences.
    public func zeroState(batchSize: Int) -> RecurrentState {
        RecurrentState(
            hidden: Tensor(zeros: [batchSize, hiddenSize]),
            cell: hasMemoryCell ? Tensor(zeros: [batchSize, hiddenSize]) : nil)
    }

    /// One step from a raw input `[batch, inputSize]`.
    public func callAsFunction(_ input: Tensor, state: RecurrentState) -> RecurrentState {
        step(projectedInput: projectInput(input), state: state)
    }
}

/// The default initialiser of recurrent weights: uniform in `±1/√hiddenSize` (as PyTorch does).
func recurrentWeightInitializer(hiddenSize: Int) -> Initializer {
    .uniform(bound: 1 / Float(hiddenSize).squareRoot())
}

/// Builds a cell of the given kind.
func makeCell(_ kind: RecurrentCellKind, inputSize: Int, hiddenSize: Int, generator: RandomGenerator) -> any RecurrentCell {
    switch kind {
    case .rnn: SimpleRNNCell(inputSize: inputSize, hiddenSize: hiddenSize, generator: generator)
    case .lstm: LSTMCell(inputSize: inputSize, hiddenSize: hiddenSize, generator: generator)
    case .gru: GRUCell(inputSize: inputSize, hiddenSize: hiddenSize, generator: generator)
    }
}
