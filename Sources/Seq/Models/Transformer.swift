/// The Transformer encoder-decoder (Vaswani et al. 2017, "Attention Is All You Need").
///
/// Token embeddings are scaled by √d (§3.4) and summed with position encodings (§3.5); the
/// encoder stack attends over the source with its padding masked; the decoder stack attends
/// causally over the target prefix and over the encoder memory; a final projection gives logits.
///
/// Parameters (dotted names, stable because checkpoints key on them):
///
///     sourceEmbedding.weight                         [sourceVocabulary, d]
///     targetEmbedding.weight                         [targetVocabulary, d]   (absent when shared)
///     encoder.positions.weight                       [maximumLength, d]      (learned positions only)
///     encoder.layers.N.selfAttention.{query,key,value,output}.{weight,bias}
///     encoder.layers.N.selfAttentionNorm.{weight,bias}
///     encoder.layers.N.feedForward.{hidden,output}.{weight,bias}
///     encoder.layers.N.feedForwardNorm.{weight,bias}
///     encoder.norm.{weight,bias}                                               (pre-norm only)
///     decoder.positions.weight                                                 (learned positions only)
///     decoder.layers.N.{selfAttention,crossAttention}.{query,key,value,output}.{weight,bias}
///     decoder.layers.N.{selfAttentionNorm,crossAttentionNorm,feedForwardNorm}.{weight,bias}
///     decoder.layers.N.feedForward.{hidden,output}.{weight,bias}
///     decoder.norm.{weight,bias}                                               (pre-norm only)
///     output.{weight,bias}                           [targetVocabulary, d]   (absent when tied)
///
/// With `shareSourceTargetEmbeddings` the target embedding is the source embedding object and is
/// listed once, as `sourceEmbedding.weight`. With `tieOutputEmbedding` the logits are
/// `h·Eᵀ` with `E` the target embedding matrix (Press & Wolf 2017), without bias.
///
/// Decoding: `encode` runs the encoder once and projects the memory to the cross-attention keys
/// and values of every decoder layer (a single sentence as one fused job,
/// `TransformerFusedEncoder.swift`); each `decodeStep` embeds one token at position
/// `state.step`, appends its self-attention keys and values to per-layer caches and attends over
/// them. State tensors: per hypothesis `decoder.layers.N.selfKeys`, `selfValues`, the buffers of
/// a `KeyValueCache` (`[batch, heads, capacity, headSize]`, of which the first `state.step`
/// positions are filled); per source (`DecoderState.sourceTensors`) `sourceMask`,
/// `decoder.layers.N.crossKeys`, `crossValues`.
public final class Transformer: EncoderDecoder {
    public let configuration: ModelConfiguration
    public let sourceEmbedding: Embedding
    /// The target embedding (`sourceEmbedding` itself when shared).
    public let targetEmbedding: Embedding
    public let encoder: TransformerEncoder
    public let decoder: TransformerDecoder
    /// The output projection `[targetVocabulary, d]` with bias, or `nil` when tied to `targetEmbedding`.
    public let output: Linear?

    let embeddingScale: Float
    /// The epsilon every decoder layer norm uses, or `nil` when they differ (the fused step takes
    /// one for all): fixed at construction, so worked out once rather than at every step.
    let decoderNormEpsilon: Float?
    /// State names per decoder layer, built once rather than at every step.
    let stateNames: [(crossKeys: String, crossValues: String, selfKeys: String, selfValues: String)]
    /// The fused step's description of the decoder's weights, kept from step to step
    /// (`TransformerFusedStep.swift`).
    let keptFusedStepWeights = EpochSlot<FusedStepWeights>()
    /// The fused encoder's, likewise (`TransformerFusedEncoder.swift`).
    let keptFusedEncoderWeights = EpochSlot<FusedEncoderWeights>()

