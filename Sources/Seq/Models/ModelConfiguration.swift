/// The closed set of model families Parley trains.
public enum ModelKind: String, Codable, CaseIterable, Sendable {
    /// Elman (tanh) recurrent encoder-decoder without attention (Sutskever et al. 2014; Cho et al. 2014).
    case rnn
    /// LSTM encoder-decoder without attention.
    case lstm
    /// Bidirectional recurrent encoder, LSTM decoder, additive attention (Bahdanau et al. 2015).
    case bahdanau
    /// Encoder and decoder stacks of multi-head attention (Vaswani et al. 2017).
    case transformer
}

/// Recurrent cell types for the recurrent families.
public enum RecurrentCellKind: String, Codable, Sendable {
    case rnn, lstm, gru
}

/// Attention scoring for the `bahdanau` family.
public enum AttentionScoring: String, Codable, Sendable {
    /// `vᵀ tanh(W s + V h)` (Bahdanau et al. 2015).
    case additive
    /// `sᵀ h` (Luong et al. 2015).
    case dot
    /// `sᵀ W h` (Luong et al. 2015).
    case general
}

/// Position encodings for the Transformer.
public enum PositionEncoding: String, Codable, Sendable {
    case sinusoidal, learned
}

/// Feed-forward activations for the Transformer.
public enum Activation: String, Codable, Sendable {
    case relu, gelu
}

/// Where the Transformer applies layer normalisation.
public enum NormalizationPlacement: String, Codable, Sendable {
    /// `x + sublayer(LN(x))`, with a final LayerNorm on each stack (more stable to train).
    case pre
    /// `LN(x + sublayer(x))`, as in the original paper.
    case post
}

/// Everything needed to build a model of any family; every field has a default.
///
/// Stored in a model directory (and in checkpoint metadata) so the same model can be rebuilt.
public struct ModelConfiguration: Codable, Equatable, Sendable {
    /// The family.
    public var kind: ModelKind = .bahdanau
    /// Source vocabulary size (ids `0..<sourceVocabularySize`).
    public var sourceVocabularySize: Int = 8000
    /// Target vocabulary size.
    public var targetVocabularySize: Int = 8000
    /// The padding id (never predicted; masked in attention).
    public var paddingID: Int = 0
    /// Embedding width (the model width `d` for the Transformer).
    public var embeddingSize: Int = 256
    /// Recurrent state width per direction (recurrent families).
    public var hiddenSize: Int = 256
    /// `bahdanau`: the decoder's state width; 0 (the default) means `hiddenSize`, or
    /// `2·hiddenSize` with `dot` scoring (which needs it equal to an annotation's width).
    public var decoderHiddenSize: Int = 0
    /// Stacked layers in the encoder.
    public var encoderLayers: Int = 1
    /// Stacked layers in the decoder.
    public var decoderLayers: Int = 1
    /// Whether the `rnn`/`lstm` encoder reads in both directions (the `bahdanau` encoder always does).
    public var bidirectionalEncoder: Bool = false
    /// The encoder cell for the `bahdanau` family (`lstm` or `gru`).
    public var encoderCell: RecurrentCellKind = .lstm
    /// Attention width for additive attention.
    public var attentionSize: Int = 256
    /// Attention scoring for the `bahdanau` family.
    public var attentionScoring: AttentionScoring = .additive
    /// Transformer: attention heads.
    public var heads: Int = 4
    /// Transformer: feed-forward inner width.
    public var feedForwardSize: Int = 1024
    /// Transformer: feed-forward activation.
    public var activation: Activation = .relu
    /// Transformer: layer-norm placement.
    public var normalization: NormalizationPlacement = .pre
    /// Transformer: position encoding.
    public var positionEncoding: PositionEncoding = .sinusoidal
    /// Transformer (learned positions): the longest sequence.
    public var maximumLength: Int = 512
    /// Dropout on embeddings, between layers and on residual branches.
    public var dropout: Float = 0.1
    /// Transformer: dropout on attention weights.
    public var attentionDropout: Float = 0.1
    /// One embedding matrix for source and target (requires equal vocabularies).
    public var shareSourceTargetEmbeddings: Bool = false
    /// The output projection reuses the target embedding matrix (no bias).
    public var tieOutputEmbedding: Bool = false

    public init() {}

    public init(from decoder: Decoder) throws {
        // Missing keys keep their defaults; unknown keys are rejected by the configuration loader.
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ModelConfiguration()
        kind = try c.decodeIfPresent(ModelKind.self, forKey: .kind) ?? d.kind
        sourceVocabularySize = try c.decodeIfPresent(Int.self, forKey: .sourceVocabularySize) ?? d.sourceVocabularySize
        targetVocabularySize = try c.decodeIfPresent(Int.self, forKey: .targetVocabularySize) ?? d.targetVocabularySize
        paddingID = try c.decodeIfPresent(Int.self, forKey: .paddingID) ?? d.paddingID
        embeddingSize = try c.decodeIfPresent(Int.self, forKey: .embeddingSize) ?? d.embeddingSize
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? d.hiddenSize
        decoderHiddenSize = try c.decodeIfPresent(Int.self, forKey: .decoderHiddenSize) ?? d.decoderHiddenSize
        encoderLayers = try c.decodeIfPresent(Int.self, forKey: .encoderLayers) ?? d.encoderLayers
        decoderLayers = try c.decodeIfPresent(Int.self, forKey: .decoderLayers) ?? d.decoderLayers
        bidirectionalEncoder = try c.decodeIfPresent(Bool.self, forKey: .bidirectionalEncoder) ?? d.bidirectionalEncoder
        encoderCell = try c.decodeIfPresent(RecurrentCellKind.self, forKey: .encoderCell) ?? d.encoderCell
        attentionSize = try c.decodeIfPresent(Int.self, forKey: .attentionSize) ?? d.attentionSize
        attentionScoring = try c.decodeIfPresent(AttentionScoring.self, forKey: .attentionScoring) ?? d.attentionScoring
        heads = try c.decodeIfPresent(Int.self, forKey: .heads) ?? d.heads
        feedForwardSize = try c.decodeIfPresent(Int.self, forKey: .feedForwardSize) ?? d.feedForwardSize
        activation = try c.decodeIfPresent(Activation.self, forKey: .activation) ?? d.activation
        normalization = try c.decodeIfPresent(NormalizationPlacement.self, forKey: .normalization) ?? d.normalization
        positionEncoding = try c.decodeIfPresent(PositionEncoding.self, forKey: .positionEncoding) ?? d.positionEncoding
        maximumLength = try c.decodeIfPresent(Int.self, forKey: .maximumLength) ?? d.maximumLength
        dropout = try c.decodeIfPresent(Float.self, forKey: .dropout) ?? d.dropout
        attentionDropout = try c.decodeIfPresent(Float.self, forKey: .attentionDropout) ?? d.attentionDropout
        shareSourceTargetEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .shareSourceTargetEmbeddings) ?? d.shareSourceTargetEmbeddings
        tieOutputEmbedding = try c.decodeIfPresent(Bool.self, forKey: .tieOutputEmbedding) ?? d.tieOutputEmbedding
    }
}
