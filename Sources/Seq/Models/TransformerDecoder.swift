/// One Transformer decoder layer (Vaswani et al. 2017, §3.1): masked self-attention, attention
/// over the encoder memory (cross-attention), then a position-wise feed-forward block, each inside
/// a residual connection with layer normalisation placed as in `TransformerEncoderLayer`.
///
/// The same code serves the teacher-forced pass over a whole target and a decoding step over one
/// new position: self-attention keys and values are projected for the positions given and
/// appended to `cache` (the keys and values of earlier positions), so a step never recomputes the
/// past. A step outside training appends in place and attends position by position
/// (`MultiHeadAttention.attendOnePosition`); both paths compute the same values for each position.
public final class TransformerDecoderLayer: Layer {
    public let selfAttention: MultiHeadAttention
    public let selfAttentionNorm: LayerNorm
    public let crossAttention: MultiHeadAttention
    public let crossAttentionNorm: LayerNorm
    public let feedForward: PositionWiseFeedForward
    public let feedForwardNorm: LayerNorm
    /// Dropout on each sub-layer's output before it joins the residual stream.
    public let residualDropout: Dropout
    public let normalization: NormalizationPlacement

    public init(
        modelSize: Int, heads: Int, feedForwardSize: Int, activation: Activation = .relu,
        normalization: NormalizationPlacement = .pre, dropout: Float = 0, attentionDropout: Float = 0,
        generator: RandomGenerator
    ) {
        selfAttention = MultiHeadAttention(modelSize: modelSize, heads: heads, dropout: attentionDropout, generator: generator)
        selfAttentionNorm = LayerNorm(size: modelSize)
        crossAttention = MultiHeadAttention(modelSize: modelSize, heads: heads, dropout: attentionDropout, generator: generator)
        crossAttentionNorm = LayerNorm(size: modelSize)
        feedForward = PositionWiseFeedForward(modelSize: modelSize, innerSize: feedForwardSize, activation: activation, generator: generator)
        feedForwardNorm = LayerNorm(size: modelSize)
        residualDropout = Dropout(probability: dropout, generator: generator)
        self.normalization = normalization
    }

    /// Runs the layer over `x`, the positions that follow those in `cache`.
    ///
    /// - Parameters:
    ///   - x: `[batch, length, modelSize]` (`length` = 1 when decoding step by step).
    ///   - selfMask: broadcastable to `[batch, heads, length, cachedLength + length]`, non-zero
    ///     where a position must not look (causal ∪ target padding); `nil` for a single step,
    ///     which may see every cached position.
    ///   - cache: the self-attention keys and values of earlier positions (`cachedLength` of
    ///     them), or `nil`; on return it includes `x`'s positions.
    ///   - memory: the encoder memory projected by `crossAttention.keysAndValues(_:)`, each
    ///     `[batch, heads, sourceLength, headSize]`.
    ///   - sourceMask: `[batch, 1, 1, sourceLength]`, non-zero at source padding.
    ///   - sources: when `memory` and `sourceMask` hold one entry per source sentence rather than
    ///     per row, the source of each row (`DecoderState.sources`).
    /// - Returns: `[batch, length, modelSize]`, the self-attention weights
    ///   `[batch, heads, length, cachedLength + length]` and the cross-attention weights
    ///   `[batch, heads, length, sourceLength]`.
    public func callAsFunction(
        _ x: Tensor, selfMask: Tensor?, cache: inout KeyValueCache?,
        memory: (keys: Tensor, values: Tensor), sourceMask: Tensor?, sources: [Int]? = nil
    ) -> (output: Tensor, selfAttention: Tensor, crossAttention: Tensor) {
        var selfWeights = Tensor(0), crossWeights = Tensor(0)
        let step = selfMask == nil && selfAttention.attendsOnePosition(x)
        var y = normalization.residual(x, norm: selfAttentionNorm, dropout: residualDropout) { input in
            let (keys, values) = selfAttention.keysAndValues(input)  // [b, h, length, dk]
            let output: Tensor
            if step {
                // Out of `cache` while it grows, so that its buffers have one owner and take the
                // new position in place.
                var extended = cache ?? KeyValueCache(batch: keys.shape[0], heads: keys.shape[1], headSize: keys.shape[3])
                cache = nil
                extended.append(keys: keys, values: values)
                cache = extended
                (output, selfWeights) = selfAttention.attendOnePosition(
                    input, keys: extended.keys, values: extended.values, length: extended.length, mask: nil, sources: nil)
            } else {
                // Concatenated rather than appended in place, so that gradients reach the past.
                let past = cache?.filled
                let all = past.map { (Tensor.concatenate([$0.keys, keys], axis: 2), Tensor.concatenate([$0.values, values], axis: 2)) }
                    ?? (keys, values)
                cache = KeyValueCache(keys: all.0, values: all.1)
                (output, selfWeights) = selfAttention.attend(input, keys: all.0, values: all.1, mask: selfMask)
            }
            return output
        }
        y = normalization.residual(y, norm: crossAttentionNorm, dropout: residualDropout) { input in
            let (output, weights) = crossAttention.attend(
                input, keys: memory.keys, values: memory.values, mask: sourceMask, sources: sources)
            crossWeights = weights
            return output
        }
        y = normalization.residual(y, norm: feedForwardNorm, dropout: residualDropout) { feedForward($0) }
        return (y, selfWeights, crossWeights)
    }

