import CKernels

/// The encoder over one sentence, and the decoder's cross-attention keys and values of it, as one
/// job of the worker team (`parley_encoder_pass_body.h`), the batch-1 counterpart of the fused
/// decoding step.
///
/// Through tensor operations a sentence's encoder is two dozen products of twenty rows, each a
/// job of its own, with the attention, head permutes and layer norms between them on one
/// thread: a quarter of a greedy batch-1 sentence on two Zen 3 cores. The fused pass cuts each
/// sub-layer by heads or hidden units as the fused step does, so it computes what the general
/// path computes up to rounding (`TransformerFusedEncoderTests`), the same bits however many
/// threads run it, and fills the same `DecoderState`: source mask, cross-attention keys and
/// values, and the encoder's attention maps. Batches of several sentences, training and dropout
/// take the general path, as do weights whose panel copies are bfloat16: the panel precision is
/// an option for decoding steps, and the encoder keeps float32 arithmetic on float32 weights.
extension Transformer {
    /// Whether `encode` runs a single sentence as one fused job (`fusedEncode`); off, it goes
    /// through tensor operations — for comparing the two. Set for a task (`$fusesEncoding.withValue`).
    @TaskLocal public static var fusesEncoding = true

    /// `encode` as one fused job, or `nil` when it does not apply: more than one sentence,
    /// gradients recorded, dropout on, the portable kernel form in use, or an encoder or
    /// cross-attention weight whose panel copy is not float32.
    public func fusedEncode(_ source: TokenBatch) -> DecoderState? {
        let c = configuration, length = source.length
        let form = GEMM.kernelForm
        guard Self.fusesEncoding, form != .portable, source.batchSize == 1, length > 0, !Autograd.isRecording,
              !encoderDropsOut, let epsilon = encoderNormEpsilon, let weights = fusedEncoderWeights() else { return nil }
        for token in source.ids {
            precondition((0..<c.sourceVocabularySize).contains(token), "token id \(token) outside the source vocabulary")
        }
        let d = c.embeddingSize, heads = c.heads, headSize = d / heads
        let sourceMask = source.paddingMask
        let positions = encoder.positions(0..<length)
        let attention = weights.layers.map { _ in Tensor(uninitialized: [1, heads, length, length]) }
        let crossKeys = weights.crossKeyMaps.map { _ in Tensor(uninitialized: [1, heads, length, headSize]) }
        let crossValues = weights.crossValueMaps.map { _ in Tensor(uninitialized: [1, heads, length, headSize]) }
        var layers = weights.layers
        for i in layers.indices { layers[i].self_weights = attention[i].storage.pointer }
        let keyPointers: [UnsafeMutablePointer<Float>?] = crossKeys.map { $0.storage.pointer }
        let valuePointers: [UnsafeMutablePointer<Float>?] = crossValues.map { $0.storage.pointer }
        let tokens = source.ids.prefix(length).map { Int32($0) }
        let padded = source.lengths[0] < length
        let status = withExtendedLifetime((sourceMask, positions, attention, crossKeys, crossValues)) {
            tokens.withUnsafeBufferPointer { tokens in
                layers.withUnsafeBufferPointer { layers in
                    weights.crossKeyMaps.withUnsafeBufferPointer { keyMaps in
                        weights.crossValueMaps.withUnsafeBufferPointer { valueMaps in
                            keyPointers.withUnsafeBufferPointer { keyPointers in
                                valuePointers.withUnsafeBufferPointer { valuePointers in
                                    var pass = parley_encoder_pass_t(
                                        length: Int32(length), model_size: Int32(d), heads: Int32(heads),
                                        inner_size: Int32(c.feedForwardSize), layer_count: Int32(layers.count),
                                        pre_norm: c.normalization == .pre ? 1 : 0, gelu: c.activation == .gelu ? 1 : 0,
                                        norm_epsilon: epsilon, tokens: tokens.baseAddress,
                                        embedding: weights.embedding, embedding_scale: embeddingScale,
                                        positions: UnsafePointer(positions.storage.pointer),
                                        mask: padded ? UnsafePointer(sourceMask.storage.pointer) : nil,
                                        layers: layers.baseAddress,
                                        final_norm_gain: weights.finalNormGain, final_norm_bias: weights.finalNormBias,
                                        cross_count: Int32(keyMaps.count), cross_key_maps: keyMaps.baseAddress,
                                        cross_value_maps: valueMaps.baseAddress, cross_keys: keyPointers.baseAddress,
                                        cross_values: valuePointers.baseAddress)
                                    return form == .avx512 ? parley_encoder_pass(&pass) : parley_encoder_pass_avx2(&pass)
                                }
                            }
                        }
                    }
                }
            }
        }
        guard status == 0 else { return nil }
        var sourceTensors: [String: Tensor] = ["sourceMask": sourceMask]
        for (names, (keys, values)) in zip(stateNames, zip(crossKeys, crossValues)) {
            sourceTensors[names.crossKeys] = keys
            sourceTensors[names.crossValues] = values
        }
        return DecoderState(tensors: [:], sourceTensors: sourceTensors, sourceLengths: source.lengths, step: 0,
                            encoderAttention: attention)
    }