    /// A freshly initialised Transformer.
    ///
    /// - Throws: `ModelError.invalidConfiguration` when sizes are inconsistent (width not
    ///   divisible by heads, shared embeddings over different vocabularies, …).
    public init(configuration c: ModelConfiguration, generator: RandomGenerator) throws {
        try Self.validate(c)
        configuration = c
        let d = c.embeddingSize
        sourceEmbedding = Embedding(count: c.sourceVocabularySize, size: d, generator: generator)
        targetEmbedding = c.shareSourceTargetEmbeddings
            ? sourceEmbedding : Embedding(count: c.targetVocabularySize, size: d, generator: generator)
        encoder = TransformerEncoder(configuration: c, generator: generator)
        decoder = TransformerDecoder(configuration: c, generator: generator)
        output = c.tieOutputEmbedding ? nil : Linear(inputSize: d, outputSize: c.targetVocabularySize, generator: generator)
        embeddingScale = Float(d).squareRoot()
        let norms = decoder.layers.flatMap { [$0.selfAttentionNorm, $0.crossAttentionNorm, $0.feedForwardNorm] }
            + (decoder.norm.map { [$0] } ?? [])
        decoderNormEpsilon = norms.allSatisfy { $0.epsilon == norms.first?.epsilon } ? norms.first?.epsilon : nil
        stateNames = (0..<c.decoderLayers).map { i in
            let prefix = "decoder.layers.\(i)."
            return (prefix + "crossKeys", prefix + "crossValues", prefix + "selfKeys", prefix + "selfValues")
        }
    }

    static func validate(_ c: ModelConfiguration) throws {
        func require(_ condition: Bool, _ reason: @autoclosure () -> String) throws {
            if !condition { throw ModelError.invalidConfiguration(reason()) }
        }
        try require(c.embeddingSize > 0 && c.heads > 0 && c.feedForwardSize > 0,
                    "embeddingSize, heads and feedForwardSize must be positive")
        try require(c.embeddingSize % c.heads == 0,
                    "embeddingSize \(c.embeddingSize) is not divisible by heads \(c.heads)")
        try require(c.encoderLayers > 0 && c.decoderLayers > 0, "the Transformer needs at least one encoder and one decoder layer")
        try require(c.sourceVocabularySize > 0 && c.targetVocabularySize > 0, "vocabularies must not be empty")
        try require(c.paddingID >= 0 && c.paddingID < min(c.sourceVocabularySize, c.targetVocabularySize),
                    "paddingID \(c.paddingID) is outside the vocabularies")
        try require(!c.shareSourceTargetEmbeddings || c.sourceVocabularySize == c.targetVocabularySize,
                    "shared embeddings need equal vocabularies, got \(c.sourceVocabularySize) and \(c.targetVocabularySize)")
        try require(c.maximumLength > 0, "maximumLength must be positive")
        try require((0..<1).contains(c.dropout) && (0..<1).contains(c.attentionDropout), "dropout must lie in [0, 1)")
    }

    // MARK: Training

    public func forward(source: TokenBatch, targetInput: TokenBatch) -> (logits: Tensor, attention: AttentionMaps) {
        precondition(source.batchSize == targetInput.batchSize, "\(source.batchSize) sources for \(targetInput.batchSize) targets")
        let sourceMask = source.paddingMask                                // [b, 1, 1, s]
        let (memory, encoderAttention) = encodeMemory(source, mask: sourceMask)
        let length = targetInput.length
        // Causal ∪ padding: [t, t] + [b, 1, 1, t] → [b, 1, t, t], non-zero where hidden.
        let selfMask = Self.causalMask(length) + targetInput.paddingMask
        var caches = [KeyValueCache?](repeating: nil, count: decoder.layers.count)
        let embedded = targetEmbedding(targetInput.ids, shape: [targetInput.batchSize, length]) * embeddingScale
        let (h, selfAttention, crossAttention) = decoder(
            embedded, start: 0, selfMask: selfMask, caches: &caches,
            memory: decoder.memoryKeysAndValues(memory), sourceMask: sourceMask)
        let attention = AttentionMaps(cross: crossAttention, decoderSelf: selfAttention, encoderSelf: encoderAttention)
        return (project(h), attention)                                     // [b, t, V]
    }

    // MARK: Decoding

