import Foundation
import Seq
import TestSupport
import Testing
import Translate

// Ids as in Text's Vocabulary: <pad> 0, <unk> 1, <s> 2, </s> 3; content ids from 4.
private let special = SpecialTokens()

/// A small untrained model of `kind`, dropout off.
private func tinyModel(_ kind: ModelKind, vocabulary: Int = 20, seed: UInt64 = 7) throws -> any EncoderDecoder {
    var c = ModelConfiguration()
    c.kind = kind
    c.sourceVocabularySize = vocabulary
    c.targetVocabularySize = vocabulary
    c.embeddingSize = 16
    c.hiddenSize = 16
    c.attentionSize = 16
    c.heads = 2
    c.feedForwardSize = 32
    c.encoderLayers = 2
    c.decoderLayers = 2
    c.bidirectionalEncoder = kind != .transformer
    let model = try c.makeModel(generator: RandomGenerator(seed: seed))
    model.setTraining(false)
    return model
}

/// Random content sentences (ids ≥ 4) of the given lengths.
private func sentences(_ lengths: [Int], vocabulary: Int, seed: UInt64) -> [[Int]] {
    let generator = RandomGenerator(seed: seed)
    return lengths.map { n in (0..<n).map { _ in 4 + Int(generator.next() % UInt64(vocabulary - 4)) } }
}

/// The model's log-probability of `tokens` (+ `</s>` when `finished`), teacher-forced through
/// `forward` and `logSoftmax`: independent of the search's own scoring.
private func teacherForcedScore(_ model: any EncoderDecoder, source: [Int], tokens: [Int], finished: Bool) -> Float {
    withoutGradients {
        let targets = tokens + (finished ? [special.endOfSentence] : [])
        let input = [special.beginOfSentence] + targets.dropLast()
        let (logits, _) = model.forward(
            source: TokenBatch([source], paddingID: 0), targetInput: TokenBatch([Array(input)], paddingID: 0))
        let logProbabilities = logits.logSoftmax().scalars  // [1, T, V]
        let vocabulary = model.configuration.targetVocabularySize
        return targets.enumerated().reduce(Float(0)) { $0 + logProbabilities[$1.offset * vocabulary + $1.element] }
    }
}

// MARK: - A scripted model

/// An `EncoderDecoder` whose next-token log-probabilities are a function of the source and the
/// prefix decoded so far, with a counter of decoder steps. Its state keeps each row's source id
/// and prefix as batch-major tensors, so beam reordering goes through `DecoderState.selecting`.
private final class ScriptedModel: EncoderDecoder {
    let configuration: ModelConfiguration
    /// Log-probabilities (or any logits) of the next token given (source, prefix).
    let script: (_ source: [Int], _ prefix: [Int]) -> [Float]
    var steps = 0
    private static let width = 64

    init(vocabulary: Int, script: @escaping (_ source: [Int], _ prefix: [Int]) -> [Float]) {
        var c = ModelConfiguration()
        c.targetVocabularySize = vocabulary
        c.sourceVocabularySize = vocabulary
        configuration = c
        self.script = script
    }

    func forward(source: TokenBatch, targetInput: TokenBatch) -> (logits: Tensor, attention: AttentionMaps) {
        fatalError("not used by search")
    }

    func encode(_ source: TokenBatch) -> DecoderState {
        var sources = [Float](repeating: -1, count: source.batchSize * Self.width)
        for b in 0..<source.batchSize {
            for t in 0..<source.lengths[b] { sources[b * Self.width + t] = Float(source.ids[b * source.length + t]) }
        }
        return DecoderState(
            tensors: [
                "source": Tensor(shape: [source.batchSize, Self.width], scalars: sources),
                "prefix": Tensor(repeating: -1, shape: [source.batchSize, Self.width]),
            ],
            sourceLengths: source.lengths)
    }

