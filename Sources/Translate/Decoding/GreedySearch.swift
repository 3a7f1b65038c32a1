import Seq

/// Greedy decoding: at every step each sentence takes its most probable next token, until it
/// produces `</s>` or reaches its step limit (Sutskever et al. 2014, §3.2 with a beam of 1).
///
/// The whole batch is decoded together; a sentence leaves the batch (its decoder-state rows are
/// dropped, one `selecting` per step at which any sentence ends) as soon as it is done. Ties go to
/// the lower id. `BeamSearch(width: 1)` returns the same hypotheses (tested).
public struct GreedySearch: SequenceSearch {
    /// The step limit per sentence, or a fixed number of steps.
    public var outputLength: OutputLength
    /// The ids of `<pad>`, `<unk>`, `<s>`, `</s>`.
    public var specialTokens: SpecialTokens
    /// Never generate `<unk>`.
    public var forbidsUnknown: Bool
    /// Rebuild the attention of each output (costs memory for every step's weights).
    public var recordsAttention: Bool

    public init(
        outputLength: OutputLength = OutputLength(), specialTokens: SpecialTokens = SpecialTokens(),
        forbidsUnknown: Bool = false, recordsAttention: Bool = true
    ) {
        self.outputLength = outputLength
        self.specialTokens = specialTokens
        self.forbidsUnknown = forbidsUnknown
        self.recordsAttention = recordsAttention
    }

    /// Decodes the sources (ids, no padding) as one batch; one hypothesis per sentence, or `nil`
    /// when `stop` is set before the last step.
    public func decode(_ sources: [[Int]], model: any EncoderDecoder, stop: StopRequest?) -> [[Hypothesis]]? {
        guard !sources.isEmpty else { return [] }
        return SentenceShares.decode(sources) { run($0, model: model, stop: stop) }
    }

    private func run(_ sources: [[Int]], model: any EncoderDecoder, stop: StopRequest?) -> [[Hypothesis]]? {
        let start = SearchStart(sources: sources, model: model, outputLength: outputLength, specialTokens: specialTokens)
        let vocabulary = start.vocabularySize, end = specialTokens.endOfSentence
        let scoring = StepScoring(
            specialTokens: specialTokens, forbidsUnknown: forbidsUnknown,
            forbidsEnd: outputLength.fixedSteps != nil, vocabularySize: vocabulary)
        var state = start.state
        var history = SearchHistory(recordsAttention: recordsAttention, expectedRows: sources.count * (start.limits.max() ?? 1))
        var results = [[Hypothesis]](repeating: [], count: sources.count)

        // Per row of the current level (the decoder state's batch): its sentence, score and input.
        var sentences = Array(sources.indices)
        var scores = [Float](repeating: 0, count: sources.count)
        var inputs = [Int](repeating: specialTokens.beginOfSentence, count: sources.count)
        var kept: [Int] = [], nextSentences: [Int] = [], nextScores: [Float] = [], nextInputs: [Int] = []
        var normalizers: [Float] = []
        kept.reserveCapacity(sources.count)
        nextSentences.reserveCapacity(sources.count)
        nextScores.reserveCapacity(sources.count)
        nextInputs.reserveCapacity(sources.count)
        normalizers.reserveCapacity(sources.count)

        var level = 0
        while !sentences.isEmpty {
            if stop?.isSet == true { return nil }
            var (logits, attention) = model.decodeStep(inputs, state: &state)  // [rows, V]
            history.record(attention)
            scoring.prepare(&logits, normalizers: &normalizers)
            history.beginLevel()
            kept.removeAll(keepingCapacity: true)
            nextSentences.removeAll(keepingCapacity: true)
            nextScores.removeAll(keepingCapacity: true)
            nextInputs.removeAll(keepingCapacity: true)
            let largest = logits.argmaxLastAxis()
            logits.withUnsafeBufferPointer { x in
                for r in sentences.indices {
                    let row = x.baseAddress! + r * vocabulary
                    // The largest logit is the most probable token; −1 when every id is forbidden.
                    let token = row[largest[r]] > -.infinity ? largest[r] : -1
                    let normalizer = normalizers[r]
                    let best = token < 0 ? -.infinity : scores[r] + (row[token] - normalizer)
                    let sentence = sentences[r]
                    if token < 0 || token == end || level + 1 == start.limits[sentence] {
                        // Done: `</s>` (or nothing left to generate), or cut at the limit.
                        let ending = SearchHistory.Ending(
                            level: level, row: r, lastToken: token < 0 || token == end ? nil : token,
                            lastLogProbability: token < 0 ? -.infinity : row[token] - normalizer,
                            score: best, normalizedScore: best)
                        results[sentence] = [history.hypothesis(
                            ending, sentence: sentence, sourceLength: sources[sentence].count,
                            encoderAttention: start.encoderAttention)]
                    } else {
                        history.append(parent: r, token: token, logProbability: row[token] - normalizer)
                        kept.append(r)
                        nextSentences.append(sentence)
                        nextScores.append(best)
                        nextInputs.append(token)
                    }
                }
            }
            if kept.count != sentences.count && !kept.isEmpty { state = state.selecting(kept) }
            swap(&sentences, &nextSentences)
            swap(&scores, &nextScores)
            swap(&inputs, &nextInputs)
            level += 1
        }
        return results
    }
}
