/// Stacked recurrent cells advanced one time step at a time: the decoder of the recurrent families.
///
/// Layer 0 reads the decoder input; layer `l > 0` reads the hidden state layer `l − 1` has just
/// produced, after dropout. Because decoding feeds back its own predictions, a decoder cannot be
/// unrolled over a whole sequence like the encoder: teacher-forced training and step-by-step
/// decoding both call `step`, so they compute the same thing by construction.
///
/// Parameter names: `layers.<l>.<cell parameter>`.
public final class RecurrentStack: Layer {
    /// The cells, bottom first.
    public let layers: [any RecurrentCell]
    private let dropout: Dropout

    /// - Parameters:
    ///   - cell: the cell type of every layer.
    ///   - inputSize: the width of the input to layer 0.
    ///   - hiddenSize: the state width of every layer.
    ///   - layers: how many cells are stacked.
    ///   - dropout: applied between layers.
    public init(cell: RecurrentCellKind, inputSize: Int, hiddenSize: Int, layers: Int, dropout: Float, generator: RandomGenerator) {
        precondition(layers >= 1, "a recurrent stack needs at least one layer, got \(layers)")
        self.layers = (0..<layers).map { l in
            makeCell(cell, inputSize: l == 0 ? inputSize : hiddenSize, hiddenSize: hiddenSize, generator: generator)
        }
        self.dropout = Dropout(probability: dropout, generator: generator)
    }

    public var hiddenSize: Int { layers[0].hiddenSize }
    public var inputSize: Int { layers[0].inputSize }

    /// The all-zero state of every layer for `batchSize` sequences.
    public func zeroStates(batchSize: Int) -> [RecurrentState] {
        layers.map { $0.zeroState(batchSize: batchSize) }
    }

    /// Layer 0's input product `[…, inputSize]` → `[…, gates·hiddenSize]`; a whole teacher-forced
    /// sequence can go through it at once.
    public func projectInput(_ input: Tensor) -> Tensor {
        layers[0].projectInput(input)
    }

    /// Advances every layer by one step.
    ///
    /// - Parameters:
    ///   - projectedInput: layer 0's input after `projectInput`, `[batch, gates·hiddenSize]`.
    ///   - states: one state per layer, `[batch, hiddenSize]` tensors.
    /// - Returns: the new state of every layer; the last one's `hidden` is the stack's output.
    public func step(projectedInput: Tensor, states: [RecurrentState]) -> [RecurrentState] {
        precondition(states.count == layers.count, "\(states.count) states for \(layers.count) layers")
        var next: [RecurrentState] = []
        next.reserveCapacity(layers.count)
        var input = projectedInput
        for (l, layer) in layers.enumerated() {
            let state = layer.step(projectedInput: input, state: states[l])
            next.append(state)
            if l + 1 < layers.count { input = layers[l + 1].projectInput(dropout(state.hidden)) }
        }
        return next
    }

    /// The states stored in a decoder state under `hidden.<l>` and `cell.<l>`.
    func states(in state: DecoderState) -> [RecurrentState] {
        layers.indices.map { l in
            RecurrentState(hidden: state["hidden.\(l)"], cell: layers[l].hasMemoryCell ? state["cell.\(l)"] : nil)
        }
    }

    /// Stores `states` in a decoder state under `hidden.<l>` and `cell.<l>`.
    func store(_ states: [RecurrentState], in state: inout DecoderState) {
        for (l, layerState) in states.enumerated() {
            state["hidden.\(l)"] = layerState.hidden
            if let cell = layerState.cell { state["cell.\(l)"] = cell }
        }
    }

    public func visit(_ visitor: inout LayerVisitor) {
        visitor("layers", layers.map { $0 as Layer })
        visitor("dropout", dropout)
    }
}
