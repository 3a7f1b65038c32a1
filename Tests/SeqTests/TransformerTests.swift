import Seq
import TestSupport
import Testing

/// Behaviour of the whole Transformer: masking, padding, incremental decoding, parameter names.
@Suite("Transformer model")
struct TransformerTests {
    /// A tiny model: widths small enough to run in milliseconds, two layers so that stacking is exercised.
    static func configuration(
        _ normalization: NormalizationPlacement = .pre, positions: PositionEncoding = .sinusoidal,
        share: Bool = false, tie: Bool = false
    ) -> ModelConfiguration {
        var c = ModelConfiguration()
        c.kind = .transformer
        c.sourceVocabularySize = share ? 13 : 11
        c.targetVocabularySize = 13
        c.paddingID = 0
        c.embeddingSize = 16
        c.heads = 4
        c.feedForwardSize = 24
        c.encoderLayers = 2
        c.decoderLayers = 2
        c.normalization = normalization
        c.positionEncoding = positions
        c.maximumLength = 32
        c.shareSourceTargetEmbeddings = share
        c.tieOutputEmbedding = tie
        return c
    }

    static func model(_ c: ModelConfiguration, seed: UInt64 = 7) throws -> Transformer {
        let model = try Transformer(configuration: c, generator: RandomGenerator(seed: seed))
        randomizeNorms(model)
        return model
    }

    /// Layer norms start as the identity; random gains and biases make the checks sensitive to
    /// every parameter (a bias at zero could hide a missing term).
    static func randomizeNorms(_ layer: Layer) {
        let generator = RandomGenerator(seed: 99)
        for (name, parameter) in layer.namedParameters where name.contains("Norm.") || name.contains("norm.") {
            parameter.value = Tensor.uniform(parameter.shape, low: 0.5, high: 1.5, generator: generator) - (name.hasSuffix("bias") ? 1 : 0)
        }
    }

    static let variants: [ModelConfiguration] = [
        configuration(.pre), configuration(.post),
        configuration(.pre, positions: .learned, share: true, tie: true),
    ]

    /// Logits `[batch, length, V]` of one batch entry's first `length` positions.
    static func rows(_ logits: Tensor, entry: Int, length: Int) -> [Float] {
        let t = logits.shape[1], v = logits.shape[2]
        return Array(logits.scalars[(entry * t * v)..<(entry * t * v + length * v)])
    }

    // MARK: Masking

    @Test("causality: a later target token does not change earlier outputs", arguments: [NormalizationPlacement.pre, .post])
    func causality(_ normalization: NormalizationPlacement) throws {
        let model = try Self.model(Self.configuration(normalization))
        let source = TokenBatch([[3, 4, 5, 6]], paddingID: 0)
        let original = [1, 7, 8, 9, 10, 11]
        let (reference, _) = withoutGradients { model.forward(source: source, targetInput: TokenBatch([original], paddingID: 0)) }
        for changed in 1..<original.count {
            var target = original
            target[changed] = 12
            let (logits, _) = withoutGradients { model.forward(source: source, targetInput: TokenBatch([target], paddingID: 0)) }
            let before = maximumDifference(Self.rows(logits, entry: 0, length: changed), Self.rows(reference, entry: 0, length: changed))
            #expect(before <= 1e-6, "changing position \(changed) moved earlier logits by \(before)")
            // The changed position itself must matter, or the test proves nothing.
            let at = maximumDifference(Self.rows(logits, entry: 0, length: changed + 1), Self.rows(reference, entry: 0, length: changed + 1))
            #expect(at > 1e-3)
        }
    }

    @Test("padding: a sentence alone equals the same sentence in a padded batch", arguments: variants.indices)
    func padding(_ variant: Int) throws {
        let model = try Self.model(Self.variants[variant])
        let source = [3, 4, 5], target = [1, 6, 7]
        let (alone, _) = withoutGradients {
            model.forward(source: TokenBatch([source], paddingID: 0), targetInput: TokenBatch([target], paddingID: 0))
        }
        let sources = [[8, 9, 10, 3, 4, 5, 6], source], targets = [[1, 2, 3, 4, 5, 6], target]
        let (batched, attention) = withoutGradients {
            model.forward(source: TokenBatch(sources, paddingID: 0), targetInput: TokenBatch(targets, paddingID: 0))
        }
        #expect(batched.shape == [2, 6, 13])
        let difference = maximumDifference(Self.rows(batched, entry: 1, length: 3), Self.rows(alone, entry: 0, length: 3))
        #expect(difference <= 1e-5, "padded batch changed the logits by \(difference)")
        #expect(attention.encoderSelf.count == 2 && attention.decoderSelf.count == 2 && attention.cross.count == 2)
    }

