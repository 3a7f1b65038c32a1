/// Attention of one decoder query over the encoder's annotations of a padded source batch.
///
/// A scoring function rates every source position against the query; the weights are a softmax
/// over the non-padding positions (exactly 0 on padding) and the context is the weighted sum of
/// the annotations (Bahdanau et al. 2015, §3.1, eqs. 5–6):
/// ```
/// α_j = exp(e_j) / Σ_k exp(e_k)      over non-padding j, k
/// c   = Σ_j α_j h_j
/// ```
/// Whatever part of the scoring depends only on the source is computed once per source by
/// `keys(for:)` and kept in the decoder state, so a decoding step costs one query projection.
public protocol SourceAttention: Layer {
    /// The width of the query (the decoder state).
    var querySize: Int { get }
    /// The width of each annotation `h_j`.
    var memorySize: Int { get }

    /// The source-only part of the scores: `[batch, sourceLength, memorySize]` → `[batch, sourceLength, keySize]`.
    func keys(for memory: Tensor) -> Tensor

    /// Unnormalised scores `e_j`: query `[batch, querySize]` against keys → `[batch, sourceLength]`.
    func scores(query: Tensor, keys: Tensor) -> Tensor
}

extension SourceAttention {
    /// Attends from `query` over `memory`.
    ///
    /// - Parameters:
    ///   - query: `[batch, querySize]`.
    ///   - keys: `keys(for: memory)`, computed once per source.
    ///   - memory: the annotations `[batch, sourceLength, memorySize]`.
    ///   - sourceLengths: the true length of each source; later positions are padding.
    /// - Returns: `context` `[batch, memorySize]` and `weights` `[batch, sourceLength]`.
    public func callAsFunction(
        query: Tensor, keys: Tensor, memory: Tensor, sourceLengths: [Int]
    ) -> (context: Tensor, weights: Tensor) {
        precondition(memory.rank == 3 && memory.shape[2] == memorySize, "memory must be [batch, length, \(memorySize)], got \(memory.shape)")
        precondition(query.rank == 2 && query.shape[1] == querySize, "query must be [batch, \(querySize)], got \(query.shape)")
        let batch = memory.shape[0], length = memory.shape[1]
        precondition(query.shape[0] == batch && sourceLengths.count == batch, "query, memory and lengths disagree on the batch size")
        // A batch of empty sources: nothing to attend to (and nothing to score, which would need
        // broadcasting over a zero-length axis).
        guard length > 0 else { return (Tensor(zeros: [batch, memorySize]), Tensor(zeros: [batch, 0])) }
        let weights = maskedSoftmax(scores(query: query, keys: keys), lengths: sourceLengths)  // [batch, length]
        // [batch, 1, length] · [batch, length, memory] → [batch, 1, memory]
        let context = Tensor.matmul(weights.reshaped([batch, 1, length]), memory).reshaped([batch, memorySize])
        return (context, weights)
    }
}

/// Softmax over the last axis of `scores` `[batch, length]` restricted to each row's first
/// `lengths[b]` positions: later positions get exactly 0.
///
/// Padding is filled with the most negative finite float rather than −∞: `exp` of it underflows
/// to exactly 0 without the NaN that −∞ − (−∞) would give in a row with no real position. Such a
/// row (an empty source) gets all-zero weights, hence a zero context.
func maskedSoftmax(_ scores: Tensor, lengths: [Int]) -> Tensor {
    let batch = scores.shape[0], length = scores.shape[1]
    guard lengths.contains(where: { $0 < length }) else { return scores.softmax() }
    var mask = [Float](repeating: 0, count: batch * length)
    for (b, n) in lengths.enumerated() where n < length {
        for j in n..<length { mask[b * length + j] = 1 }
    }
    let weights = scores.maskedFill(Tensor(shape: [batch, length], scalars: mask), with: -Float.greatestFiniteMagnitude).softmax()
    guard lengths.contains(0) else { return weights }
    return weights * Tensor(shape: [batch, 1], scalars: lengths.map { $0 > 0 ? 1 : 0 })
}