    func decodeStep(_ tokens: [Int], state: inout DecoderState) -> (logits: Tensor, attention: AttentionMaps) {
        steps += 1
        let batch = tokens.count, vocabulary = configuration.targetVocabularySize
        var prefixes = state["prefix"].scalars
        let sources = state["source"].scalars
        var logits: [Float] = []
        for b in 0..<batch {
            // The prefix excludes <s>: tokens fed after the first step.
            if state.step > 0 { prefixes[b * Self.width + state.step - 1] = Float(tokens[b]) }
            let prefix = (0..<state.step).map { Int(prefixes[b * Self.width + $0]) }
            let source = sources[(b * Self.width)...].prefix { $0 >= 0 }.map { Int($0) }
            let row = script(source, prefix)
            precondition(row.count == vocabulary)
            logits += row
        }
        state["prefix"] = Tensor(shape: [batch, Self.width], scalars: prefixes)
        state.step += 1
        return (Tensor(shape: [batch, vocabulary], scalars: logits), AttentionMaps())
    }

    func visit(_ visitor: inout LayerVisitor) {}
}

/// Log-probabilities over 8 ids with the given probabilities for some ids, the rest of the mass
/// spread evenly over the other content ids (4…7).
private func distribution(_ probabilities: [Int: Double]) -> [Float] {
    let vocabulary = 8
    let rest = 1 - probabilities.values.reduce(0, +)
    let others = (4..<vocabulary).filter { probabilities[$0] == nil }
    var row = [Float](repeating: -.infinity, count: vocabulary)
    for (id, p) in probabilities { row[id] = Float(log(p)) }
    for id in others { row[id] = Float(log(max(rest, 1e-12) / Double(others.count))) }
    return row
}

@Suite("Greedy and beam search")
struct SearchTests {
    // MARK: Width 1 is greedy

    @Test("beam width 1 equals greedy (tokens, scores, attention) for every family", arguments: ModelKind.allCases)
    func widthOneIsGreedy(kind: ModelKind) throws {
        let model = try tinyModel(kind)
        let sources = sentences([5, 1, 7, 3], vocabulary: 20, seed: 1)
        for length in [OutputLength(ratio: 1.5, offset: 2, maximum: 12), .fixed(6)] {
            let greedy = GreedySearch(outputLength: length).decode(sources, model: model)
            let beam = BeamSearch(width: 1, outputLength: length).decode(sources, model: model)
            #expect(greedy.count == sources.count && beam.count == sources.count)
            for (g, b) in zip(greedy, beam) {
                #expect(g.count == 1 && b.count == 1)
                #expect(g[0].tokens == b[0].tokens)
                #expect(g[0].score == b[0].score)
                #expect(g[0].tokenLogProbabilities == b[0].tokenLogProbabilities)
                #expect(g[0].endLogProbability == b[0].endLogProbability)
                let ga = try #require(g[0].attention), ba = try #require(b[0].attention)
                #expect(ga.cross.map(\.scalars) == ba.cross.map(\.scalars))
                #expect(ga.decoderSelf.map(\.scalars) == ba.decoderSelf.map(\.scalars))
            }
        }
    }

    // MARK: Scores

    @Test("reported scores are the model's log-probabilities, checked teacher-forced", arguments: ModelKind.allCases)
    func scoresMatchTeacherForcing(kind: ModelKind) throws {
        let model = try tinyModel(kind)
        let sources = sentences([4, 6], vocabulary: 20, seed: 2)
        let results = BeamSearch(width: 3, nBest: 3, outputLength: OutputLength(ratio: 1, offset: 2, maximum: 8))
            .decode(sources, model: model)
        for (source, hypotheses) in zip(sources, results) {
            for h in hypotheses {
                let expected = teacherForcedScore(model, source: source, tokens: h.tokens, finished: h.isFinished)
                #expect(abs(h.score - expected) < 1e-4, "\(kind) \(h.tokens): \(h.score) vs \(expected)")
                let parts = h.tokenLogProbabilities.reduce(0, +) + (h.endLogProbability ?? 0)
                #expect(abs(h.score - parts) < 1e-4)
                #expect(!h.tokens.contains { [0, 2, 3].contains($0) })
            }
        }
    }

