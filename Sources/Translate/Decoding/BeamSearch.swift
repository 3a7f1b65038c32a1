import Seq

/// Beam search (Sutskever et al. 2014; Wu et al. 2016 §7 for the length penalty): each sentence
/// keeps its `width` best partial hypotheses by log-probability and returns its `nBest` best
/// finished ones by length-normalised score.
///
/// **Batched.** All sentences share one decoder state whose rows are the live hypotheses of
/// every sentence, grouped by sentence (at most `batch × width` rows). A sentence starts with one
/// row (`<s>`), so the first step runs at batch size and no duplicate hypotheses arise; a
/// sentence that is done leaves the state. The state is reordered (`selecting`) only at steps
/// where the surviving rows are not already in place.
///
/// **One step.** The logits `[rows, V]` get one log-normaliser per row (no log-softmax tensor) and
/// forbidden ids masked; then per sentence a partial selection over its `rows × V` candidates
/// (`score + log p`) keeps the `2 · width` best, in order. Walking them in order, a `</s>`
/// candidate among the first `width` becomes a finished hypothesis; other candidates fill the
/// next beam until it holds `width` (fewer if the vocabulary offers fewer: a beam wider than the
/// vocabulary simply stays narrower). At the step limit the next-beam candidates are kept as
/// cut (unfinished) hypotheses instead and the sentence is done.
///
/// **Stopping rule.** A sentence is done once it holds `nBest` finished hypotheses and no live
/// hypothesis can still beat the worst of them: with `s` a live hypothesis's log-probability
/// after `n` positions and `L` the step limit, every continuation scores ≤ `s` (log-probabilities
/// are ≤ 0) and ends after `n + 1 … L` positions, so its normalised score is at most
/// `max(s / lp(n + 1), s / lp(L))` (`LengthPenalty.bestReachable`). Without length penalty this
/// is `s` itself: stop when the best live score is no better than the `nBest`-th finished score.
/// With `α > 0` a long continuation divides its (negative) score by a larger `lp`, so search goes
/// on while `s / lp(L)` could still win. The returned hypotheses are therefore the best that
/// this beam would ever finish, not an approximation by counting finished hypotheses. (A
/// `</s>` candidate ranked below `width` is dropped, as it would not have held a beam slot;
/// this keeps `width: 1` identical to greedy search.)
public struct BeamSearch: SequenceSearch {
    /// Live hypotheses kept per sentence.
    public var width: Int
    /// The GNMT length penalty used to rank finished hypotheses.
    public var lengthPenalty: LengthPenalty
    /// Finished hypotheses returned per sentence (`1...width`), best first.
    public var nBest: Int
    /// The step limit per sentence, or a fixed number of steps.
    public var outputLength: OutputLength
    /// The ids of `<pad>`, `<unk>`, `<s>`, `</s>`.
    public var specialTokens: SpecialTokens
    /// Never generate `<unk>`.
    public var forbidsUnknown: Bool
    /// Rebuild the attention of each returned hypothesis along its back-pointers.
    public var recordsAttention: Bool

    public init(
        width: Int, lengthPenalty: LengthPenalty = .none, nBest: Int = 1,
        outputLength: OutputLength = OutputLength(), specialTokens: SpecialTokens = SpecialTokens(),
        forbidsUnknown: Bool = false, recordsAttention: Bool = true
    ) {
        precondition(width >= 1, "beam width must be at least 1, got \(width)")
        precondition((1...width).contains(nBest), "nBest \(nBest) must lie in 1...\(width)")
        self.width = width
        self.lengthPenalty = lengthPenalty
        self.nBest = nBest
        self.outputLength = outputLength
        self.specialTokens = specialTokens
        self.forbidsUnknown = forbidsUnknown
        self.recordsAttention = recordsAttention
    }

    /// Decodes the sources (ids, no padding) as one batch.
    ///
    /// - Returns: per sentence, up to `nBest` hypotheses ordered by `normalizedScore` (best first);
    ///   `nil` when `stop` is set before the last step.
    public func decode(_ sources: [[Int]], model: any EncoderDecoder, stop: StopRequest?) -> [[Hypothesis]]? {
        guard !sources.isEmpty else { return [] }
        return SentenceShares.decode(sources) { run($0, model: model, stop: stop) }
    }

    /// A sentence still being searched: its rows in the current level, its finished hypotheses.
    private struct Group {
        var sentence: Int
        var start: Int
        var count: Int
        /// Best first by normalised score, at most `nBest`.
        var finished: [SearchHistory.Ending]
    }