    public func visit(_ visitor: inout LayerVisitor) {
        visitor("selfAttention", selfAttention)
        visitor("selfAttentionNorm", selfAttentionNorm)
        visitor("crossAttention", crossAttention)
        visitor("crossAttentionNorm", crossAttentionNorm)
        visitor("feedForward", feedForward)
        visitor("feedForwardNorm", feedForwardNorm)
        visitor("residualDropout", residualDropout)
    }
}

/// The Transformer decoder stack: positions added to the (scaled) target embeddings, dropout,
/// `N` decoder layers and, with pre-norm, a final layer normalisation.
public final class TransformerDecoder: Layer {
    public let positions: PositionalEncoding
    public let layers: [TransformerDecoderLayer]
    /// The final normalisation (pre-norm only).
    public let norm: LayerNorm?
    /// Dropout on embeddings plus positions (§5.4).
    public let embeddingDropout: Dropout

    /// A stack sized by the Transformer fields of `configuration`.
    public init(configuration c: ModelConfiguration, generator: RandomGenerator) {
        positions = PositionalEncoding(kind: c.positionEncoding, size: c.embeddingSize, maximumLength: c.maximumLength, generator: generator)
        layers = (0..<c.decoderLayers).map { _ in
            TransformerDecoderLayer(
                modelSize: c.embeddingSize, heads: c.heads, feedForwardSize: c.feedForwardSize, activation: c.activation,
                normalization: c.normalization, dropout: c.dropout, attentionDropout: c.attentionDropout, generator: generator)
        }
        norm = c.normalization == .pre ? LayerNorm(size: c.embeddingSize) : nil
        embeddingDropout = Dropout(probability: c.dropout, generator: generator)
    }

    /// The cross-attention keys and values of every layer for `memory` `[batch, sourceLength,
    /// modelSize]`: computed once per source, whether for one teacher-forced pass or a whole decode.
    public func memoryKeysAndValues(_ memory: Tensor) -> [(keys: Tensor, values: Tensor)] {
        layers.map { $0.crossAttention.keysAndValues(memory) }
    }

    /// Runs the stack over target positions `start..<start + length`.
    ///
    /// - Parameters:
    ///   - embedded: scaled target embeddings `[batch, length, modelSize]`.
    ///   - start: the position of the first of them (the number of positions in the caches).
    ///   - selfMask, sourceMask: as for `TransformerDecoderLayer`.
    ///   - caches: one self-attention cache per layer (see `TransformerDecoderLayer`), extended on return.
    ///   - memory: per layer, from `memoryKeysAndValues(_:)`.
    ///   - sources: as for `TransformerDecoderLayer`.
    /// - Returns: `[batch, length, modelSize]` and per layer the self- and cross-attention weights.
    public func callAsFunction(
        _ embedded: Tensor, start: Int, selfMask: Tensor?, caches: inout [KeyValueCache?],
        memory: [(keys: Tensor, values: Tensor)], sourceMask: Tensor?, sources: [Int]? = nil
    ) -> (output: Tensor, selfAttention: [Tensor], crossAttention: [Tensor]) {
        precondition(caches.count == layers.count && memory.count == layers.count,
                     "\(caches.count) caches and \(memory.count) memories for \(layers.count) layers")
        var x = embeddingDropout(embedded + positions(start..<(start + embedded.shape[1])))
        var selfAttention: [Tensor] = [], crossAttention: [Tensor] = []
        selfAttention.reserveCapacity(layers.count)
        crossAttention.reserveCapacity(layers.count)
        for (i, layer) in layers.enumerated() {
            let (y, selfWeights, crossWeights) = layer(
                x, selfMask: selfMask, cache: &caches[i], memory: memory[i], sourceMask: sourceMask, sources: sources)
            x = y
            selfAttention.append(selfWeights)
            crossAttention.append(crossWeights)
        }
        if let norm { x = norm(x) }
        return (x, selfAttention, crossAttention)
    }

    public func visit(_ visitor: inout LayerVisitor) {
        visitor("positions", positions)
        visitor("layers", layers)
        visitor("norm", norm)
        visitor("embeddingDropout", embeddingDropout)
    }
}
