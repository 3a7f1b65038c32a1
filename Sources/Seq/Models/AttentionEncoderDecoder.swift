/// The `bahdanau` family: a bidirectional recurrent encoder, an LSTM decoder and attention over
/// the source annotations (Bahdanau et al. 2015, "Neural Machine Translation by Jointly Learning
/// to Align and Translate", §3 and appendix A).
///
/// ```
/// h_j  = [h→_j; h←_j]                                    annotations, [batch, S, 2H]
/// s_0  = tanh(W_init·[h→_{|x|}; h←_1] + b_init),  cell_0 = 0
/// e_ij = vᵀ tanh(W·s_{i−1} + V·h_j)                      (or Luong dot / general)
/// α_ij = softmax_j(e_ij) over non-padding j,  c_i = Σ_j α_ij h_j
/// s_i  = LSTM([E_tgt[y_{i−1}]; c_i], s_{i−1})
/// logits_i = W_out·[s_i; c_i] + b_out
/// ```
/// `V·h_j` is computed once per source and kept in the decoder state. With several decoder layers,
/// the query is the top layer's state, the context enters layer 0, and each layer has its own
/// `W_init`. The encoder cell is `configuration.encoderCell` (LSTM or GRU); the encoder is always
/// bidirectional, as in the paper. The decoder's hidden size is `decoderHiddenSize` when set;
/// otherwise `hiddenSize`, or `2·hiddenSize` with `dot` scoring (the decoder state must then be
/// as wide as an annotation).
///
/// Parameter names: `sourceEmbedding.weight`, `targetEmbedding.weight` (absent when shared),
/// `encoder.layers.<l>.forward.*` and `.backward.*` (see `RecurrentEncoder`),
/// `bridges.<l>.hidden.weight` `[decoderHidden, 2H]` and `.bias` (W_init, b_init),
/// `attention.query.weight`, `attention.key.weight`, `attention.score.weight` (additive; see
/// `AdditiveAttention`) or `attention.key.weight` (general), `decoder.layers.<l>.*` (see
/// `RecurrentStack`; layer 0's input is `[embedding; context]`), `output.weight`
/// `[targetVocabulary, decoderHidden + 2H]` and `output.bias` (over `[s_i; c_i]`).
///
/// Decoder state tensors: `hidden.<l>`, `cell.<l>` `[batch, decoderHidden]`, `memory`
/// `[batch, S, 2H]` (the annotations) and `keys` (the attention's precomputed keys).
public final class AttentionEncoderDecoder: EncoderDecoder {
    public let configuration: ModelConfiguration
    public let sourceEmbedding: Embedding
    public let targetEmbedding: Embedding
    public let encoder: RecurrentEncoder
    /// W_init, b_init: one per decoder layer.
    public let bridges: [StateBridge]
    public let attention: any SourceAttention
    public let decoder: RecurrentStack
    /// W_out, b_out over `[s_i; c_i]`.
    public let output: Linear
    private let dropout: Dropout

    /// Builds a model of kind `.bahdanau`; throws `ModelError.invalidConfiguration` for settings
    /// this family cannot honour.
    public init(configuration c: ModelConfiguration, generator: RandomGenerator) throws {
        guard c.kind == .bahdanau else {
            throw ModelError.invalidConfiguration("AttentionEncoderDecoder builds bahdanau models, not \(c.kind.rawValue)")
        }
        try validateRecurrentSizes(c)
        guard c.encoderCell != .rnn else {
            throw ModelError.invalidConfiguration("bahdanau: encoderCell must be lstm or gru")
        }
        guard c.attentionSize >= 1 || c.attentionScoring != .additive else {
            throw ModelError.invalidConfiguration("attentionSize must be at least 1, got \(c.attentionSize)")
        }
        guard !c.tieOutputEmbedding else {
            throw ModelError.invalidConfiguration("bahdanau: tieOutputEmbedding is not available (the output layer reads [state; context])")
        }
        let memorySize = 2 * c.hiddenSize
        let decoderHidden = c.decoderHiddenSize > 0 ? c.decoderHiddenSize : c.attentionScoring == .dot ? memorySize : c.hiddenSize
        guard c.decoderHiddenSize >= 0, c.attentionScoring != .dot || decoderHidden == memorySize else {
            throw ModelError.invalidConfiguration(
                "bahdanau: decoderHiddenSize \(c.decoderHiddenSize) must be 0 (automatic) or positive, and \(memorySize) (2·hiddenSize) with dot scoring")
        }
        configuration = c
        sourceEmbedding = Embedding(count: c.sourceVocabularySize, size: c.embeddingSize, generator: generator)
        targetEmbedding = try sharedTargetEmbedding(c, source: sourceEmbedding, generator: generator)
        encoder = RecurrentEncoder(
            cell: c.encoderCell, inputSize: c.embeddingSize, hiddenSize: c.hiddenSize, layers: c.encoderLayers,
            bidirectional: true, dropout: c.dropout, generator: generator)
        bridges = (0..<c.decoderLayers).map { _ in
            StateBridge(inputSize: memorySize, outputSize: decoderHidden, decoderHasMemoryCell: true, mapsMemoryCell: false, generator: generator)
        }
        switch c.attentionScoring {
        case .additive:
            attention = AdditiveAttention(querySize: decoderHidden, memorySize: memorySize, attentionSize: c.attentionSize, generator: generator)
        case .dot, .general:
            attention = MultiplicativeAttention(
                querySize: decoderHidden, memorySize: memorySize, general: c.attentionScoring == .general, generator: generator)
        }
        decoder = RecurrentStack(
            cell: .lstm, inputSize: c.embeddingSize + memorySize, hiddenSize: decoderHidden, layers: c.decoderLayers,
            dropout: c.dropout, generator: generator)
        output = Linear(inputSize: decoderHidden + memorySize, outputSize: c.targetVocabularySize, generator: generator)
        dropout = Dropout(probability: c.dropout, generator: generator)
    }

