import Seq

/// One output of a search for one source sentence.
///
/// `score` is the model's log-probability of the output: the sum of `tokenLogProbabilities` plus
/// `endLogProbability` (when the hypothesis ended with `</s>`), without length penalty. Forbidden
/// tokens are removed from the choice but the remaining probabilities are not renormalised, so
/// scores are exactly the model's.
public struct Hypothesis {
    /// The output ids, without `<s>` and `</s>`.
    public var tokens: [Int]
    /// The log-probability of each token of `tokens` given the source and the tokens before it.
    public var tokenLogProbabilities: [Float]
    /// The log-probability of the closing `</s>`; `nil` when the output was cut at the length limit.
    public var endLogProbability: Float?
    /// Sum of log-probabilities over every scored position (tokens and `</s>`).
    public var score: Float
    /// `score / lp(|Y|)` with the search's length penalty (equal to `score` without one).
    public var normalizedScore: Float
    /// The attention that produced this output, when the search records it.
    public var attention: HypothesisAttention?

    /// Whether the output ended with `</s>` (rather than at the length limit).
    public var isFinished: Bool { endLogProbability != nil }

    /// The number of scored positions `|Y|`: the tokens plus `</s>` when present.
    public var scoredLength: Int { tokens.count + (isFinished ? 1 : 0) }

    public init(
        tokens: [Int], tokenLogProbabilities: [Float], endLogProbability: Float?,
        score: Float, normalizedScore: Float, attention: HypothesisAttention? = nil
    ) {
        self.tokens = tokens
        self.tokenLogProbabilities = tokenLogProbabilities
        self.endLogProbability = endLogProbability
        self.score = score
        self.normalizedScore = normalizedScore
        self.attention = attention
    }
}

/// The attention weights of one decoded hypothesis, taken from the decoder steps that actually
/// produced it (for beam search, followed back along the beam's back-pointers).
///
/// Step `i` is the decoder step that predicted output position `i` (token `i`, or `</s>` at
/// `i == tokens.count`), so there are `scoredLength` steps. Sources are cut to their true length
/// (padding removed). Lists are per layer; families without attention leave them empty.
public struct HypothesisAttention {
    /// Decoder-to-source attention per decoder layer, each `[heads, steps, sourceLength]`; rows sum to 1
    /// (for a non-empty source).
    public var cross: [Tensor]
    /// Decoder self-attention per decoder layer, each `[heads, steps, steps]`; row `i` attends over
    /// inputs `0...i` (`<s>` and the tokens before position `i`) and is 0 beyond.
    public var decoderSelf: [Tensor]
    /// Encoder self-attention per encoder layer, each `[heads, sourceLength, sourceLength]`.
    public var encoderSelf: [Tensor]

    public init(cross: [Tensor] = [], decoderSelf: [Tensor] = [], encoderSelf: [Tensor] = []) {
        self.cross = cross
        self.decoderSelf = decoderSelf
        self.encoderSelf = encoderSelf
    }
}

/// A decoding algorithm over any `EncoderDecoder`: `GreedySearch` or `BeamSearch`.
public protocol SequenceSearch: Sendable {
    /// Decodes every source sentence (ids without padding) in one batch, checking `stop` before
    /// every decoder step.
    ///
    /// - Returns: per source sentence, its hypotheses best first (by `normalizedScore`); `nil`
    ///   when `stop` was set before the search was done. Call with dropout switched off
    ///   (`model.setTraining(false)`).
    func decode(_ sources: [[Int]], model: any EncoderDecoder, stop: StopRequest?) -> [[Hypothesis]]?
}

extension SequenceSearch {
    /// Decodes every source sentence (ids without padding) in one batch, to the end.
    ///
    /// - Returns: per source sentence, its hypotheses best first (by `normalizedScore`).
    public func decode(_ sources: [[Int]], model: any EncoderDecoder) -> [[Hypothesis]] {
        // Without a stop request the search always runs to the end.
        decode(sources, model: model, stop: nil) ?? []
    }
}