    public func encode(_ source: TokenBatch) -> DecoderState {
        if let fused = fusedEncode(source) { return fused }
        let sourceMask = source.paddingMask
        let (memory, encoderAttention) = encodeMemory(source, mask: sourceMask)
        // Per source, not per hypothesis: beam search's reordering leaves these alone.
        var sourceTensors: [String: Tensor] = ["sourceMask": sourceMask]
        for (names, kv) in zip(stateNames, decoder.memoryKeysAndValues(memory)) {
            sourceTensors[names.crossKeys] = kv.keys
            sourceTensors[names.crossValues] = kv.values
        }
        return DecoderState(tensors: [:], sourceTensors: sourceTensors, sourceLengths: source.lengths, step: 0,
                            encoderAttention: encoderAttention)
    }

    public func decodeStep(_ tokens: [Int], state: inout DecoderState) -> (logits: Tensor, attention: AttentionMaps) {
        let batch = state.batchSize
        precondition(tokens.count == batch, "\(tokens.count) tokens for a batch of \(batch)")
        if let fused = fusedDecodeStep(tokens, state: &state) { return fused }
        let memory = stateNames.map { (state.sourceTensors[$0.crossKeys]!, state.sourceTensors[$0.crossValues]!) }
        var caches = takeCaches(from: &state)
        let embedded = targetEmbedding(tokens, shape: [batch, 1]) * embeddingScale  // [b, 1, d]
        // One query that may see every cached position: no self mask.
        let (h, selfAttention, crossAttention) = decoder(
            embedded, start: state.step, selfMask: nil, caches: &caches, memory: memory,
            sourceMask: state.sourceTensors["sourceMask"], sources: state.sources)
        state.step += 1
        put(caches, into: &state)
        let logits = project(h).reshaped([batch, configuration.targetVocabularySize])
        return (logits, AttentionMaps(cross: crossAttention, decoderSelf: selfAttention))
    }

    // MARK: Parts

    /// The self-attention cache of each decoder layer, taken out of `state` (`nil` before the
    /// first step): held only here, its buffers take the step's position in place.
    func takeCaches(from state: inout DecoderState) -> [KeyValueCache?] {
        stateNames.map { names in
            guard let keys = state.tensors.removeValue(forKey: names.selfKeys),
                  let values = state.tensors.removeValue(forKey: names.selfValues) else { return nil }
            return KeyValueCache(keys: keys, values: values, length: state.step)
        }
    }

    /// Puts caches taken by `takeCaches(from:)` back, each holding `state.step` positions (empty
    /// ones stay out: a step that did not run leaves the state as it was).
    func put(_ caches: [KeyValueCache?], into state: inout DecoderState) {
        for (names, cache) in zip(stateNames, caches) {
            guard let cache, cache.length > 0 else { continue }
            precondition(cache.length == state.step, "a cache of \(cache.length) positions at step \(state.step)")
            state[names.selfKeys] = cache.keys
            state[names.selfValues] = cache.values
        }
    }

    /// The encoder memory `[batch, sourceLength, d]` and its per-layer self-attention.
    private func encodeMemory(_ source: TokenBatch, mask: Tensor) -> (memory: Tensor, attention: [Tensor]) {
        let embedded = sourceEmbedding(source.ids, shape: [source.batchSize, source.length]) * embeddingScale
        let (memory, attention) = encoder(embedded, mask: mask)
        return (memory, attention)
    }

    /// `[…, d]` → logits `[…, targetVocabulary]`.
    private func project(_ h: Tensor) -> Tensor {
        if let output { return output(h) }
        return Tensor.matmul(h, targetEmbedding.weight.value, transposeB: true)
    }

    /// `[length, length]` with 1 above the diagonal: position `i` must not see `j > i`.
    static func causalMask(_ length: Int) -> Tensor {
        var mask = [Float](repeating: 0, count: length * length)
        for i in 0..<length {
            for j in (i + 1)..<length { mask[i * length + j] = 1 }
        }
        return Tensor(shape: [length, length], scalars: mask)
    }

    public func visit(_ visitor: inout LayerVisitor) {
        visitor("sourceEmbedding", sourceEmbedding)
        if !configuration.shareSourceTargetEmbeddings { visitor("targetEmbedding", targetEmbedding) }
        visitor("encoder", encoder)
        visitor("decoder", decoder)
        visitor("output", output)
    }
}