    @Test("attention rows sum to 1 and are exactly 0 on padding and future positions", arguments: [NormalizationPlacement.pre, .post])
    func attentionMasks(_ normalization: NormalizationPlacement) throws {
        let model = try Self.model(Self.configuration(normalization))
        let sourceLengths = [5, 2], targetLengths = [4, 2]
        let source = TokenBatch([[3, 4, 5, 6, 7], [8, 9]], paddingID: 0)
        let target = TokenBatch([[1, 3, 4, 5], [1, 6]], paddingID: 0)
        let (_, maps) = withoutGradients { model.forward(source: source, targetInput: target) }
        let heads = 4
        func check(
            _ map: Tensor, queries: Int, keys: Int, hidden: (_ entry: Int, _ query: Int, _ key: Int) -> Bool,
            sourceLocation: SourceLocation = #_sourceLocation
        ) {
            #expect(map.shape == [2, heads, queries, keys], sourceLocation: sourceLocation)
            guard map.shape == [2, heads, queries, keys] else { return }
            var worstRowSum: Float = 0
            var leaks: [String] = []
            for b in 0..<2 {
                for h in 0..<heads {
                    for q in 0..<queries {
                        var total: Float = 0
                        for k in 0..<keys {
                            let w = map[b, h, q, k]
                            total += w
                            if hidden(b, q, k) && w != 0 { leaks.append("entry \(b) head \(h) query \(q) key \(k): \(w)") }
                        }
                        worstRowSum = max(worstRowSum, abs(total - 1))
                    }
                }
            }
            #expect(worstRowSum <= 1e-5, sourceLocation: sourceLocation)
            #expect(leaks.isEmpty, "\(leaks.count) hidden positions with weight, e.g. \(leaks.first ?? "")", sourceLocation: sourceLocation)
        }
        for map in maps.encoderSelf { check(map, queries: 5, keys: 5) { b, _, k in k >= sourceLengths[b] } }
        for map in maps.cross { check(map, queries: 4, keys: 5) { b, _, k in k >= sourceLengths[b] } }
        for map in maps.decoderSelf { check(map, queries: 4, keys: 4) { b, q, k in k > q || k >= targetLengths[b] } }

        // The same holds for the maps of a decoding step.
        var state = withoutGradients { model.encode(source) }
        #expect(state.encoderAttention.count == 2)
        for step in 0..<3 {
            let (_, stepMaps) = withoutGradients { model.decodeStep([1, 1], state: &state) }
            for map in stepMaps.cross { check(map, queries: 1, keys: 5) { b, _, k in k >= sourceLengths[b] } }
            for map in stepMaps.decoderSelf { check(map, queries: 1, keys: step + 1) { _, _, _ in false } }
            #expect(stepMaps.encoderSelf.isEmpty)
        }
    }

    @Test("an empty source attends to nothing, alone or in a padded batch; a length-1 source works", arguments: [NormalizationPlacement.pre, .post])
    func emptyAndSingleSources(_ normalization: NormalizationPlacement) throws {
        let model = try Self.model(Self.configuration(normalization))
        let target = TokenBatch([[1, 5, 6]], paddingID: 0)
        let (empty, emptyMaps) = withoutGradients { model.forward(source: TokenBatch([[]], paddingID: 0), targetInput: target) }
        #expect(empty.shape == [1, 3, 13])
        #expect(empty.scalars.allSatisfy { $0.isFinite })
        #expect(emptyMaps.cross.allSatisfy { $0.shape == [1, 4, 3, 0] })

        let sources = TokenBatch([[4, 5, 6, 7], [], [8]], paddingID: 0)
        let targets = TokenBatch([[1, 5, 6], [1, 5, 6], [1, 5, 6]], paddingID: 0)
        let (batched, maps) = withoutGradients { model.forward(source: sources, targetInput: targets) }
        #expect(maximumDifference(Self.rows(batched, entry: 1, length: 3), empty.scalars) <= 1e-5)
        // The empty entry's cross-attention rows are all zero; the others still sum to 1.
        for map in maps.cross {
            let rows = map.scalars.chunked(4)
            for (index, row) in rows.enumerated() {
                let entry = index / (4 * 3)
                #expect(abs(row.reduce(0, +) - (entry == 1 ? 0 : 1)) <= 1e-5, "entry \(entry)")
            }
        }
        let (single, _) = withoutGradients { model.forward(source: TokenBatch([[8]], paddingID: 0), targetInput: target) }
        #expect(maximumDifference(Self.rows(batched, entry: 2, length: 3), single.scalars) <= 1e-5)

        // Incremental decoding agrees for the empty source too.
        var state = withoutGradients { model.encode(TokenBatch([[]], paddingID: 0)) }
        for t in 0..<3 {
            let (logits, _) = withoutGradients { model.decodeStep([[1, 5, 6][t]], state: &state) }
            #expect(maximumDifference(logits.scalars, Array(empty.scalars[(t * 13)..<((t + 1) * 13)])) <= 1e-5)
        }
    }