    public func forward(source: TokenBatch, targetInput: TokenBatch) -> (logits: Tensor, attention: AttentionMaps) {
        precondition(source.batchSize == targetInput.batchSize, "source batch \(source.batchSize) vs target batch \(targetInput.batchSize)")
        let batch = targetInput.batchSize, length = targetInput.length
        var state = encode(source)
        let embedded = dropout(targetEmbedding(targetInput.ids, shape: [batch, length]))  // [batch, length, embedding]
        let inputs = length > 0 ? embedded.unstackedAlongTime() : []
        var features: [Tensor] = [], weights: [Tensor] = []
        for t in 0..<length {
            let (feature, weight) = step(inputs[t], state: &state)
            features.append(feature.reshaped([batch, 1, feature.shape[1]]))
            weights.append(weight.detached().reshaped([batch, 1, 1, weight.shape[1]]))
        }
        guard length > 0 else {
            return (Tensor(zeros: [batch, 0, configuration.targetVocabularySize]),
                    AttentionMaps(cross: [Tensor(zeros: [batch, 1, 0, source.length])]))
        }
        // The output layer over all positions in one product.
        let logits = output(dropout(Tensor.concatenate(features, axis: 1)))  // [batch, length, vocabulary]
        return (logits, AttentionMaps(cross: [Tensor.concatenate(weights, axis: 2)]))
    }

    public func encode(_ source: TokenBatch) -> DecoderState {
        let embedded = dropout(sourceEmbedding(source.ids, shape: [source.batchSize, source.length]))
        let encoding = encoder(embedded, lengths: source.lengths)
        let top = encoder.layerCount - 1
        let initial = bridges.map { $0(forward: encoding.forwardStates[top], backward: encoding.backwardStates[top]) }
        var state = DecoderState(
            tensors: ["memory": encoding.outputs, "keys": attention.keys(for: encoding.outputs)],
            sourceLengths: source.lengths)
        decoder.store(initial, in: &state)
        return state
    }

    public func decodeStep(_ tokens: [Int], state: inout DecoderState) -> (logits: Tensor, attention: AttentionMaps) {
        precondition(tokens.count == state.batchSize, "\(tokens.count) tokens for a batch of \(state.batchSize)")
        let embedded = dropout(targetEmbedding(tokens, shape: [tokens.count]))  // [batch, embedding]
        let (feature, weights) = step(embedded, state: &state)
        let logits = output(dropout(feature))  // [batch, vocabulary]
        return (logits, AttentionMaps(cross: [weights.reshaped([tokens.count, 1, 1, weights.shape[1]])]))
    }

    /// One decoder step shared by `forward` and `decodeStep`: attends with `s_{i−1}`, advances the
    /// LSTM stack on `[embedding; c_i]`, and returns `[s_i; c_i]` `[batch, decoderHidden + 2H]`
    /// and `α_i` `[batch, S]`.
    private func step(_ embedded: Tensor, state: inout DecoderState) -> (feature: Tensor, weights: Tensor) {
        let previous = decoder.states(in: state)
        let (context, weights) = attention(
            query: previous[previous.count - 1].hidden, keys: state["keys"], memory: state["memory"],
            sourceLengths: state.sourceLengths)
        let input = Tensor.concatenate([embedded, context], axis: 1)
        let next = decoder.step(projectedInput: decoder.projectInput(input), states: previous)
        decoder.store(next, in: &state)
        state.step += 1
        return (Tensor.concatenate([next[next.count - 1].hidden, context], axis: 1), weights)
    }

    public func visit(_ visitor: inout LayerVisitor) {
        visitor("sourceEmbedding", sourceEmbedding)
        if targetEmbedding !== sourceEmbedding { visitor("targetEmbedding", targetEmbedding) }
        visitor("encoder", encoder)
        visitor("bridges", bridges.map { $0 as Layer })
        visitor("attention", attention)
        visitor("decoder", decoder)
        visitor("output", output)
        visitor("dropout", dropout)
    }
}
