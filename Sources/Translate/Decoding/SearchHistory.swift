import Seq

/// What a search has decoded so far, kept as back-pointers so that finished hypotheses can be
/// rebuilt at the end without copying token lists at every step.
///
/// Level `k` holds the live rows after `k` tokens, in the order of the decoder state's batch:
/// level 0 is one `<s>` row per sentence (not stored); each row of level `k ≥ 1` stores its
/// parent row in level `k − 1`, its last token and that token's log-probability. Step `t` is the
/// decoder step run on the rows of level `t`; its attention (`[rows, heads, 1, keys]` per layer)
/// is kept as the model returned it, so recording costs no copy.
///
/// A hypothesis ends as an `Ending`: a row of some level plus the last scored position (`</s>`,
/// or a last token when cut at the length limit); it is rebuilt by following parents to level 0.
struct SearchHistory {
    /// Where each level's rows start in the flat arrays (`levelStart[k − 1]` for level `k`).
    private var levelStart: [Int] = []
    private var parents: [Int32] = []
    private var tokens: [Int32] = []
    private var logProbabilities: [Float] = []
    private var attention: [AttentionMaps] = []
    let recordsAttention: Bool

    init(recordsAttention: Bool, expectedRows: Int) {
        self.recordsAttention = recordsAttention
        parents.reserveCapacity(expectedRows)
        tokens.reserveCapacity(expectedRows)
        logProbabilities.reserveCapacity(expectedRows)
    }

    /// The number of stored levels after level 0.
    var levels: Int { levelStart.count }

    /// Keeps the attention of the step just run (on the rows of the current level).
    mutating func record(_ maps: AttentionMaps) {
        if recordsAttention { attention.append(maps) }
    }

    /// Starts the next level; rows follow with `append`.
    mutating func beginLevel() { levelStart.append(parents.count) }

    mutating func append(parent: Int, token: Int, logProbability: Float) {
        parents.append(Int32(parent))
        tokens.append(Int32(token))
        logProbabilities.append(logProbability)
    }

    /// How a hypothesis ends: the row it continues (of level `level`), the position scored from it.
    struct Ending {
        /// The level of the row the last position was predicted from (the number of tokens before it).
        var level: Int
        var row: Int
        /// The last token when the hypothesis was cut at the length limit; `nil` when it ended with `</s>`.
        var lastToken: Int?
        var lastLogProbability: Float
        var score: Float
        var normalizedScore: Float
    }

    /// Rebuilds a hypothesis. `sentence` indexes `encoderAttention`'s batch; `sourceLength` cuts padding.
    func hypothesis(
        _ ending: Ending, sentence: Int, sourceLength: Int, encoderAttention: [Tensor]
    ) -> Hypothesis {
        // rows[k] = the row of level k on the path, k = 0...level.
        var rows = [Int](repeating: 0, count: ending.level + 1)
        rows[ending.level] = ending.row
        var outputTokens = [Int](repeating: 0, count: ending.level)
        var outputLogProbabilities = [Float](repeating: 0, count: ending.level)
        var k = ending.level
        while k > 0 {
            let flat = levelStart[k - 1] + rows[k]
            outputTokens[k - 1] = Int(tokens[flat])
            outputLogProbabilities[k - 1] = logProbabilities[flat]
            rows[k - 1] = Int(parents[flat])
            k -= 1
        }
        var endLogProbability: Float? = ending.lastLogProbability
        if let last = ending.lastToken {
            outputTokens.append(last)
            outputLogProbabilities.append(ending.lastLogProbability)
            endLogProbability = nil
        }
        let maps = recordsAttention
            ? attentionAlong(rows, sourceLength: sourceLength, sentence: sentence, encoderAttention: encoderAttention)
            : nil
        return Hypothesis(
            tokens: outputTokens, tokenLogProbabilities: outputLogProbabilities, endLogProbability: endLogProbability,
            score: ending.score, normalizedScore: ending.normalizedScore, attention: maps)
    }

    /// The attention of steps `0..<rows.count`, step `t` taken at row `rows[t]`.
    private func attentionAlong(
        _ rows: [Int], sourceLength: Int, sentence: Int, encoderAttention: [Tensor]
    ) -> HypothesisAttention {
        let steps = rows.count
        precondition(attention.count >= steps, "attention recorded for \(attention.count) steps, need \(steps)")
        var result = HypothesisAttention()
        let layers = attention.first?.cross.count ?? 0
        for layer in 0..<layers {
            result.cross.append(gather(steps: steps, rows: rows, width: sourceLength) { attention[$0].cross[layer] })
        }
        let selfLayers = attention.first?.decoderSelf.count ?? 0
        for layer in 0..<selfLayers {
            result.decoderSelf.append(gather(steps: steps, rows: rows, width: steps) { attention[$0].decoderSelf[layer] })
        }
        for weights in encoderAttention {
            // [batch, heads, S, S] → [heads, sourceLength, sourceLength]
            let heads = weights.shape[1], padded = weights.shape[3]
            var out = Tensor(zeros: [heads, sourceLength, sourceLength])
            weights.withUnsafeBufferPointer { w in
                out.withUnsafeMutableBufferPointer { o in
                    for h in 0..<heads {
                        for i in 0..<sourceLength {
                            let from = ((sentence * heads + h) * padded + i) * padded
                            let to = (h * sourceLength + i) * sourceLength
                            for j in 0..<sourceLength { o[to + j] = w[from + j] }
                        }
                    }
                }
            }
            result.encoderSelf.append(out)
        }
        return result
    }

    /// `[heads, steps, width]` from per-step tensors `[rows, heads, 1, keys]`: row `rows[t]` of
    /// step `t`, its first `min(keys, width)` keys (the rest stays 0).
    private func gather(steps: Int, rows: [Int], width: Int, tensorAt: (Int) -> Tensor) -> Tensor {
        let heads = tensorAt(0).shape[1]
        var out = Tensor(zeros: [heads, steps, width])
        out.withUnsafeMutableBufferPointer { o in
            for t in 0..<steps {
                let weights = tensorAt(t)
                precondition(weights.rank == 4 && weights.shape[2] == 1, "step attention \(weights.shape) is not [rows, heads, 1, keys]")
                let keys = weights.shape[3], used = Swift.min(keys, width)
                weights.withUnsafeBufferPointer { w in
                    for h in 0..<heads {
                        let from = (rows[t] * heads + h) * keys
                        let to = (h * steps + t) * width
                        for j in 0..<used { o[to + j] = w[from + j] }
                    }
                }
            }
        }
        return out
    }
}
