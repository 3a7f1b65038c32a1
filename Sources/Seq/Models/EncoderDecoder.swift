/// A padded batch of token sequences, batch-major: `ids[b * length + t]`.
public struct TokenBatch: Equatable, Sendable {
    /// The ids, `batchSize × length`, padded with `paddingID` after each sequence's end.
    public var ids: [Int]
    /// The true length of each sequence.
    public var lengths: [Int]
    /// The padded length (the longest sequence).
    public var length: Int
    public var batchSize: Int { lengths.count }

    /// A batch of sequences padded to the longest one.
    public init(_ sequences: [[Int]], paddingID: Int) {
        lengths = sequences.map(\.count)
        length = lengths.max() ?? 0
        ids = []
        ids.reserveCapacity(sequences.count * length)
        for sequence in sequences {
            ids += sequence
            ids += Array(repeating: paddingID, count: length - sequence.count)
        }
    }

    /// A batch from already padded ids.
    public init(ids: [Int], lengths: [Int], length: Int) {
        precondition(ids.count == lengths.count * length, "\(ids.count) ids for \(lengths.count) × \(length)")
        self.ids = ids
        self.lengths = lengths
        self.length = length
    }

    /// `[batch, 1, 1, length]` with 1 at padding positions, 0 elsewhere (broadcasts over heads and queries).
    public var paddingMask: Tensor {
        var mask = [Float](repeating: 0, count: batchSize * length)
        for (b, n) in lengths.enumerated() where n < length {
            for t in n..<length { mask[b * length + t] = 1 }
        }
        return Tensor(shape: [batchSize, 1, 1, length], scalars: mask)
    }
}

/// Attention weights from one forward pass or one decoding step, per layer, each
/// `[batch, heads, queries, keys]`. Recurrent attention has one layer and one head; families
/// without attention leave every list empty.
public struct AttentionMaps {
    /// Decoder-to-source attention, per decoder layer.
    public var cross: [Tensor] = []
    /// Decoder self-attention, per decoder layer (Transformer).
    public var decoderSelf: [Tensor] = []
    /// Encoder self-attention, per encoder layer (Transformer).
    public var encoderSelf: [Tensor] = []

    public init(cross: [Tensor] = [], decoderSelf: [Tensor] = [], encoderSelf: [Tensor] = []) {
        self.cross = cross
        self.decoderSelf = decoderSelf
        self.encoderSelf = encoderSelf
    }
}

/// Everything a decoder carries from one step to the next: named batch-major tensors (recurrent
/// hidden and cell states, the encoder memory and its precomputed keys, per-layer key/value caches)
/// plus the source lengths and the number of steps taken.
///
/// Because every tensor is batch-major, beam search reorders or selects hypotheses for all
/// families the same way, with `selecting(_:)`. Tensors that only depend on the source sentence
/// can live in `sourceTensors` instead, one entry per source: `selecting` leaves them alone and
/// only maps each row to its source (`sources`), so beam search does not copy them for every
/// hypothesis at every step.
public struct DecoderState {
    /// The state tensors, each with the batch (one row per hypothesis) on axis 0.
    public var tensors: [String: Tensor]
    /// Tensors with one entry per source sentence on axis 0 (the Transformer's cross-attention
    /// keys and values and its source mask); row `r` uses entry `sources[r]`.
    public var sourceTensors: [String: Tensor]
    /// For each row, its source sentence: the index into `sourceTensors`' first axis.
    public var sources: [Int]
    /// The source length of each batch entry.
    public var sourceLengths: [Int]
    /// How many target tokens have been fed so far.
    public var step: Int
    /// Encoder self-attention, kept for inspection.
    public var encoderAttention: [Tensor]

    public init(
        tensors: [String: Tensor], sourceTensors: [String: Tensor] = [:], sourceLengths: [Int], step: Int = 0,
        encoderAttention: [Tensor] = []
    ) {
        self.tensors = tensors
        self.sourceTensors = sourceTensors
        self.sources = Array(sourceLengths.indices)
        self.sourceLengths = sourceLengths
        self.step = step
        self.encoderAttention = encoderAttention
    }

    public var batchSize: Int { sourceLengths.count }

    /// The state of the batch entries at `indices`, in that order (repeats allowed: beam expansion).
    ///
    /// Per-source tensors are kept as they are while every source still has a row; when some
    /// source has none left (its sentence is done), they shrink to the sources still used, once.
    public func selecting(_ indices: [Int]) -> DecoderState {
        var selected = DecoderState(
            tensors: tensors.mapValues { $0.gatherRows(indices) },
            sourceTensors: sourceTensors,
            sourceLengths: indices.map { sourceLengths[$0] },
            step: step,
            encoderAttention: encoderAttention.map { $0.gatherRows(indices) })
        let rowSources = indices.map { sources[$0] }
        let used = Set(rowSources).sorted()
        if let sourceCount = sourceTensors.values.first?.shape[0], used.count < sourceCount {
            var position = [Int](repeating: -1, count: sourceCount)
            for (new, old) in used.enumerated() { position[old] = new }
            selected.sourceTensors = sourceTensors.mapValues { $0.gatherRows(used) }
            selected.sources = rowSources.map { position[$0] }
        } else {
            selected.sources = rowSources
        }
        return selected
    }

    /// The tensor stored under `name`; a missing name is a programming error in the model.
    public subscript(name: String) -> Tensor {
        get {
            guard let tensor = tensors[name] else { preconditionFailure("decoder state has no tensor \(name)") }
            return tensor
        }
        set { tensors[name] = newValue }
    }
}

/// The interface every model family offers to training and decoding.
///
/// Training calls the teacher-forced `forward`; decoding calls `encode` once and then
/// `decodeStep` once per output token. Incremental decoding must give the same logits as
/// `forward` over the same tokens.
public protocol EncoderDecoder: Layer {
    /// The configuration the model was built from.
    var configuration: ModelConfiguration { get }

    /// Teacher-forced logits `[batch, targetLength, targetVocabulary]` for `targetInput`
    /// (which starts with the begin-of-sentence id), with the attention of every position.
    func forward(source: TokenBatch, targetInput: TokenBatch) -> (logits: Tensor, attention: AttentionMaps)

    /// Encodes the source once for step-by-step decoding.
    func encode(_ source: TokenBatch) -> DecoderState

    /// Feeds one token per batch entry; returns logits `[batch, targetVocabulary]` and the
    /// attention of this step (`queries` = 1), and advances `state`.
    func decodeStep(_ tokens: [Int], state: inout DecoderState) -> (logits: Tensor, attention: AttentionMaps)
}
