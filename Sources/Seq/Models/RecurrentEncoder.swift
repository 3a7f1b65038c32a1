/// A stack of recurrent layers over embedded source tokens, optionally bidirectional.
///
/// Layer `l > 0` reads the outputs of layer `l − 1` (both directions concatenated, after dropout).
/// A bidirectional layer runs one `Recurrent` left to right and another right to left over the
/// same inputs and concatenates their outputs, so the annotation of position `j` is
/// `[h→_j; h←_j]` (Schuster & Paliwal 1997; Bahdanau et al. 2015, §3.2).
///
/// Parameter names: `layers.<l>.forward.<cell parameter>` and, when bidirectional,
/// `layers.<l>.backward.<cell parameter>`.
public final class RecurrentEncoder: Layer {
    /// The left-to-right unroller of each layer.
    public let forwardLayers: [Recurrent]
    /// The right-to-left unroller of each layer; empty when unidirectional.
    public let backwardLayers: [Recurrent]
    private let dropout: Dropout

    /// - Parameters:
    ///   - cell: the cell type of every layer.
    ///   - inputSize: the width of the embedded tokens.
    ///   - hiddenSize: the state width of each direction.
    ///   - layers: how many layers are stacked.
    ///   - bidirectional: whether each layer also reads right to left.
    ///   - dropout: applied to the outputs of every layer but the last.
    public init(
        cell: RecurrentCellKind, inputSize: Int, hiddenSize: Int, layers: Int, bidirectional: Bool,
        dropout: Float, generator: RandomGenerator
    ) {
        precondition(layers >= 1, "an encoder needs at least one layer, got \(layers)")
        let directions = bidirectional ? 2 : 1
        var forward: [Recurrent] = [], backward: [Recurrent] = []
        for l in 0..<layers {
            let width = l == 0 ? inputSize : directions * hiddenSize
            forward.append(Recurrent(makeCell(cell, inputSize: width, hiddenSize: hiddenSize, generator: generator)))
            if bidirectional {
                backward.append(Recurrent(makeCell(cell, inputSize: width, hiddenSize: hiddenSize, generator: generator), reversed: true))
            }
        }
        forwardLayers = forward
        backwardLayers = backward
        self.dropout = Dropout(probability: dropout, generator: generator)
    }

    public var isBidirectional: Bool { !backwardLayers.isEmpty }
    public var layerCount: Int { forwardLayers.count }
    public var hiddenSize: Int { forwardLayers[0].hiddenSize }
    /// The width of each output position: `hiddenSize`, doubled when bidirectional.
    public var outputSize: Int { hiddenSize * (isBidirectional ? 2 : 1) }

    /// The encoding of a padded batch.
    public struct Encoding {
        /// `[batch, length, outputSize]`: the top layer's outputs, zero at padding.
        public var outputs: Tensor
        /// Per layer, each sequence's final left-to-right state (after its last token).
        public var forwardStates: [RecurrentState]
        /// Per layer, each sequence's final right-to-left state (after its first token); empty
        /// when unidirectional.
        public var backwardStates: [RecurrentState]
    }

    /// Encodes embedded tokens `[batch, length, inputSize]` with the given true lengths.
    public func callAsFunction(_ embedded: Tensor, lengths: [Int]) -> Encoding {
        var x = embedded
        var forwardStates: [RecurrentState] = [], backwardStates: [RecurrentState] = []
        for l in 0..<layerCount {
            if l > 0 { x = dropout(x) }
            let (forwardOutputs, forwardState) = forwardLayers[l](x, lengths: lengths)
            forwardStates.append(forwardState)
            if isBidirectional {
                let (backwardOutputs, backwardState) = backwardLayers[l](x, lengths: lengths)
                backwardStates.append(backwardState)
                x = Tensor.concatenate([forwardOutputs, backwardOutputs], axis: 2)
            } else {
                x = forwardOutputs
            }
        }
        return Encoding(outputs: x, forwardStates: forwardStates, backwardStates: backwardStates)
    }

    public func visit(_ visitor: inout LayerVisitor) {
        for l in 0..<layerCount {
            visitor("layers.\(l).forward", forwardLayers[l])
            if isBidirectional { visitor("layers.\(l).backward", backwardLayers[l]) }
        }
        visitor("dropout", dropout)
    }
}