    // MARK: Incremental decoding

    @Test("encode + decodeStep gives the teacher-forced logits and attention", arguments: variants.indices)
    func incrementalEqualsFull(_ variant: Int) throws {
        let model = try Self.model(Self.variants[variant])
        let source = TokenBatch([[3, 4, 5, 6, 7], [8, 9], [10, 3, 5]], paddingID: 0)
        let targets = [[1, 3, 4, 5, 6], [1, 7, 8], [1, 9, 10, 11, 12]]
        let targetInput = TokenBatch(targets, paddingID: 0)
        let (full, fullMaps) = withoutGradients { model.forward(source: source, targetInput: targetInput) }
        let length = targetInput.length, vocabulary = 13

        var state = withoutGradients { model.encode(source) }
        for t in 0..<length {
            // Entries whose target ended keep feeding padding, as a batched search would.
            let tokens = targets.map { t < $0.count ? $0[t] : 0 }
            let (logits, maps) = withoutGradients { model.decodeStep(tokens, state: &state) }
            #expect(logits.shape == [3, vocabulary])
            #expect(!logits.requiresGradient)
            #expect(state.step == t + 1)
            for (b, target) in targets.enumerated() where t < target.count {
                let expected = Array(full.scalars[((b * length + t) * vocabulary)..<((b * length + t + 1) * vocabulary)])
                let actual = Array(logits.scalars[(b * vocabulary)..<((b + 1) * vocabulary)])
                let difference = maximumDifference(actual, expected)
                #expect(difference <= 1e-5, "entry \(b) step \(t): logits differ by \(difference)")
                // Cross-attention of this step equals row t of the full map, in every layer.
                var worstAttention: Float = 0
                for (stepMap, fullMap) in zip(maps.cross, fullMaps.cross) {
                    for h in 0..<4 {
                        for k in 0..<source.length { worstAttention = max(worstAttention, abs(stepMap[b, h, 0, k] - fullMap[b, h, t, k])) }
                    }
                }
                #expect(worstAttention <= 1e-5, "entry \(b) step \(t): cross-attention differs by \(worstAttention)")
            }
            // The self-attention cache holds one position per step, with room for more.
            let keys = state["decoder.layers.1.selfKeys"]
            #expect(keys.shape[0] == 3 && keys.shape[1] == 4 && keys.shape[2] >= t + 1 && keys.shape[3] == 4)
            // Cross-attention keys and values are per source, computed once.
            #expect(state.sourceTensors["decoder.layers.0.crossValues"]?.shape == [3, 4, 5, 4])
        }
    }