    @Test("n-best lists are ordered by normalised score and hold at most nBest", arguments: [Float(0), 0.6, 1.5])
    func nBestOrdered(alpha: Float) throws {
        let model = try tinyModel(.transformer)
        let sources = sentences([3, 5, 8, 2], vocabulary: 20, seed: 3)
        let search = BeamSearch(width: 6, lengthPenalty: LengthPenalty(alpha: alpha), nBest: 4,
                                outputLength: OutputLength(ratio: 1, offset: 3, maximum: 10))
        for hypotheses in search.decode(sources, model: model) {
            #expect((1...4).contains(hypotheses.count))
            for (a, b) in zip(hypotheses, hypotheses.dropFirst()) { #expect(a.normalizedScore >= b.normalizedScore) }
            for h in hypotheses {
                let expected = LengthPenalty(alpha: alpha).normalize(h.score, length: h.scoredLength)
                #expect(abs(h.normalizedScore - expected) <= 1e-6 * abs(expected))
            }
            #expect(Set(hypotheses.map(\.tokens)).count == hypotheses.count, "distinct hypotheses")
        }
    }

    // MARK: Exact search on a tiny vocabulary

    @Test("a beam as wide as the hypothesis space finds the exhaustive ranking", arguments: [Float(0), 1])
    func exhaustive(alpha: Float) throws {
        // Vocabulary 6: content ids 4 and 5; <unk> forbidden; at most 3 steps. The hypotheses are
        // every ≤2-token sequence + </s> and every 3-token sequence cut at the limit: 1+2+4+8 = 15.
        let model = try tinyModel(.transformer, vocabulary: 6, seed: 11)
        let source = [4, 5, 5, 4]
        let penalty = LengthPenalty(alpha: alpha)
        var all: [(tokens: [Int], finished: Bool, normalized: Float)] = []
        func extend(_ prefix: [Int]) {
            if prefix.count == 3 {
                let s = teacherForcedScore(model, source: source, tokens: prefix, finished: false)
                all.append((prefix, false, penalty.normalize(s, length: 3)))
                return
            }
            let s = teacherForcedScore(model, source: source, tokens: prefix, finished: true)
            all.append((prefix, true, penalty.normalize(s, length: prefix.count + 1)))
            for token in [4, 5] { extend(prefix + [token]) }
        }
        extend([])
        all.sort { $0.normalized > $1.normalized }
        #expect(all.count == 15)
        let limit = OutputLength(ratio: 0, offset: 3, maximum: 3)
        let found = BeamSearch(width: 16, lengthPenalty: penalty, nBest: 15, outputLength: limit, forbidsUnknown: true)
            .decode([source], model: model)[0]
        #expect(found.count == 15)
        for (h, e) in zip(found, all) {
            #expect(h.tokens == e.tokens && h.isFinished == e.finished)
            #expect(abs(h.normalizedScore - e.normalized) < 1e-4)
        }
        // The true best is also found by any beam of width ≥ the live hypotheses per level (8).
        let narrow = BeamSearch(width: 8, lengthPenalty: penalty, outputLength: limit, forbidsUnknown: true)
            .decode([source], model: model)[0][0]
        #expect(narrow.tokens == all[0].tokens && abs(narrow.normalizedScore - all[0].normalized) < 1e-4)
        // And never a worse best than greedy.
        let greedy = GreedySearch(outputLength: limit, forbidsUnknown: true).decode([source], model: model)[0][0]
        #expect(narrow.normalizedScore >= penalty.normalize(greedy.score, length: greedy.scoredLength) - 1e-6)
    }

    // MARK: Stopping, length penalty and special ids, with a scripted model

    @Test("without length penalty the search stops as soon as no live hypothesis can beat the finished one")
    func stopsWithoutPenalty() {
        // Step 0: </s> 0.5, id 4 0.3, the rest 0.2 over ids 5–7. The live best (log 0.3) can only
        // fall, so the finished empty output wins after one step.
        let model = ScriptedModel(vocabulary: 8) { _, prefix in
            prefix.isEmpty ? distribution([3: 0.5, 4: 0.3]) : distribution([3: 0.9])
        }
        let result = BeamSearch(width: 3, nBest: 1).decode([[4, 5]], model: model)[0]
        #expect(model.steps == 1)
        #expect(result.count == 1 && result[0].tokens == [] && result[0].isFinished)
        #expect(abs(result[0].score - Float(log(0.5))) < 1e-6)
    }

    @Test("without length penalty the search goes on while a live hypothesis is still ahead")
    func continuesWhileAhead() {
        // Greedy takes id 4 (0.6), then 6 (0.35), then </s>: 0.208. Beam also keeps id 5 (0.4), whose
        // </s> has 0.9: 0.36.
        let model = ScriptedModel(vocabulary: 8) { _, prefix in
            switch prefix {
            case []: distribution([4: 0.6, 5: 0.4 - 1e-6])
            case [4]: distribution([3: 0.3, 6: 0.35])
            case [5]: distribution([3: 0.9])
            default: distribution([3: 0.99])
            }
        }
        let greedy = GreedySearch().decode([[4]], model: model)[0][0]
        #expect(greedy.tokens == [4, 6])
        let beam = BeamSearch(width: 2, nBest: 2).decode([[4]], model: model)[0]
        #expect(beam.map(\.tokens) == [[5], [4, 6]])
        #expect(abs(beam[0].score - Float(log(0.4 * 0.9))) < 1e-5)
        #expect(beam[0].score > greedy.score)
    }

    @Test("with a length penalty the search continues while a longer output could still win, then stops")
    func stopsWithPenalty() {
        // Step 0: </s> 0.5, id 4 0.3. Without penalty the live best (log 0.3) cannot beat log 0.5:
        // one step. With α = 1 and a limit of 10 steps, log 0.3 / lp(10) = −1.204 / 2.5 could still
        // beat −0.693, so search goes on; after 4, </s> at 0.99 gives log(0.297) / (7/6) = −1.04
        // and the rest (≤ 0.003) can no longer win: two steps.
        let model = ScriptedModel(vocabulary: 8) { _, prefix in
            prefix.isEmpty ? distribution([3: 0.5, 4: 0.3]) : distribution([3: 0.99])
        }
        let length = OutputLength(ratio: 0, offset: 10, maximum: 10)
        let plain = BeamSearch(width: 2, outputLength: length).decode([[4]], model: model)[0]
        #expect(model.steps == 1 && plain[0].tokens == [])
        model.steps = 0
        let penalised = BeamSearch(width: 2, lengthPenalty: 1, outputLength: length).decode([[4]], model: model)[0]
        #expect(model.steps == 2 && penalised[0].tokens == [])
        model.steps = 0
        let both = BeamSearch(width: 2, lengthPenalty: 1, nBest: 2, outputLength: length).decode([[4]], model: model)[0]
        #expect(model.steps == 2)
        #expect(both.map(\.tokens) == [[], [4]])
        #expect(abs(both[0].normalizedScore - Float(log(0.5))) < 1e-5)
        #expect(abs(both[1].normalizedScore - Float(log(0.3 * 0.99)) / (7.0 / 6.0)) < 1e-5)

        // A length penalty can make the longer output win: log 0.4 = −0.92 against
        // log(0.35 · 0.999) / (7/6)³ = −0.66 with α = 3.
        let favoursLong = ScriptedModel(vocabulary: 8) { _, prefix in
            prefix.isEmpty ? distribution([3: 0.4, 4: 0.35]) : distribution([3: 0.999])
        }
        let long = BeamSearch(width: 2, lengthPenalty: 3, outputLength: length).decode([[4]], model: favoursLong)[0][0]
        let short = BeamSearch(width: 2, outputLength: length).decode([[4]], model: favoursLong)[0][0]
        #expect(short.tokens == [])
        #expect(long.tokens == [4])
    }

    @Test("<pad> and <s> are never generated; <unk> only when allowed")
    func forbiddenIds() {
        // The first step prefers <pad>, then <s>, then <unk>, then </s>; later steps want </s>.
        let first: [Float] = [0, -0.1, -0.2, -0.3, -5, -5, -5, -5]
        let model = ScriptedModel(vocabulary: 8) { _, prefix in
            prefix.isEmpty ? first : [-20, -20, -20, 0, -20, -20, -20, -20]
        }
        for search in [GreedySearch() as any SequenceSearch, BeamSearch(width: 3)] {
            let allowed = search.decode([[4]], model: model)[0][0]
            #expect(allowed.tokens == [1])  // <unk>, then </s>
            #expect(allowed.isFinished)
        }
        let greedy = GreedySearch(forbidsUnknown: true).decode([[4]], model: model)[0][0]
        let beam = BeamSearch(width: 3, forbidsUnknown: true).decode([[4]], model: model)[0][0]
        #expect(greedy.tokens == [] && beam.tokens == [])
        // Scores are the model's log-probabilities: not renormalised after removing ids.
        let logNormalizer = log(first.map { exp(Double($0)) }.reduce(0, +))
        #expect(abs(greedy.score - Float(-0.3 - logNormalizer)) < 1e-5)
    }

    @Test("special ids are parameters")
    func otherSpecialIds() {
        // Benchmark layout: <pad> 0, <s> 1, </s> 2 (and no <unk>: an id outside the vocabulary).
        // The model prefers <pad> and <s> throughout; then id 3 twice, then </s>.
        let ids = SpecialTokens(padding: 0, unknown: -1, beginOfSentence: 1, endOfSentence: 2)
        let model = ScriptedModel(vocabulary: 8) { _, prefix in
            prefix.count < 2 ? [1, 0.5, -20, 0, -20, -20, -20, -20] : [1, 0.5, 0, -20, -20, -20, -20, -20]
        }
        for search in [GreedySearch(specialTokens: ids) as any SequenceSearch, BeamSearch(width: 2, specialTokens: ids)] {
            let result = search.decode([[4]], model: model)[0][0]
            #expect(result.tokens == [3, 3])
            #expect(result.isFinished)
        }
    }

    @Test("the output length limit follows the source length and cuts unfinished outputs")
    func lengthLimit() {
        let never = ScriptedModel(vocabulary: 8) { _, _ in distribution([4: 0.9]) }  // </s> impossible
        let length = OutputLength(ratio: 1.5, offset: 1, maximum: 9)
        let sources = [[4], [4, 4, 4, 4], [4, 4, 4, 4, 4, 4, 4, 4]]
        for search in [GreedySearch(outputLength: length) as any SequenceSearch, BeamSearch(width: 3, nBest: 2, outputLength: length)] {
            let results = search.decode(sources, model: never)
            #expect(results.map { $0[0].tokens.count } == [2, 7, 9])
            #expect(results.allSatisfy { !$0[0].isFinished && $0[0].endLogProbability == nil })
        }
    }

    @Test("fixed steps decode exactly N steps, ignoring </s>")
    func fixedSteps() throws {
        let eager = ScriptedModel(vocabulary: 8) { _, _ in distribution([3: 0.9]) }
        let greedy = GreedySearch(outputLength: .fixed(20)).decode([[4], [5, 6]], model: eager)
        #expect(eager.steps == 20)
        #expect(greedy.allSatisfy { $0[0].tokens.count == 20 && !$0[0].isFinished })
        let model = try tinyModel(.transformer)
        let beam = BeamSearch(width: 5, outputLength: .fixed(20)).decode(sentences([6, 9], vocabulary: 20, seed: 4), model: model)
        #expect(beam.allSatisfy { $0[0].tokens.count == 20 })
    }

    // MARK: Stopping early on request

    @Test("a stop request ends the search before its next decoder step")
    func stopRequestEndsSearch() {
        for width in [1, 3] {
            let stop = StopRequest()
            // Every prefix gets the same spread-out distribution, so no sentence ends before its
            // limit of 12 steps; the request is set during the third step.
            let model = ScriptedModel(vocabulary: 8) { _, prefix in
                if prefix.count == 2 { stop.set() }
                return distribution([4: 0.4, 5: 0.3])
            }
            let search: any SequenceSearch = width == 1 ? GreedySearch(outputLength: .fixed(12))
                                                        : BeamSearch(width: width, outputLength: .fixed(12))
            let sources = [[4], [5, 6], [7]]
            #expect(search.decode(sources, model: model, stop: stop) == nil, "width \(width)")
            #expect(model.steps == 3, "width \(width): \(model.steps) steps")
            // With a request that is never set, the same search runs to the limit.
            let unstopped = ScriptedModel(vocabulary: 8) { _, _ in distribution([4: 0.4, 5: 0.3]) }
            let full = search.decode(sources, model: unstopped, stop: StopRequest())
            #expect(unstopped.steps == 12)
            #expect(full?.count == 3 && full!.allSatisfy { $0[0].tokens.count == 12 })
        }
    }

    @Test("a batch decoded in sentence shares stops as a whole", arguments: [1, 4])
    func stopRequestEndsShares(width: Int) throws {
        let model = try tinyModel(.transformer)
        let sources = sentences(Array(repeating: 5, count: 20), vocabulary: 20, seed: 6)
        let search: any SequenceSearch = width == 1 ? GreedySearch(outputLength: .fixed(6)) : BeamSearch(width: width, outputLength: .fixed(6))
        let stop = StopRequest()
        stop.set()
        #expect(search.decode(sources, model: model, stop: stop) == nil)
        #expect(search.decode(sources, model: model, stop: StopRequest())?.count == 20)
    }

    // MARK: Batching and edge cases

    @Test("a padded batch gives each sentence what it gets alone", arguments: ModelKind.allCases)
    func batchEqualsAlone(kind: ModelKind) throws {
        let model = try tinyModel(kind)
        let sources = sentences([2, 9, 5, 1, 6], vocabulary: 20, seed: 5)
        let length = OutputLength(ratio: 1, offset: 3, maximum: 12)
        for search in [GreedySearch(outputLength: length) as any SequenceSearch,
                       BeamSearch(width: 4, lengthPenalty: 0.6, nBest: 3, outputLength: length)] {
            let batched = search.decode(sources, model: model)
            for (source, together) in zip(sources, batched) {
                let alone = search.decode([source], model: model)[0]
                #expect(together.map(\.tokens) == alone.map(\.tokens), "\(kind) \(search)")
                for (a, b) in zip(together, alone) { #expect(abs(a.score - b.score) < 1e-4) }
            }
        }
    }

    @Test("a batch large enough to be decoded in shares (one search per thread) gives each sentence what it gets alone",
          arguments: [ModelKind.transformer, .bahdanau])
    func sharesEqualAlone(kind: ModelKind) throws {
        #expect(Parallel.threadCount >= 2, "the engine's default team has two threads")
        let model = try tinyModel(kind)
        // 19 sentences of mixed lengths: two shares of 10 and 9, dealt out in turn.
        let sources = sentences((0..<19).map { ($0 * 7) % 10 + 1 }, vocabulary: 20, seed: 11)
        let length = OutputLength(ratio: 1, offset: 3, maximum: 12)
        for search in [GreedySearch(outputLength: length) as any SequenceSearch,
                       BeamSearch(width: 3, lengthPenalty: 0.6, nBest: 2, outputLength: length)] {
            let batched = search.decode(sources, model: model)
            #expect(batched.count == sources.count)
            for (source, together) in zip(sources, batched) {
                let alone = search.decode([source], model: model)[0]
                #expect(together.map(\.tokens) == alone.map(\.tokens), "\(kind) \(search)")
                for (a, b) in zip(together, alone) { #expect(abs(a.score - b.score) < 1e-4) }
            }
        }
    }

    @Test("the attention of the decoded hypothesis equals teacher-forced attention; rows sum to 1",
          arguments: [ModelKind.transformer, .bahdanau])
    func attentionOfChosenHypothesis(kind: ModelKind) throws {
        let model = try tinyModel(kind)
        let sources = sentences([4, 7, 2], vocabulary: 20, seed: 6)
        let search = BeamSearch(width: 4, nBest: 2, outputLength: OutputLength(ratio: 1, offset: 3, maximum: 9))
        let results = search.decode(sources, model: model)
        let layers = kind == .transformer ? 2 : 1, heads = kind == .transformer ? 2 : 1
        for (source, hypotheses) in zip(sources, results) {
            for h in hypotheses {
                let attention = try #require(h.attention)
                let steps = h.scoredLength
                #expect(attention.cross.count == layers)
                for cross in attention.cross {
                    #expect(cross.shape == [heads, steps, source.count])
                    for row in stride(from: 0, to: cross.count, by: source.count) {
                        #expect(abs(cross.scalars[row..<(row + source.count)].reduce(0, +) - 1) < 1e-4)
                    }
                }
                // The same weights as a teacher-forced pass over the hypothesis's own tokens.
                let input = [special.beginOfSentence] + (h.tokens + (h.isFinished ? [3] : [])).dropLast()
                let forced = withoutGradients {
                    model.forward(source: TokenBatch([source], paddingID: 0), targetInput: TokenBatch([input], paddingID: 0)).attention
                }
                for (mine, theirs) in zip(attention.cross, forced.cross) {
                    #expect(maximumDifference(mine.scalars, theirs.scalars) < 1e-4)
                }
                if kind == .transformer {
                    #expect(attention.decoderSelf.count == layers)
                    for (mine, theirs) in zip(attention.decoderSelf, forced.decoderSelf) {
                        #expect(mine.shape == [heads, steps, steps])
                        #expect(maximumDifference(mine.scalars, theirs.scalars) < 1e-4)
                        for row in stride(from: 0, to: mine.count, by: steps) {
                            #expect(abs(mine.scalars[row..<(row + steps)].reduce(0, +) - 1) < 1e-4)
                        }
                    }
                    #expect(attention.encoderSelf.count == 2)
                    for weights in attention.encoderSelf {
                        #expect(weights.shape == [heads, source.count, source.count])
                        for row in stride(from: 0, to: weights.count, by: source.count) {
                            #expect(abs(weights.scalars[row..<(row + source.count)].reduce(0, +) - 1) < 1e-4)
                        }
                    }
                }
            }
        }
    }

    @Test("an empty source decodes, alone and in a batch", arguments: ModelKind.allCases)
    func emptySource(kind: ModelKind) throws {
        let model = try tinyModel(kind)
        let length = OutputLength(ratio: 2, offset: 4, maximum: 20)
        for search in [GreedySearch(outputLength: length) as any SequenceSearch, BeamSearch(width: 3, nBest: 2, outputLength: length)] {
            let alone = search.decode([[]], model: model)
            #expect(alone.count == 1 && !alone[0].isEmpty && alone[0][0].tokens.count <= 4)
            let mixed = search.decode([[5, 6, 7], [], [8]], model: model)
            #expect(mixed.count == 3 && mixed.allSatisfy { !$0.isEmpty })
            #expect(mixed[1][0].tokens.count <= 4)
            if let cross = mixed[1][0].attention?.cross.first { #expect(cross.shape.last == 0) }
        }
        #expect(GreedySearch().decode([], model: model).isEmpty)
        #expect(BeamSearch(width: 2).decode([], model: model).isEmpty)
    }

    @Test("a beam wider than the vocabulary works", arguments: [ModelKind.transformer, .lstm])
    func beamWiderThanVocabulary(kind: ModelKind) throws {
        let model = try tinyModel(kind, vocabulary: 6)
        let search = BeamSearch(width: 12, nBest: 12, outputLength: OutputLength(ratio: 1, offset: 2, maximum: 5))
        for hypotheses in search.decode([[4, 5], [5], []], model: model) {
            #expect(!hypotheses.isEmpty && hypotheses.count <= 12)
            #expect(Set(hypotheses.map(\.tokens)).count == hypotheses.count)
            for (a, b) in zip(hypotheses, hypotheses.dropFirst()) { #expect(a.normalizedScore >= b.normalizedScore) }
        }
    }

    // MARK: A trained model

    @Test("on a briefly trained reverse-copy model, beam 5's mean log-probability is at least greedy's")
    func beamBeatsGreedyOnTrainedModel() throws {
        // Toy task: reverse a sequence of 3–6 ids from 4…11.
        let vocabulary = 12
        var c = ModelConfiguration()
        c.kind = .transformer
        c.sourceVocabularySize = vocabulary
        c.targetVocabularySize = vocabulary
        c.embeddingSize = 32
        c.heads = 2
        c.feedForwardSize = 64
        c.encoderLayers = 1
        c.decoderLayers = 1
        c.dropout = 0
        c.attentionDropout = 0
        let model = try c.makeModel(generator: RandomGenerator(seed: 21))
        let parameters = ParameterList(model)
        let optimizer = Adam(parameters: parameters, learningRate: 3e-3)
        let generator = RandomGenerator(seed: 22)
        func sample() -> [Int] {
            (0..<(3 + Int(generator.next() % 4))).map { _ in 4 + Int(generator.next() % 8) }
        }
        model.setTraining(true)
        for _ in 0..<250 {
            let batch = (0..<32).map { _ in sample() }
            let targets = batch.map { Array($0.reversed()) }
            let input = TokenBatch(targets.map { [special.beginOfSentence] + $0 }, paddingID: 0)
            let output = TokenBatch(targets.map { $0 + [special.endOfSentence] }, paddingID: 0)
            parameters.zeroGradients()
            let (logits, _) = model.forward(source: TokenBatch(batch, paddingID: 0), targetInput: input)
            let loss = Tensor.crossEntropy(logits: logits, targets: output.ids, ignoredIndex: 0)
            loss.backward()
            optimizer.step()
        }
        model.setTraining(false)
        let test = (0..<24).map { _ in sample() }
        let length = OutputLength(ratio: 1.5, offset: 2, maximum: 12)
        let greedy = GreedySearch(outputLength: length).decode(test, model: model).map { $0[0] }
        let beam = BeamSearch(width: 5, outputLength: length).decode(test, model: model).map { $0[0] }
        let greedyMean = greedy.map(\.score).reduce(0, +) / Float(test.count)
        let beamMean = beam.map(\.score).reduce(0, +) / Float(test.count)
        let correct = zip(test, greedy).filter { Array($0.0.reversed()) == $0.1.tokens }.count
        print("trained reverse model: greedy exact \(correct)/\(test.count), mean score greedy \(greedyMean), beam \(beamMean)")
        #expect(correct >= test.count / 4, "the model should have learnt something")
        #expect(beamMean >= greedyMean - 1e-5)
    }
}
