/// The unroller: runs one `RecurrentCell` over a padded batch of sequences, left to right or
/// right to left (Swift for TensorFlow's `RecurrentLayer<Cell>`, with the cell chosen at run time).
///
/// Padding is handled so that a sequence gives the same result alone and inside a padded batch:
/// past its true length a sequence's state is frozen (so its final state is its state at its true
/// length) and its outputs are zero; a reversed unroller reads each sequence from its own last
/// token, not from the end of the padding.
///
/// The parameters are the cell's, under the cell's own names (no extra path component).
public final class Recurrent: Layer {
    /// The cell applied at every step.
    public let cell: any RecurrentCell
    /// Whether the sequences are read right to left (the backward half of a bidirectional layer).
    public let isReversed: Bool

    public init(_ cell: any RecurrentCell, reversed: Bool = false) {
        self.cell = cell
        self.isReversed = reversed
    }

    public var inputSize: Int { cell.inputSize }
    public var hiddenSize: Int { cell.hiddenSize }

    /// Runs the cell over every time step.
    ///
    /// - Parameters:
    ///   - inputs: `[batch, length, inputSize]`, padded after each sequence's end.
    ///   - lengths: the true length of each sequence, each in `0...length`.
    ///   - initialState: `[batch, hiddenSize]` tensors; zeros when `nil`.
    /// - Returns: `outputs` `[batch, length, hiddenSize]` — the hidden state after reading each
    ///   position (for a reversed unroller, after reading that position and everything to its right
    ///   up to the sequence's end), zero at padding — and `finalState`, each sequence's state after
    ///   its last step (its first token, when reversed).
    public func callAsFunction(
        _ inputs: Tensor, lengths: [Int], initialState: RecurrentState? = nil
    ) -> (outputs: Tensor, finalState: RecurrentState) {
        precondition(inputs.rank == 3 && inputs.shape[2] == cell.inputSize,
                     "recurrent inputs must be [batch, length, \(cell.inputSize)], got \(inputs.shape)")
        let batch = inputs.shape[0], length = inputs.shape[1], hidden = cell.hiddenSize
        precondition(lengths.count == batch, "\(lengths.count) lengths for a batch of \(batch)")
        precondition(lengths.allSatisfy { (0...length).contains($0) }, "lengths \(lengths) outside 0...\(length)")
        var state = initialState ?? cell.zeroState(batchSize: batch)
        precondition(state.batchSize == batch, "initial state for \(state.batchSize) sequences, batch of \(batch)")
        guard length > 0 else { return (Tensor(zeros: [batch, 0, hidden]), state) }

        let ordered = isReversed ? inputs.reversedWithinLengths(lengths) : inputs
        // One product for the input side of every step; only U·h stays in the loop.
        let steps = cell.projectInput(ordered).unstackedAlongTime()  // length × [batch, gates·hidden]
        var outputs: [Tensor] = []
        outputs.reserveCapacity(length)
        for t in 0..<length {
            let next = cell.step(projectedInput: steps[t], state: state)
            let finishedCount = lengths.reduce(0) { $0 + ($1 <= t ? 1 : 0) }
            if finishedCount == 0 {
                state = next
                outputs.append(next.hidden)
            } else {
                // Sequences already past their end keep their state and output zeros.
                let keep = Tensor(shape: [batch, 1], scalars: lengths.map { t < $0 ? 1 : 0 })
                state = next.blended(with: state, keep: keep)
                outputs.append(next.hidden * keep)
            }
        }
        let stacked = Tensor.concatenate(outputs.map { $0.reshaped([batch, 1, hidden]) }, axis: 1)
        return (isReversed ? stacked.reversedWithinLengths(lengths) : stacked, state)
    }

    public func visit(_ visitor: inout LayerVisitor) {
        cell.visit(&visitor)
    }
}

extension Tensor {
    /// `[batch, length, width]` with each sequence's first `lengths[b]` positions in reverse order
    /// and the padding left where it is. Its own inverse.
    func reversedWithinLengths(_ lengths: [Int]) -> Tensor {
        let batch = shape[0], length = shape[1]
        var rows = [Int]()
        rows.reserveCapacity(batch * length)
        for (b, n) in lengths.enumerated() {
            for t in 0..<length { rows.append(b * length + (t < n ? n - 1 - t : t)) }
        }
        return reshaped([batch * length, shape[2]]).gatherRows(rows).reshaped(shape)
    }

    /// The time steps of `[batch, length, width]` as `length` tensors `[batch, width]`.
    ///
    /// Slicing each step with `sliced(axis:_:)` would give every step a backward pass that
    /// materialises a gradient as large as the whole sequence, quadratic in the length. Here the
    /// steps' gradients are written into one shared buffer, handed to this tensor once by a hub
    /// node that the autograd runs after all the steps (it is their common input).
    func unstackedAlongTime() -> [Tensor] {
        precondition(rank == 3, "unstackedAlongTime needs [batch, length, width], got \(shape)")
        let batch = shape[0], length = shape[1], width = shape[2]
        let source = storage.pointer
        let pieces = (0..<length).map { t -> Tensor in
            let piece = Tensor(uninitialized: [batch, width])
            let y = piece.storage.pointer
            for b in 0..<batch { (y + b * width).update(from: source + (b * length + t) * width, count: width) }
            return piece
        }
        guard Tensor.tracks(self) else { return pieces }
        let buffer = TimeStepGradients(shape: shape)
        let hub = Tensor(0).recorded(from: [self]) { _ in [buffer.take()] }
        return pieces.enumerated().map { t, piece in
            piece.recorded(from: [hub]) { g in
                buffer.add(g, step: t)
                return [Tensor(0)]  // only to mark the hub as reached
            }
        }
    }
}

/// The gradient of a `[batch, length, width]` tensor assembled step by step during one backward pass.
private final class TimeStepGradients {
    private let shape: [Int]
    private var gradient: Tensor?

    init(shape: [Int]) { self.shape = shape }

    func add(_ g: Tensor, step t: Int) {
        if gradient == nil { gradient = Tensor(zeros: shape) }
        let batch = shape[0], length = shape[1], width = shape[2]
        let d = gradient!.storage.pointer, gy = g.storage.pointer
        for b in 0..<batch { Kernels.add(gy + b * width, into: d + (b * length + t) * width, count: width) }
    }

    /// The gradient gathered so far (zeros if none), leaving the buffer empty for another pass.
    func take() -> Tensor {
        defer { gradient = nil }
        return gradient ?? Tensor(zeros: shape)
    }
}