    private func run(_ sources: [[Int]], model: any EncoderDecoder, stop: StopRequest?) -> [[Hypothesis]]? {
        let start = SearchStart(sources: sources, model: model, outputLength: outputLength, specialTokens: specialTokens)
        let vocabulary = start.vocabularySize, end = specialTokens.endOfSentence
        let scoring = StepScoring(
            specialTokens: specialTokens, forbidsUnknown: forbidsUnknown,
            forbidsEnd: outputLength.fixedSteps != nil, vocabularySize: vocabulary)
        let batchSize = sources.count, maximumRows = batchSize * width
        var state = start.state
        var history = SearchHistory(recordsAttention: recordsAttention, expectedRows: maximumRows * (start.limits.max() ?? 1))
        var results = [[Hypothesis]](repeating: [], count: batchSize)

        var groups = (0..<batchSize).map { Group(sentence: $0, start: $0, count: 1, finished: []) }
        var nextGroups: [Group] = []
        var scores = [Float](repeating: 0, count: batchSize)
        var inputs = [Int](repeating: specialTokens.beginOfSentence, count: batchSize)
        var parents: [Int] = [], nextScores: [Float] = [], nextInputs: [Int] = [], nextLogProbabilities: [Float] = []
        var normalizers: [Float] = []
        var top = TopCandidates()
        nextGroups.reserveCapacity(batchSize)
        for capacity in [maximumRows] {
            parents.reserveCapacity(capacity); nextInputs.reserveCapacity(capacity)
            nextScores.reserveCapacity(capacity); nextLogProbabilities.reserveCapacity(capacity)
            normalizers.reserveCapacity(capacity)
        }
        top.reset(capacity: 2 * width)

        var level = 0, rows = batchSize
        while !groups.isEmpty {
            if stop?.isSet == true { return nil }
            var (logits, attention) = model.decodeStep(inputs, state: &state)  // [rows, V]
            history.record(attention)
            scoring.prepare(&logits, normalizers: &normalizers)
            parents.removeAll(keepingCapacity: true)
            nextScores.removeAll(keepingCapacity: true)
            nextInputs.removeAll(keepingCapacity: true)
            nextLogProbabilities.removeAll(keepingCapacity: true)
            nextGroups.removeAll(keepingCapacity: true)
            let nextLevel = level + 1
            logits.withUnsafeBufferPointer { x in
                let logit = x.baseAddress!
                for var group in groups {
                    // The 2·width best extensions over the group's rows × vocabulary.
                    top.reset(capacity: 2 * width)
                    for r in group.start..<(group.start + group.count) {
                        let row = logit + r * vocabulary, base = scores[r], normalizer = normalizers[r]
                        // A tight compare loop; the rare entrant goes through `offer`.
                        var threshold = top.threshold
                        for v in 0..<vocabulary {
                            let candidate = base + (row[v] - normalizer)
                            if candidate > threshold {
                                top.offer(candidate, index: r * vocabulary + v)
                                threshold = top.threshold
                            }
                        }
                    }
                    let limit = start.limits[group.sentence]
                    let firstNew = parents.count
                    var live = 0, bestReachable = -Float.infinity
                    for rank in 0..<top.count {
                        let score = top.scores[rank], flat = top.indices[rank]
                        let (r, token) = flat.quotientAndRemainder(dividingBy: vocabulary)
                        let logProbability = logit[flat] - normalizers[r]
                        if token == end {
                            if rank < width {
                                insert(SearchHistory.Ending(
                                    level: level, row: r, lastToken: nil, lastLogProbability: logProbability,
                                    score: score, normalizedScore: lengthPenalty.normalize(score, length: nextLevel)),
                                    into: &group.finished)
                            }
                            continue
                        }
                        if live == width { break }
                        live += 1
                        if nextLevel == limit {
                            insert(SearchHistory.Ending(
                                level: level, row: r, lastToken: token, lastLogProbability: logProbability,
                                score: score, normalizedScore: lengthPenalty.normalize(score, length: nextLevel)),
                                into: &group.finished)
                        } else {
                            parents.append(r)
                            nextScores.append(score)
                            nextInputs.append(token)
                            nextLogProbabilities.append(logProbability)
                            bestReachable = Swift.max(
                                bestReachable, lengthPenalty.bestReachable(score: score, length: nextLevel, limit: limit))
                        }
                    }
                    let count = parents.count - firstNew
                    let done = count == 0
                        || (group.finished.count >= nBest && bestReachable <= group.finished[nBest - 1].normalizedScore)
                    if done {
                        parents.removeSubrange(firstNew...)
                        nextScores.removeSubrange(firstNew...)
                        nextInputs.removeSubrange(firstNew...)
                        nextLogProbabilities.removeSubrange(firstNew...)
                        results[group.sentence] = hypotheses(group, history: history, sources: sources, start: start)
                    } else {
                        group.start = firstNew
                        group.count = count
                        nextGroups.append(group)
                    }
                }
            }
            history.beginLevel()
            for i in parents.indices {
                history.append(parent: parents[i], token: nextInputs[i], logProbability: nextLogProbabilities[i])
            }
            if !parents.isEmpty && !(parents.count == rows && parents.indices.allSatisfy { parents[$0] == $0 }) {
                state = state.selecting(parents)
            }
            rows = parents.count
            swap(&groups, &nextGroups)
            swap(&scores, &nextScores)
            swap(&inputs, &nextInputs)
            level = nextLevel
        }
        return results
    }

    /// Adds `ending` to `list` (best first, stable for ties) if it is among the `nBest` best.
    private func insert(_ ending: SearchHistory.Ending, into list: inout [SearchHistory.Ending]) {
        var position = list.count
        while position > 0 && list[position - 1].normalizedScore < ending.normalizedScore { position -= 1 }
        guard position < nBest else { return }
        list.insert(ending, at: position)
        if list.count > nBest { list.removeLast() }
    }

    private func hypotheses(_ group: Group, history: SearchHistory, sources: [[Int]], start: SearchStart) -> [Hypothesis] {
        let sentence = group.sentence
        guard !group.finished.isEmpty else {
            // Nothing could be generated at all (every id forbidden): an empty, impossible output.
            return [Hypothesis(tokens: [], tokenLogProbabilities: [], endLogProbability: -.infinity,
                               score: -.infinity, normalizedScore: -.infinity)]
        }
        return group.finished.map {
            history.hypothesis($0, sentence: sentence, sourceLength: sources[sentence].count, encoderAttention: start.encoderAttention)
        }
    }
}
