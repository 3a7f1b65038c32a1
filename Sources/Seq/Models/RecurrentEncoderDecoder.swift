/// The `rnn` and `lstm` families: a recurrent encoder whose final state initialises a recurrent
/// decoder, without attention (Sutskever et al. 2014; Cho et al. 2014).
///
/// ```
/// h_j = f(h_{j−1}, E_src[x_j])                                   encoder, per layer
/// s_0 = h_{|x|}                 (bidirectional: tanh(W_b·[h→_{|x|}; h←_1] + b_b))
/// s_i = f(s_{i−1}, E_tgt[y_{i−1}])                               decoder, per layer
/// logits_i = W_out·s_i + b_out
/// ```
/// `f` is `SimpleRNNCell` for `rnn` and `LSTMCell` for `lstm`. Encoder and decoder have the same
/// number of layers; decoder layer `l` starts from encoder layer `l`'s final state.
///
/// Parameter names: `sourceEmbedding.weight`, `targetEmbedding.weight` (absent when shared with
/// the source), `encoder.layers.<l>.forward.*` and `.backward.*` (see `RecurrentEncoder`),
/// `bridges.<l>.hidden.*` and `bridges.<l>.cell.*` (bidirectional only; see `StateBridge`),
/// `decoder.layers.<l>.*` (see `RecurrentStack`), `output.weight`, `output.bias` (absent when
/// tied to the target embedding).
public final class RecurrentEncoderDecoder: EncoderDecoder {
    public let configuration: ModelConfiguration
    public let sourceEmbedding: Embedding
    public let targetEmbedding: Embedding
    public let encoder: RecurrentEncoder
    /// One per decoder layer when the encoder is bidirectional; empty otherwise.
    public let bridges: [StateBridge]
    public let decoder: RecurrentStack
    /// The output projection; `nil` when it reuses the target embedding.
    public let output: Linear?
    private let dropout: Dropout

    /// Builds a model of kind `.rnn` or `.lstm`; throws `ModelError.invalidConfiguration` for
    /// settings this family cannot honour.
    public init(configuration c: ModelConfiguration, generator: RandomGenerator) throws {
        let cell: RecurrentCellKind
        switch c.kind {
        case .rnn: cell = .rnn
        case .lstm: cell = .lstm
        default: throw ModelError.invalidConfiguration("RecurrentEncoderDecoder builds rnn and lstm models, not \(c.kind.rawValue)")
        }
        try validateRecurrentSizes(c)
        guard c.encoderLayers == c.decoderLayers else {
            throw ModelError.invalidConfiguration(
                "\(c.kind.rawValue): encoderLayers (\(c.encoderLayers)) and decoderLayers (\(c.decoderLayers)) must be equal, since each encoder layer initialises a decoder layer")
        }
        if c.tieOutputEmbedding && c.embeddingSize != c.hiddenSize {
            throw ModelError.invalidConfiguration("\(c.kind.rawValue): tieOutputEmbedding needs embeddingSize == hiddenSize")
        }
        configuration = c
        sourceEmbedding = Embedding(count: c.sourceVocabularySize, size: c.embeddingSize, generator: generator)
        targetEmbedding = try sharedTargetEmbedding(c, source: sourceEmbedding, generator: generator)
        encoder = RecurrentEncoder(
            cell: cell, inputSize: c.embeddingSize, hiddenSize: c.hiddenSize, layers: c.encoderLayers,
            bidirectional: c.bidirectionalEncoder, dropout: c.dropout, generator: generator)
        bridges = c.bidirectionalEncoder
            ? (0..<c.decoderLayers).map { _ in
                StateBridge(inputSize: 2 * c.hiddenSize, outputSize: c.hiddenSize, decoderHasMemoryCell: cell == .lstm,
                            mapsMemoryCell: true, generator: generator)
            }
            : []
        decoder = RecurrentStack(
            cell: cell, inputSize: c.embeddingSize, hiddenSize: c.hiddenSize, layers: c.decoderLayers,
            dropout: c.dropout, generator: generator)
        output = c.tieOutputEmbedding ? nil : Linear(inputSize: c.hiddenSize, outputSize: c.targetVocabularySize, generator: generator)
        dropout = Dropout(probability: c.dropout, generator: generator)
    }