    @Test("twenty steps, past the caches' first room, give the teacher-forced logits; a copy of the state decodes on its own",
          arguments: [3, 9])   // 3 rows: the fused step where the CPU has it; 9: tensor operations
    func longIncrementalDecoding(rows: Int) throws {
        let model = try Self.model(Self.variants[1])
        let generator = RandomGenerator(seed: 21)
        func token(_ vocabulary: Int = 13) -> Int { 1 + Int(generator.next() % UInt64(vocabulary - 1)) }
        let sources = (0..<rows).map { r in (0..<(2 + r % 5)).map { _ in token(11) } }
        // Two targets per row: the same first ten tokens, then different ones.
        let first = (0..<rows).map { _ in [1] + (0..<19).map { _ in token() } }
        let second = first.map { Array($0.prefix(10)) + (0..<10).map { _ in token() } }
        let source = TokenBatch(sources, paddingID: 0)
        func teacherForced(_ targets: [[Int]]) -> Tensor {
            withoutGradients { model.forward(source: source, targetInput: TokenBatch(targets, paddingID: 0)) }.logits
        }
        let (firstLogits, secondLogits) = (teacherForced(first), teacherForced(second))
        func step(_ state: inout DecoderState, _ targets: [[Int]], _ full: Tensor, _ t: Int, _ label: String) {
            let (logits, _) = withoutGradients { model.decodeStep(targets.map { $0[t] }, state: &state) }
            for r in 0..<rows {
                let start = (r * 20 + t) * 13
                let difference = maximumDifference(Array(logits.scalars[(r * 13)..<((r + 1) * 13)]), Array(full.scalars[start..<(start + 13)]))
                #expect(difference <= 1e-5, "\(label) row \(r) step \(t): logits differ by \(difference)")
            }
        }
        var state = withoutGradients { model.encode(source) }
        for t in 0..<10 { step(&state, first, firstLogits, t, "first") }
        // A copy shares the caches' buffers, with room left in them: each must write its own.
        var copy = state
        for t in 10..<20 {
            step(&state, first, firstLogits, t, "first")
            step(&copy, second, secondLogits, t, "second")
        }
        let keys = state["decoder.layers.0.selfKeys"]
        #expect(keys.shape[2] >= 20 && keys.shape[2] < 40, "room for \(keys.shape[2]) positions after 20 steps")
    }

    @Test("selecting reorders the decoder state for beam search; per-source keys serve any layout of rows",
          arguments: [[1, 0, 1], [0, 0, 1, 1], [1, 1], [0]])
    func selectingState(rows: [Int]) throws {
        let model = try Self.model(Self.configuration())
        let sources = [[3, 4, 5, 6], [7, 8]]
        var state = withoutGradients { model.encode(TokenBatch(sources, paddingID: 0)) }
        _ = withoutGradients { model.decodeStep([1, 1], state: &state) }
        _ = withoutGradients { model.decodeStep([5, 6], state: &state) }
        // [1, 0, 1]: rows out of source order (keys gathered per row); [0, 0, 1, 1]: two rows per
        // source in order (one product per source); [1, 1] and [0]: a source dropped (the
        // per-source tensors shrink to the one left).
        var selected = state.selecting(rows)
        let usedSources = Set(rows).count
        #expect(selected.sourceTensors["decoder.layers.0.crossKeys"]?.shape[0] == usedSources)
        let tokens = rows.map { [7, 9][$0] }
        let (logits, _) = withoutGradients { model.decodeStep(tokens, state: &selected) }
        // Reference: each source decoded alone along the same prefix.
        for (row, entry) in rows.enumerated() {
            var alone = withoutGradients { model.encode(TokenBatch([sources[entry]], paddingID: 0)) }
            _ = withoutGradients { model.decodeStep([1], state: &alone) }
            _ = withoutGradients { model.decodeStep([[5, 6][entry]], state: &alone) }
            let (expected, _) = withoutGradients { model.decodeStep([tokens[row]], state: &alone) }
            let actual = Array(logits.scalars[(row * 13)..<((row + 1) * 13)])
            #expect(maximumDifference(actual, expected.scalars) <= 1e-5, "rows \(rows), row \(row)")
        }
    }

    // MARK: Construction

    @Test("parameter names are stable and follow the documented layout")
    func parameterNames() throws {
        let model = try Transformer(configuration: Self.configuration(), generator: RandomGenerator(seed: 1))
        let names = Set(model.namedParameters.map(\.name))
        for expected in [
            "sourceEmbedding.weight", "targetEmbedding.weight", "output.weight", "output.bias",
            "encoder.layers.0.selfAttention.query.weight", "encoder.layers.1.selfAttention.output.bias",
            "encoder.layers.0.selfAttentionNorm.weight", "encoder.layers.0.feedForward.hidden.weight",
            "encoder.layers.0.feedForward.output.bias", "encoder.layers.0.feedForwardNorm.bias", "encoder.norm.weight",
            "decoder.layers.1.selfAttention.key.weight", "decoder.layers.1.crossAttention.value.bias",
            "decoder.layers.0.crossAttentionNorm.weight", "decoder.norm.bias",
        ] {
            #expect(names.contains(expected), "missing \(expected)")
        }
        #expect(!names.contains { $0.contains("positions") }, "sinusoidal positions have no parameters")
        // 2 embeddings, 2 norms, output (2), encoder layers 16 tensors each, decoder layers 26 each.
        #expect(names.count == 2 + 4 + 2 + 2 * 16 + 2 * 26)
        #expect(model.namedParameters.count == names.count, "every parameter is listed once")

        let post = try Transformer(configuration: Self.configuration(.post, positions: .learned, share: true, tie: true), generator: RandomGenerator(seed: 1))
        let postNames = Set(post.namedParameters.map(\.name))
        #expect(postNames.contains("encoder.positions.weight") && postNames.contains("decoder.positions.weight"))
        #expect(!postNames.contains("targetEmbedding.weight") && !postNames.contains("output.weight"))
        #expect(!postNames.contains("encoder.norm.weight") && !postNames.contains("decoder.norm.weight"))
        #expect(post.targetEmbedding === post.sourceEmbedding)
        #expect(post.parameters.count == post.namedParameters.count)
    }

