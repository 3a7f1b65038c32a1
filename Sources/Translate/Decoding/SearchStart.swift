import Seq

/// What both searches do first: pad the sources into one batch, encode it once, and work out each
/// sentence's step limit.
struct SearchStart {
    /// The padded sources.
    let batch: TokenBatch
    /// The encoder's state, one row per sentence, with its encoder attention moved out (so that
    /// reordering rows does not copy it at every step).
    var state: DecoderState
    /// Encoder self-attention per layer, `[batch, heads, S, S]`.
    let encoderAttention: [Tensor]
    /// Decoder steps allowed per sentence.
    let limits: [Int]
    let vocabularySize: Int

    init(sources: [[Int]], model: any EncoderDecoder, outputLength: OutputLength, specialTokens: SpecialTokens) {
        let configuration = model.configuration
        // A batch of only empty sources still gets one (padding) position, so that every model
        // sees at least one key and an empty source decodes alike alone and in a batch.
        var batch = TokenBatch(sources, paddingID: specialTokens.padding)
        if batch.length == 0 {
            batch = TokenBatch(
                ids: Array(repeating: specialTokens.padding, count: batch.batchSize), lengths: batch.lengths, length: 1)
        }
        self.batch = batch
        state = model.encode(batch)
        encoderAttention = state.encoderAttention
        state.encoderAttention = []
        // Learned positions end at the table's length; sinusoidal ones have no limit.
        let positionLimit = configuration.kind == .transformer && configuration.positionEncoding == .learned
            ? configuration.maximumLength : Int.max
        limits = sources.map { Swift.min(outputLength.limit(sourceLength: $0.count), positionLimit) }
        vocabularySize = configuration.targetVocabularySize
        precondition(vocabularySize > 0, "empty target vocabulary")
    }
}