    /// Whether any dropout of the encoder is on (training mode): the fused pass has none.
    private var encoderDropsOut: Bool {
        encoder.embeddingDropout.dropsOut || encoder.layers.contains {
            $0.residualDropout.dropsOut || $0.selfAttention.attentionDropout.dropsOut
        }
    }

    /// The epsilon every encoder layer norm uses, or `nil` when they differ (the pass takes one).
    private var encoderNormEpsilon: Float? {
        let norms = encoder.layers.flatMap { [$0.selfAttentionNorm, $0.feedForwardNorm] } + (encoder.norm.map { [$0] } ?? [])
        return norms.allSatisfy { $0.epsilon == norms.first?.epsilon } ? norms.first?.epsilon : nil
    }

    /// The description of the encoder's weights and the decoder's cross-attention key and value
    /// maps for a fused pass, made now if the kept one is from an earlier epoch; `nil` where some
    /// weight has no float32 panel copy.
    func fusedEncoderWeights() -> FusedEncoderWeights? {
        let epoch = PackedWeights.currentEpoch   // before the lookups, as for the fused step
        if let kept = keptFusedEncoderWeights.current(epoch) { return kept }
        var complete = true
        func pointer(_ parameter: Parameter?) -> UnsafePointer<Float>? {
            parameter.map { UnsafePointer($0.value.storage.pointer) }
        }
        func linear(_ map: Linear) -> parley_linear {
            let weight = map.weight.value
            let panels = PackedWeights.panels(of: weight.storage, n: weight.shape[0], k: weight.shape[1])
            if panels == nil || panels!.format != PARLEY_PANELS_FLOAT32 { complete = false }
            return parley_linear(panels: panels?.pointer, format: panels?.format ?? 0, bias: pointer(map.bias))
        }
        let layers = encoder.layers.map { layer in
            let a = layer.selfAttention
            return parley_encoder_layer(
                self_attention: parley_attention_projections(
                    query: linear(a.query), key: linear(a.key), value: linear(a.value), output: linear(a.output)),
                self_norm_gain: pointer(layer.selfAttentionNorm.weight), self_norm_bias: pointer(layer.selfAttentionNorm.bias),
                feed_forward_norm_gain: pointer(layer.feedForwardNorm.weight),
                feed_forward_norm_bias: pointer(layer.feedForwardNorm.bias),
                hidden: linear(layer.feedForward.hidden), feed_forward_output: linear(layer.feedForward.output),
                self_weights: nil)
        }
        let crossKeyMaps = decoder.layers.map { linear($0.crossAttention.key) }
        let crossValueMaps = decoder.layers.map { linear($0.crossAttention.value) }
        guard complete, let embedding = pointer(sourceEmbedding.weight) else { return nil }
        let made = FusedEncoderWeights(layers: layers, crossKeyMaps: crossKeyMaps, crossValueMaps: crossValueMaps,
                                       embedding: embedding, finalNormGain: pointer(encoder.norm?.weight),
                                       finalNormBias: pointer(encoder.norm?.bias))
        keptFusedEncoderWeights.store(made, epoch: epoch)
        return made
    }
}

/// What a fused encoder pass reads of the model's own parameters, kept while the packed copies
/// it points into stay in place (as `FusedStepWeights`).
final class FusedEncoderWeights: @unchecked Sendable {
    /// Per encoder layer, the attention map pointer still nil.
    let layers: [parley_encoder_layer]
    let crossKeyMaps: [parley_linear], crossValueMaps: [parley_linear]
    let embedding: UnsafePointer<Float>
    let finalNormGain: UnsafePointer<Float>?, finalNormBias: UnsafePointer<Float>?

    init(layers: [parley_encoder_layer], crossKeyMaps: [parley_linear], crossValueMaps: [parley_linear],
         embedding: UnsafePointer<Float>, finalNormGain: UnsafePointer<Float>?, finalNormBias: UnsafePointer<Float>?) {
        self.layers = layers
        self.crossKeyMaps = crossKeyMaps
        self.crossValueMaps = crossValueMaps
        self.embedding = embedding
        self.finalNormGain = finalNormGain
        self.finalNormBias = finalNormBias
    }
}