    @Test("the factory builds a Transformer and rejects inconsistent sizes")
    func factory() throws {
        let model = try Self.configuration().makeModel(generator: RandomGenerator(seed: 1))
        #expect(model is Transformer)
        var indivisible = Self.configuration()
        indivisible.heads = 3
        #expect(throws: ModelError.self) { try indivisible.makeModel(generator: RandomGenerator(seed: 1)) }
        var unshareable = Self.configuration()
        unshareable.shareSourceTargetEmbeddings = true  // 11 source ids, 13 target ids
        #expect(throws: ModelError.self) { try unshareable.makeModel(generator: RandomGenerator(seed: 1)) }
    }

    @Test("dropout is active only in training and reaches every sub-layer")
    func dropoutSwitch() throws {
        var c = Self.configuration()
        c.dropout = 0.3
        c.attentionDropout = 0.3
        let model = try Self.model(c)
        let source = TokenBatch([[3, 4, 5]], paddingID: 0), target = TokenBatch([[1, 6, 7]], paddingID: 0)
        let evaluation = withoutGradients { model.forward(source: source, targetInput: target).logits.scalars }
        model.setTraining(true)
        let first = withoutGradients { model.forward(source: source, targetInput: target).logits.scalars }
        let second = withoutGradients { model.forward(source: source, targetInput: target).logits.scalars }
        model.setTraining(false)
        let again = withoutGradients { model.forward(source: source, targetInput: target).logits.scalars }
        #expect(maximumDifference(first, second) > 1e-3)
        #expect(maximumDifference(evaluation, again) == 0)
        let dropouts = model.namedLayers.compactMap { $0.layer as? Dropout }
        // Per layer: residual + attention (1 encoder, 2 decoder); per stack: embedding.
        #expect(dropouts.count == 2 * 2 + 2 * 3 + 2)
    }

    @Test("sinusoidal encodings follow the paper's formula")
    func sinusoid() {
        let encoding = PositionalEncoding(kind: .sinusoidal, size: 6, maximumLength: 1, generator: RandomGenerator(seed: 1))
        let table = encoding(3..<5)
        #expect(table.shape == [2, 6])
        for (row, p) in [3, 4].enumerated() {
            for i in 0..<6 {
                let angle = Double(p) / pow(10_000, Double(2 * (i / 2)) / 6)
                let expected = Float(i % 2 == 0 ? sin(angle) : cos(angle))
                #expect(abs(table[row, i] - expected) <= 1e-6)
            }
        }
    }

    @Test("sinusoidal encodings are the same inside and beyond the precomputed positions")
    func sinusoidPastTable() {
        let short = PositionalEncoding(kind: .sinusoidal, size: 8, maximumLength: 4, generator: RandomGenerator(seed: 1))
        let long = PositionalEncoding(kind: .sinusoidal, size: 8, maximumLength: 64, generator: RandomGenerator(seed: 1))
        // 2..<7 straddles the short layer's table; the long one has every row precomputed.
        let straddling = short(2..<7), beyond = short(5..<7), precomputed = long(2..<7)
        #expect(straddling.shape == [5, 8] && beyond.shape == [2, 8])
        #expect(straddling.scalars == precomputed.scalars)
        #expect(beyond.scalars == precomputed.sliced(axis: 0, 3..<5).scalars)
    }
}

extension Array {
    /// Consecutive pieces of `size` elements.
    fileprivate func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
