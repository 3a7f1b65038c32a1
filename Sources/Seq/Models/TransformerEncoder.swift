/// One Transformer encoder layer (Vaswani et al. 2017, §3.1): self-attention, then a
/// position-wise feed-forward block, each inside a residual connection with layer normalisation.
///
///     pre-norm:  x ← x + Dropout(SelfAttention(LN₁(x)));  x ← x + Dropout(FFN(LN₂(x)))
///     post-norm: x ← LN₁(x + Dropout(SelfAttention(x)));  x ← LN₂(x + Dropout(FFN(x)))
///
/// Post-norm is the paper's placement; pre-norm (Xiong et al. 2020, "On Layer Normalization in
/// the Transformer Architecture") trains stably without warm-up tricks and is the default.
public final class TransformerEncoderLayer: Layer {
    public let selfAttention: MultiHeadAttention
    /// `LN₁`, around the self-attention.
    public let selfAttentionNorm: LayerNorm
    public let feedForward: PositionWiseFeedForward
    /// `LN₂`, around the feed-forward block.
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
        feedForward = PositionWiseFeedForward(modelSize: modelSize, innerSize: feedForwardSize, activation: activation, generator: generator)
        feedForwardNorm = LayerNorm(size: modelSize)
        residualDropout = Dropout(probability: dropout, generator: generator)
        self.normalization = normalization
    }

    /// - Parameters:
    ///   - x: `[batch, sourceLength, modelSize]`.
    ///   - mask: the source padding mask `[batch, 1, 1, sourceLength]` (non-zero at padding), or `nil`.
    /// - Returns: `[batch, sourceLength, modelSize]` and the self-attention weights
    ///   `[batch, heads, sourceLength, sourceLength]`.
    public func callAsFunction(_ x: Tensor, mask: Tensor?) -> (output: Tensor, attention: Tensor) {
        var attention = Tensor(0)
        var y = normalization.residual(x, norm: selfAttentionNorm, dropout: residualDropout) { input in
            let (output, weights) = selfAttention(input, memory: input, mask: mask)
            attention = weights
            return output
        }
        y = normalization.residual(y, norm: feedForwardNorm, dropout: residualDropout) { feedForward($0) }
        return (y, attention)
    }

    public func visit(_ visitor: inout LayerVisitor) {
        visitor("selfAttention", selfAttention)
        visitor("selfAttentionNorm", selfAttentionNorm)
        visitor("feedForward", feedForward)
        visitor("feedForwardNorm", feedForwardNorm)
        visitor("residualDropout", residualDropout)
    }
}

/// The Transformer encoder stack: positions added to the (scaled) embeddings, dropout, `N`
/// encoder layers and, with pre-norm, a final layer normalisation (without it the residual
/// stream would leave the stack unnormalised).
public final class TransformerEncoder: Layer {
    public let positions: PositionalEncoding
    public let layers: [TransformerEncoderLayer]
    /// The final normalisation (pre-norm only).
    public let norm: LayerNorm?
    /// Dropout on embeddings plus positions (§5.4).
    public let embeddingDropout: Dropout

    /// A stack sized by the Transformer fields of `configuration`.
    public init(configuration c: ModelConfiguration, generator: RandomGenerator) {
        positions = PositionalEncoding(kind: c.positionEncoding, size: c.embeddingSize, maximumLength: c.maximumLength, generator: generator)
        layers = (0..<c.encoderLayers).map { _ in
            TransformerEncoderLayer(
                modelSize: c.embeddingSize, heads: c.heads, feedForwardSize: c.feedForwardSize, activation: c.activation,
                normalization: c.normalization, dropout: c.dropout, attentionDropout: c.attentionDropout, generator: generator)
        }
        norm = c.normalization == .pre ? LayerNorm(size: c.embeddingSize) : nil
        embeddingDropout = Dropout(probability: c.dropout, generator: generator)
    }

    /// - Parameters:
    ///   - embedded: scaled source embeddings `[batch, sourceLength, modelSize]`.
    ///   - mask: the source padding mask `[batch, 1, 1, sourceLength]`.
    /// - Returns: the memory `[batch, sourceLength, modelSize]` and each layer's self-attention
    ///   `[batch, heads, sourceLength, sourceLength]`.
    public func callAsFunction(_ embedded: Tensor, mask: Tensor?) -> (output: Tensor, attention: [Tensor]) {
        var x = embeddingDropout(embedded + positions(0..<embedded.shape[1]))
        var attention: [Tensor] = []
        attention.reserveCapacity(layers.count)
        for layer in layers {
            let (y, weights) = layer(x, mask: mask)
            x = y
            attention.append(weights)
        }
        if let norm { x = norm(x) }
        return (x, attention)
    }

    public func visit(_ visitor: inout LayerVisitor) {
        visitor("positions", positions)
        visitor("layers", layers)
        visitor("norm", norm)
        visitor("embeddingDropout", embeddingDropout)
    }
}

extension NormalizationPlacement {
    /// One residual connection around `sublayer` with this placement of `norm`:
    /// `x + Dropout(sublayer(LN(x)))` (pre) or `LN(x + Dropout(sublayer(x)))` (post).
    func residual(_ x: Tensor, norm: LayerNorm, dropout: Dropout, _ sublayer: (Tensor) -> Tensor) -> Tensor {
        switch self {
        case .pre: return x + dropout(sublayer(norm(x)))
        case .post: return norm(x + dropout(sublayer(x)))
        }
    }
}