    public func forward(source: TokenBatch, targetInput: TokenBatch) -> (logits: Tensor, attention: AttentionMaps) {
        precondition(source.batchSize == targetInput.batchSize, "source batch \(source.batchSize) vs target batch \(targetInput.batchSize)")
        let batch = targetInput.batchSize, length = targetInput.length
        var states = initialStates(source)
        let embedded = dropout(targetEmbedding(targetInput.ids, shape: [batch, length]))  // [batch, length, embedding]
        // The input product of every step at once; the steps themselves are `decodeStep`'s.
        let steps = length > 0 ? decoder.projectInput(embedded).unstackedAlongTime() : []
        var outputs: [Tensor] = []
        for t in 0..<length {
            states = decoder.step(projectedInput: steps[t], states: states)
            outputs.append(states[states.count - 1].hidden.reshaped([batch, 1, decoder.hiddenSize]))
        }
        guard length > 0 else { return (Tensor(zeros: [batch, 0, configuration.targetVocabularySize]), AttentionMaps()) }
        return (logits(Tensor.concatenate(outputs, axis: 1)), AttentionMaps())
    }

    public func encode(_ source: TokenBatch) -> DecoderState {
        var state = DecoderState(tensors: [:], sourceLengths: source.lengths)
        decoder.store(initialStates(source), in: &state)
        return state
    }

    public func decodeStep(_ tokens: [Int], state: inout DecoderState) -> (logits: Tensor, attention: AttentionMaps) {
        precondition(tokens.count == state.batchSize, "\(tokens.count) tokens for a batch of \(state.batchSize)")
        let embedded = dropout(targetEmbedding(tokens, shape: [tokens.count]))  // [batch, embedding]
        let states = decoder.step(projectedInput: decoder.projectInput(embedded), states: decoder.states(in: state))
        decoder.store(states, in: &state)
        state.step += 1
        return (logits(states[states.count - 1].hidden), AttentionMaps())
    }

    /// The decoder's initial states from the encoder's final states.
    private func initialStates(_ source: TokenBatch) -> [RecurrentState] {
        let embedded = dropout(sourceEmbedding(source.ids, shape: [source.batchSize, source.length]))
        let encoding = encoder(embedded, lengths: source.lengths)
        guard encoder.isBidirectional else { return encoding.forwardStates }
        return bridges.indices.map { l in bridges[l](forward: encoding.forwardStates[l], backward: encoding.backwardStates[l]) }
    }

    /// `[…, hidden]` → `[…, targetVocabulary]`.
    private func logits(_ hidden: Tensor) -> Tensor {
        let x = dropout(hidden)
        if let output { return output(x) }
        return Tensor.matmul(x, targetEmbedding.weight.value, transposeB: true)
    }

    public func visit(_ visitor: inout LayerVisitor) {
        visitor("sourceEmbedding", sourceEmbedding)
        if targetEmbedding !== sourceEmbedding { visitor("targetEmbedding", targetEmbedding) }
        visitor("encoder", encoder)
        visitor("bridges", bridges.map { $0 as Layer })
        visitor("decoder", decoder)
        visitor("output", output)
        visitor("dropout", dropout)
    }
}

/// Checks the sizes every recurrent family needs.
func validateRecurrentSizes(_ c: ModelConfiguration) throws {
    for (name, value) in [
        ("sourceVocabularySize", c.sourceVocabularySize), ("targetVocabularySize", c.targetVocabularySize),
        ("embeddingSize", c.embeddingSize), ("hiddenSize", c.hiddenSize),
        ("encoderLayers", c.encoderLayers), ("decoderLayers", c.decoderLayers),
    ] where value < 1 {
        throw ModelError.invalidConfiguration("\(name) must be at least 1, got \(value)")
    }
    guard (0..<1).contains(c.dropout) else { throw ModelError.invalidConfiguration("dropout must be in [0, 1), got \(c.dropout)") }
    guard (0..<c.targetVocabularySize).contains(c.paddingID) else {
        throw ModelError.invalidConfiguration("paddingID \(c.paddingID) outside the target vocabulary")
    }
}

/// The target embedding: the source's when shared, a new table otherwise.
func sharedTargetEmbedding(_ c: ModelConfiguration, source: Embedding, generator: RandomGenerator) throws -> Embedding {
    guard c.shareSourceTargetEmbeddings else {
        return Embedding(count: c.targetVocabularySize, size: c.embeddingSize, generator: generator)
    }
    guard c.sourceVocabularySize == c.targetVocabularySize else {
        throw ModelError.invalidConfiguration("shareSourceTargetEmbeddings needs equal source and target vocabularies")
    }
    return source
}
